// Command cmd wires the metrics into the listener, and keeps client_golang's default registry
// for the families it makes at run time.
package main

import (
	"net/http"

	"exporter/line"
	"exporter/listen"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var (
	builds   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_builds_total"}, []string{"version"}) // want `shop_builds_total: promauto.NewCounterVec becomes &shopmetrics.Default.ShopBuildsTotal`
	orders   = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"}) // want `shop_orders_total: promauto.NewCounterVec becomes &shopmetrics.Default.ShopOrdersTotal`
	inFlight = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight"})                                // want `shop_in_flight: promauto.NewGauge becomes &shopmetrics.Default.ShopInFlight`
	errs     = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                         // want `shop_errors_total: promauto.NewCounter becomes &shopmetrics.Default.ShopErrorsTotal`
	queue    = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"})       // want `shop_queue_length: promauto.NewGaugeVec becomes &shopmetrics.Default.ShopQueueLength`
)

// runtimeFamily is made at run time, on the registry it is given: its name is not the code's.
func runtimeFamily(reg prometheus.Registerer, name string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "Made at run time."}) // want `a metric: prometheus.NewCounter stays on client_golang: prometheus.NewCounter: Name is not a constant, so the exposed name cannot be read`
	reg.MustRegister(c)
	return c
}

// stats keeps one metric, and a spare nothing fills: one declaration each.
type stats struct {
	errs, spare prometheus.Counter // want `shop_errors_total: errs, spare prometheus.Counter becomes one declaration each, errs \*shopmetrics.ShopErrorsTotal, spare prometheus.Counter`
}

func main() { // want `main creates the telemetry pipeline and fills shopmetrics.Default before anything records; client_golang's default registry stays in use \(prometheus.DefaultRegisterer is used at testdata/src/exporter/cmd/main.go:\d+\), and tel.Handler\(\) serves it through telemetry.WithGatherer, without its Go and process collectors`
	l := &listen.Listener{Parser: &line.Parser{}, Builds: *builds, Orders: *orders, InFlight: inFlight, Errs: errs, Queue: queue} // want `shop_builds_total: the vector by value \*builds becomes builds` `shop_orders_total: the vector by value \*orders becomes orders`
	l.Handle("v1")
	s := stats{errs: errs}
	s.errs.Inc()                          // want `shop_errors_total: Inc becomes s.errs.Add\(context.Background\(\), 1\)`
	(*builds).WithLabelValues("v2").Inc() // want `shop_builds_total: Inc becomes builds.Add\(context.Background\(\), 1, "v2"\)`
	runtimeFamily(prometheus.DefaultRegisterer, "upstream_lines_total").Inc()
	http.Handle("/metrics", promhttp.Handler()) // want `promhttp.Handler becomes tel.Handler\(\)`
	http.ListenAndServe(":8080", nil)
}
