package refusals

import (
	"context"

	"outside"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// More of what the fixer cannot follow.
var (
	exemplars   = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `stays on client_golang`
	collect     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `stays on client_golang: a Collector's method`
	intTime     = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"})                               // want `SetToCurrentTime records seconds with a fraction, and shop_queue_length records int`
	methodValue = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `its method Inc is taken as a value`
	funcValue   = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `it is passed to a function value`
	variadic    = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `it is passed to a variadic parameter of all`
	elsewhere   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"})                         // want `it reaches .*outside.go:\d+, declared outside the packages migrated`
	unseen      = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `it reaches .*more.go:\d+, which is also given a metric the fixer did not see defined`
	nilled      = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"})                // want `as a bound child, which is given nil at`
	together1   = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                 // want `is declared under one type with`
	together2   = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_builds_total", ConstLabels: prometheus.Labels{"version": "1"}}) // want `is declared under one type with`
	unkept      = promauto.NewCounter                                                                                                    // a function value, not a definition
)

func more(ctx context.Context, other prometheus.Counter) {
	exemplars.AddWithExemplar(1, prometheus.Labels{})  // want `shop_errors_total: an exemplar is taken from the context's span in OTel`
	collect.Describe(nil)                              // want `shop_errors_total: a Collector's method`
	intTime.WithLabelValues("mail").SetToCurrentTime() // want `SetToCurrentTime records seconds with a fraction`
	inc := methodValue.Inc                             // want `shop_errors_total: its method Inc is taken as a value`
	inc()
	f := func(c prometheus.Counter) { c.Inc() }
	f(funcValue)  // want `shop_errors_total: it is passed to a function value`
	all(variadic) // want `shop_errors_total: it is passed to a variadic parameter of all`
	outside.Use(elsewhere)
	var c prometheus.Counter = unseen
	c = other
	c.Inc()
	var bound prometheus.Counter = nilled.WithLabelValues("200", "GET")
	bound = nil
	_ = bound
	var a, b prometheus.Counter = together1, together2
	a.Inc()
	b.Inc()
	_ = unkept
	promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"}) // want `shop_errors_total: promauto.NewCounter stays on client_golang: it is defined and never kept` `shop_errors_total: it is defined and never kept`
}

func all(cs ...prometheus.Counter) {}

// One metric, defined twice with its labels in different orders, through one variable.
var (
	orderA = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `holds shop_requests_total from definitions that declare its labels in different orders \(\[code method\] at .*more.go:\d+, \[method code\] at .*more.go:\d+\)`
	orderB = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"}) // want `declare its labels in different orders`
)

func orders(cond bool) {
	v := orderA
	if cond {
		v = orderB
	}
	v.WithLabelValues("200", "GET").Inc()
}

// Label values that call functions of the code's own: reordered, they would run in another
// order, and each value could land under the other's label.
var (
	sequenced = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"})       // want `stays on client_golang: the label values nextMethod\(\) and nextCode\(\) call functions`
	valueLast = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"}) // want `stays on client_golang: the value measure\(\) and a label value call functions`
)

func nextMethod() string { return "GET" }
func nextCode() string   { return "200" }
func measure() float64   { return 1 }

func sequence() {
	sequenced.WithLabelValues(nextMethod(), nextCode()).Inc()  // want `shop_requests_total: the label values nextMethod\(\) and nextCode\(\) call functions, which would run in another order in the catalogue's order of labels: assign them to variables first`
	valueLast.WithLabelValues(nextMethod()).Observe(measure()) // want `shop_request_duration_seconds: the value measure\(\) and a label value call functions, which would run in another order \(the value first\)`
}

// Exemplars reached through an assertion, as client_golang's examples reach them: reported at
// the call, with the call's reason; any other assertion as one.
var (
	assertedObserve = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"}) // want `shop_request_duration_seconds: promauto.NewHistogramVec stays on client_golang: ObserveWithExemplar through the assertion to prometheus.ExemplarObserver: an exemplar is taken from the context's span in OTel`
	assertedAdd     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                        // want `shop_errors_total: promauto.NewCounter stays on client_golang: AddWithExemplar through the assertion to prometheus.ExemplarAdder`
	asserted        = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                        // want `stays on client_golang: it is asserted to prometheus.Metric, which the generated instruments do not implement`
)

func exemplify(id string) {
	assertedObserve.WithLabelValues("GET").(prometheus.ExemplarObserver).ObserveWithExemplar(0.5, prometheus.Labels{"dummyID": id}) // want `shop_request_duration_seconds: ObserveWithExemplar through the assertion to prometheus.ExemplarObserver: an exemplar is taken from the context's span in OTel \(telemetry.WithExemplarFilter\), not passed; it stays on client_golang`
	(assertedAdd.(prometheus.ExemplarAdder)).AddWithExemplar(1, nil)                                                                // want `shop_errors_total: AddWithExemplar through the assertion to prometheus.ExemplarAdder`
	_ = asserted.(prometheus.Metric)                                                                                                // want `shop_errors_total: it is asserted to prometheus.Metric, which the generated instruments do not implement; it stays on client_golang`
}
