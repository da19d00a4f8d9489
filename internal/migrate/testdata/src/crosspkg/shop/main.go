// Command shop wires the metrics into the server and serves them.
package main

import (
	"context"
	"net/http"

	"crosspkg/metrics"
	"crosspkg/server"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func main() { // want `main creates the telemetry pipeline and fills shopmetrics.Default before anything records`
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"}) // want `shop_request_duration_seconds: prometheus.NewHistogramVec becomes`
	prometheus.MustRegister(latency)                                                                                           // want `the registration of shop_request_duration_seconds goes`
	s := server.New(metrics.Requests, latency)
	s.Serve(context.Background(), "200")
	s.Requests().WithLabelValues("POST", "201").Inc() // want `shop_requests_total: Inc becomes s.Requests\(\).Add\(context.Background\(\), 1, "201", "POST"\)`
	http.Handle("/metrics", promhttp.Handler())       // want `promhttp.Handler becomes tel.Handler\(\)`
	_ = http.ListenAndServe("127.0.0.1:8080", nil)
}
