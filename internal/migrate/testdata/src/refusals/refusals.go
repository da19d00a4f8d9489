// Package refusals has every call the fixer refuses, each on a metric of its own: a refused
// call keeps its whole metric on client_golang, so that the code still builds.
package refusals

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The series lifecycle: the deletions the fixer cannot rewrite mechanically.
var (
	deleted    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `shop_requests_total: promauto.NewCounterVec stays on client_golang: the label values are passed as a slice.*\(testdata/src/refusals/refusals.go:\d+\)`
	deletedFew = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: 1 label values for the 2 labels shop_requests_total declares \(client_golang deletes nothing here\)`
	deletedBy  = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: Delete's labels are not a prometheus.Labels literal`
	deletedOne = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: Delete gives the labels \[code\] and shop_requests_total declares \[code method\] \(client_golang deletes nothing here\)`
	deletedKey = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: a label name given to Delete is not a constant`
	partialKey = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total", ConstLabels: prometheus.Labels{"code": "200"}}, []string{"method"}) // want `stays on client_golang: DeletePartialMatch is given the label code, which is not among the variable labels \[method\] of shop_requests_total: client_golang deletes nothing there`
	partialVar = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total", ConstLabels: prometheus.Labels{"code": "200"}}, []string{"method"}) // want `stays on client_golang: DeletePartialMatch's labels are not a literal, and shop_requests_total has constant labels \[code\]`
	deletedRun = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"})                                        // want `stays on client_golang: the label values next\(\) and next\(\) call functions, which would run in another order`
	curried    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: a curried vector has no counterpart`
	exemplar   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                                        // want `stays on client_golang: GetMetricWithLabelValues returns an error`
	timed      = promauto.NewHistogram(prometheus.HistogramOpts{Name: "shop_temperature_celsius"})                                                              // want `promauto.NewHistogram defines shop_temperature_celsius, which the catalogue declares a gauge`
)

var (
	labelValues = []string{"200", "GET"}
	someLabels  = prometheus.Labels{"code": "200", "method": "GET"}
	codeKey     = "code"
)

// next returns the next value of a sequence: calling it twice in another order swaps the values.
func next() string { return "" }

func lifecycle() {
	deleted.DeleteLabelValues(labelValues...)                                            // want `shop_requests_total: the label values are passed as a slice \(...\), so they cannot be moved to the catalogue's order; it stays on client_golang`
	deletedFew.DeleteLabelValues("200")                                                  // want `shop_requests_total: 1 label values for the 2 labels`
	deletedBy.Delete(someLabels)                                                         // want `shop_requests_total: Delete's labels are not a prometheus.Labels literal, so the fixer cannot tell which value goes with which label`
	deletedOne.Delete(prometheus.Labels{"code": "200"})                                  // want `shop_requests_total: Delete gives the labels \[code\]`
	deletedKey.Delete(prometheus.Labels{codeKey: "200", "method": "GET"})                // want `shop_requests_total: a label name given to Delete is not a constant`
	partialKey.DeletePartialMatch(prometheus.Labels{"code": "200"})                      // want `shop_requests_total: DeletePartialMatch is given the label code`
	partialVar.DeletePartialMatch(someLabels)                                            // want `shop_requests_total: DeletePartialMatch's labels are not a literal`
	_ = deletedRun.DeleteLabelValues(next(), next())                                     // want `shop_requests_total: the label values next\(\) and next\(\) call functions`
	curried.MustCurryWith(prometheus.Labels{"code": "200"}).WithLabelValues("GET").Inc() // want `shop_requests_total: a curried vector has no counterpart`
	c, _ := exemplar.GetMetricWithLabelValues("200", "GET")                              // want `shop_requests_total: GetMetricWithLabelValues returns an error`
	c.Inc()
}

// Timers in shapes the fixer does not rewrite mechanically.
var (
	timerKept     = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `shop_payload_bytes: promauto.NewSummary stays on client_golang: it is timed by a prometheus.NewTimer that is passed around or kept.*\(testdata/src/refusals/refusals.go:\d+\)`
	timerReturned = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `stays on client_golang: it is timed by a prometheus.NewTimer that is passed around or kept`
	timerExemplar = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `stays on client_golang: it is timed by a prometheus.NewTimer observed with ObserveDurationWithExemplar`
	timerResult   = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `stays on client_golang: it is timed by a prometheus.NewTimer whose ObserveDuration result \(the duration\) is used`
	timerLabel    = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"})                    // want `stays on client_golang: it is timed by a prometheus.NewTimer whose label value method is assigned in the function`
	timerNever    = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `stays on client_golang: it is timed by a prometheus.NewTimer whose duration is never observed`
	timerOutside  = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `stays on client_golang: it is timed by a prometheus.NewTimer used as ObserveDuration outside a defer`
)

func keepTimer(t *prometheus.Timer) {}

func timers() *prometheus.Timer {
	t := prometheus.NewTimer(timerKept) // want `shop_payload_bytes: it is timed by a prometheus.NewTimer that is passed around or kept, which the fixer does not follow: time with time.Now and Record the seconds; it stays on client_golang`
	keepTimer(t)
	e := prometheus.NewTimer(timerExemplar) // want `shop_payload_bytes: it is timed by a prometheus.NewTimer observed with ObserveDurationWithExemplar: an exemplar is taken from the context's span`
	defer e.ObserveDurationWithExemplar(prometheus.Labels{"trace_id": "1"})
	d := prometheus.NewTimer(timerResult) // want `shop_payload_bytes: it is timed by a prometheus.NewTimer whose ObserveDuration result \(the duration\) is used`
	_ = d.ObserveDuration().Seconds()
	method := "GET"
	l := prometheus.NewTimer(timerLabel.WithLabelValues(method)) // want `shop_request_duration_seconds: it is timed by a prometheus.NewTimer whose label value method is assigned in the function, and the rewrite reads it when the duration is recorded`
	method = "POST"
	defer l.ObserveDuration()
	_ = method
	prometheus.NewTimer(timerNever)                     // want `shop_payload_bytes: it is timed by a prometheus.NewTimer whose duration is never observed`
	prometheus.NewTimer(timerOutside).ObserveDuration() // want `shop_payload_bytes: it is timed by a prometheus.NewTimer used as ObserveDuration outside a defer`
	return prometheus.NewTimer(timerReturned)           // want `shop_payload_bytes: it is timed by a prometheus.NewTimer that is passed around or kept`
}

// Definitions the catalogue does not take as they are.
var (
	unknown     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_unknown_total"})                               // want `shop_unknown_total: promauto.NewCounter stays on client_golang: shop_unknown_total is not in testdata/shop.yaml`
	labels      = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code"})         // want `promauto.NewCounterVec declares the labels \[code\] and the catalogue's shop_requests_total \[code method\]`
	provided    = promauto.NewGauge(prometheus.GaugeOpts{Name: "go_goroutines"})                                        // want `go_goroutines is provided_by go_collector in the catalogue, not generated`
	observed    = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_uptime_seconds"})                                  // want `shop_uptime_seconds is observable in the catalogue`
	callback    = promauto.NewGaugeFunc(prometheus.GaugeOpts{Name: "shop_uptime_seconds"}, func() float64 { return 1 }) // want `promauto.NewGaugeFunc is read by a callback at collection: declare shop_uptime_seconds observable: true and Register the callback`
	opts        = prometheus.CounterOpts{Name: "shop_errors_total"}
	notLit      = promauto.NewCounter(opts) // want `a metric: promauto.NewCounter stays on client_golang: promauto.NewCounter: the options are not a composite literal`
	name        = "shop_errors_total"
	notConst    = promauto.NewCounter(prometheus.CounterOpts{Name: name})                                // want `Name is not a constant, so the exposed name cannot be read`
	noLabels    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_errors_total"}, nil)         // want `promauto.NewCounterVec without label names: a vector of one series; make it a promauto.NewCounter`
	labelVar    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_errors_total"}, orderLabels) // want `label names: not a \[\]string literal`
	orderLabels = []string{"outcome"}
)

// Calls the catalogue's kind or value type has no counterpart for.
var (
	setUpDown  = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight"})                                         // want `shop_in_flight: promauto.NewGauge stays on client_golang: shop_in_flight is a updowncounter in the catalogue, which adds, and Set sets: declare it a gauge`
	incGauge   = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_temperature_celsius"})                               // want `stays on client_golang: shop_temperature_celsius is a gauge in the catalogue, which records values, and Inc needs the value before it`
	decCounter = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_errors_total"})                                      // want `shop_errors_total is a counter in the catalogue, which only goes up, and Dec goes down`
	floatToInt = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"})          // want `Add records a float64 into shop_orders_total, which records int`
	notInEnum  = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"})          // want `the value "maybe" is not in the enum of label outcome \[ok error\] in the catalogue`
	withVar    = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `With's labels are not a prometheus.Labels literal`
	slice      = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `the label values are passed as a slice`
	tooFew     = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `1 label values for the 2 labels shop_requests_total declares`
	pkgChild   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `a child kept while the package initialises is bound before SetDefault creates the instruments`
	okRequests = pkgChild.WithLabelValues("200", "GET")                                                                  // want `shop_requests_total: a child kept while the package initialises is bound before SetDefault creates the instruments, and would record nothing: bind it \(Bind\) in main, after SetDefault`
)

func kinds(x float64, lvs []string, l prometheus.Labels) {
	setUpDown.Set(3)                         // want `shop_in_flight: shop_in_flight is a updowncounter in the catalogue, which adds, and Set sets`
	incGauge.Inc()                           // want `shop_temperature_celsius is a gauge in the catalogue`
	decCounter.Dec()                         // want `shop_errors_total is a counter in the catalogue, which only goes up`
	floatToInt.WithLabelValues("ok").Add(x)  // want `Add records a float64 into shop_orders_total`
	notInEnum.WithLabelValues("maybe").Inc() // want `the value "maybe" is not in the enum`
	withVar.With(l).Inc()                    // want `With's labels are not a prometheus.Labels literal`
	slice.WithLabelValues(lvs...).Inc()      // want `the label values are passed as a slice`
	tooFew.WithLabelValues("200").Inc()      // want `1 label values for the 2 labels`
	okRequests.Inc()
}

// Where a metric goes that the fixer cannot follow.
var (
	either1    = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `refusals.go:\d+ holds shop_errors_total and shop_builds_total: one variable takes one generated type`
	either2    = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_builds_total", ConstLabels: prometheus.Labels{"version": "1"}}) // want `holds shop_errors_total and shop_builds_total`
	mapped     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `it is kept in a map or slice`
	compared   = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `it is compared`
	registered = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `registered where the registration's result is used`
	unregd     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `unregistered where the result is used`
	queued     = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"})                               // want `a bound child is compared with nil`
)

func flows(ctx context.Context, cond bool) error {
	var c prometheus.Counter
	if cond {
		c = either1
	} else {
		c = either2
	}
	c.Inc()
	m := map[string]prometheus.Counter{"errors": mapped} // want `shop_errors_total: it is kept in a map or slice`
	m["errors"].Inc()
	var other prometheus.Collector
	if compared != other { // want `shop_errors_total: it is compared`
		compared.Inc()
	}
	child := queued.WithLabelValues("mail")
	if child != nil { // want `shop_queue_length: a bound child is compared with nil, and a bound instrument is a value`
		child.Set(1)
	}
	time.Sleep(0)
	if !prometheus.Unregister(unregd) { // want `shop_errors_total: unregistered where the result is used; the generated instruments are not registered`
		unregd.Inc()
	}
	return prometheus.Register(registered) // want `shop_errors_total: registered where the registration's result is used`
}

// What runs while the package initialises runs before SetDefault.
var (
	setAtInit  = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"})                // want `stays on client_golang: recorded while the package initialises`
	bindAtInit = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `stays on client_golang: (a child kept|recorded) while the package initialises`
	collected  = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                  // want `stays on client_golang: it is kept as a prometheus.Collector`
	asAny      = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                  // want `it is kept as a any`
	collectors []prometheus.Collector
)

func init() {
	setAtInit.WithLabelValues("mail").Set(1)       // want `shop_queue_length: recorded while the package initialises, before SetDefault creates the instruments, so the value would be lost: record it in main, after SetDefault`
	ok := bindAtInit.WithLabelValues("200", "GET") // want `shop_requests_total: a child kept while the package initialises`
	ok.Inc()                                       // want `shop_requests_total: recorded while the package initialises`
	var c prometheus.Collector = collected         // want `shop_errors_total: it is kept as a prometheus.Collector, a type the fixer does not rewrite`
	collectors = append(collectors, c)
	keep(asAny) // want `shop_errors_total: it is kept as a any`
}

func keep(any) {}

// A test that reads a metric through client_golang's testutil.
var readInTest = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"}) // want `stays on client_golang: it is passed to testutil.ToFloat64`

func testRead() float64 {
	return testutil.ToFloat64(readInTest) // want `shop_errors_total: it is passed to testutil.ToFloat64, which takes client_golang's types \(a test reads a generated instrument through an OTel reader instead\)`
}
