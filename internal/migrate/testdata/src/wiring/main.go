// Command wiring registers its metrics in every way client_golang offers and serves them.
package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/telediag/telediag/telemetry"
)

var (
	errs   = prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})    // want `shop_errors_total: prometheus.NewCounter becomes &shopmetrics.Default.ShopErrorsTotal`
	flight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight"})           // want `shop_in_flight: prometheus.NewGauge becomes`
	temp   = prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_temperature_celsius"}) // want `shop_temperature_celsius: prometheus.NewGauge becomes`
)

func init() {
	// The runtime's collectors: telemetry serves them itself.
	prometheus.MustRegister(errs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})) // want `the registration of shop_errors_total, the Go collector, the process collector goes`
	prometheus.MustRegister(flight, collectors.NewBuildInfoCollector())                                                           // want `the registration of shop_in_flight goes`
	prometheus.DefaultRegisterer.MustRegister(temp)                                                                               // want `the registration of shop_temperature_celsius goes`
}

func main() { // want `main creates the telemetry pipeline and fills shopmetrics.Default before anything records; client_golang's default registry stays in use \(collectors.NewBuildInfoCollector\(\) stays registered there at testdata/src/wiring/main.go:23\), and tel.Handler\(\) serves it through telemetry.WithGatherer, without its Go and process collectors`
	reg := prometheus.NewRegistry()
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"}) // want `shop_request_duration_seconds: prometheus.NewHistogramVec becomes`
	reg.MustRegister(latency)                                                                                                  // want `the registration of shop_request_duration_seconds goes`
	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))                                                  // want `promhttp.HandlerFor becomes tel.Handler\(\)`

	other := prometheus.NewRegistry()
	requests := promauto.With(other).NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"code", "method"}) // want `shop_requests_total: promauto.NewCounterVec becomes`
	http.Handle("/other", promhttp.HandlerFor(other, promhttp.HandlerOpts{}))                                                       // want `promhttp.HandlerFor becomes tel.Handler\(\)`

	http.Handle("/open", promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{EnableOpenMetrics: true})) // want `promhttp.HandlerFor stays: HandlerOpts\{EnableOpenMetrics\} has no counterpart in tel.Handler\(\)`
	http.Handle("/default", promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{}))                     // want `promhttp.HandlerFor becomes tel.Handler\(\)`

	kept := prometheus.NewRegistry()
	kept.MustRegister(collectors.NewBuildInfoCollector())
	http.Handle("/kept", promhttp.HandlerFor(kept, promhttp.HandlerOpts{})) // want `promhttp.HandlerFor stays: the registry kept is also used at testdata/src/wiring/main.go:\d+`

	var third = prometheus.NewRegistry()
	builds := prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_builds_total", ConstLabels: prometheus.Labels{"version": "2"}}) // want `shop_builds_total: prometheus.NewCounter becomes`
	third.MustRegister(builds)                                                                                                         // want `the registration of shop_builds_total goes`
	http.Handle("/third", promhttp.HandlerFor(third, promhttp.HandlerOpts{}))                                                          // want `promhttp.HandlerFor becomes tel.Handler\(\)`
	builds.Inc()                                                                                                                       // want `Inc becomes builds.Add\(context.Background\(\), 1, "2"\)`

	mixed := prometheus.NewRegistry()
	queue := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"}) // want `shop_queue_length: prometheus.NewGaugeVec becomes`
	mixed.MustRegister(queue, collectors.NewBuildInfoCollector())                                       // want `the registration of shop_queue_length goes: NewInstruments creates the instruments and telemetry serves them; collectors.NewBuildInfoCollector\(\) stays on this registry, whose handler stays too: serve tel.Handler\(\) beside it`
	http.Handle("/mixed", promhttp.HandlerFor(mixed, promhttp.HandlerOpts{}))                           // want `promhttp.HandlerFor stays: the registry mixed is also used`
	queue.WithLabelValues("mail").Set(3)                                                                // want `Set becomes queue.Record\(context.Background\(\), 3, "mail"\)`

	latency.WithLabelValues("GET").Observe(0.5)  // want `Observe becomes latency.Record\(context.Background\(\), 0.5, "GET"\)`
	requests.WithLabelValues("200", "GET").Inc() // want `Inc becomes requests.Add`
	errs.Inc()                                   // want `Inc becomes errs.Add`
	flight.Inc()                                 // want `Inc becomes flight.Add`
	temp.Set(20)                                 // want `Set becomes temp.Record`
	http.Handle("/debug", debugMux())
	_ = http.ListenAndServe("127.0.0.1:8080", nil)
}

// debugMux serves /metrics where no pipeline is in scope.
func debugMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.Handler()) // want `promhttp.Handler\(\) stays: no \*telemetry.Telemetry is in scope here, and this is not main`
	return mux
}

// serve has the pipeline in scope, already migrated.
func serve(tel *telemetry.Telemetry) {
	http.Handle("/metrics", promhttp.Handler()) // want `promhttp.Handler becomes tel.Handler\(\)`
}
