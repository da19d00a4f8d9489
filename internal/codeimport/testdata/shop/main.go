// Command shop records into the metrics package's families.
package main

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"example.com/shop/metrics"
)

func handle(w http.ResponseWriter, r *http.Request) {
	metrics.InFlight.Inc()
	defer metrics.InFlight.Dec()
	start := time.Now()
	metrics.Requests.WithLabelValues("node", "cpu").Inc()
	metrics.Latency.WithLabelValues("eu", "a").Observe(time.Since(start).Seconds())
	metrics.Sizes.Observe(float64(r.ContentLength))
	metrics.Payload.WithLabelValues(r.URL.Path).Observe(1)
	timer := prometheus.NewTimer(metrics.Waits)
	defer timer.ObserveDuration()
}

func main() {
	metrics.Temperature.Set(21.5)
	reg := prometheus.NewRegistry()
	s := metrics.NewServer(reg)
	s.Enqueue("q", "high")
	s.Done("q", "high", 1)
	reg.MustRegister(metrics.NewCacheCollector())
	http.HandleFunc("/", handle)
	http.Handle("/metrics", promhttp.Handler())
	_ = http.ListenAndServe("127.0.0.1:0", nil)
}
