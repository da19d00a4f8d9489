// Package timers has every prometheus.NewTimer shape the fixer rewrites into time.Now and a
// Record of the seconds since.
package timers

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var latency = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds", Buckets: []float64{0.1, 1}}, []string{"method"}) // want `shop_request_duration_seconds: promauto.NewHistogramVec becomes`

var payload = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `shop_payload_bytes: promauto.NewSummary becomes`

// The common shape: a deferred ObserveDuration.
func deferred(ctx context.Context) {
	timer := prometheus.NewTimer(latency.WithLabelValues("GET")) // want `shop_request_duration_seconds: prometheus.NewTimer becomes start := time.Now\(\)`
	defer timer.ObserveDuration()                                // want `shop_request_duration_seconds: ObserveDuration becomes func\(\) { latency.Record\(ctx, time.Since\(start\).Seconds\(\), "GET"\) }\(\)`
	work()
}

// ObserveDuration called where the work ends, in a function that names start already: the
// timer's own name keeps the start time.
func direct(ctx context.Context, start int) {
	t := prometheus.NewTimer(payload) // want `shop_payload_bytes: prometheus.NewTimer becomes t := time.Now\(\)`
	work()
	if start > 0 {
		t.ObserveDuration() // want `shop_payload_bytes: ObserveDuration becomes payload.Record\(ctx, time.Since\(t\).Seconds\(\)\)`
		return
	}
	t.ObserveDuration() // want `shop_payload_bytes: ObserveDuration becomes payload.Record\(ctx, time.Since\(t\).Seconds\(\)\)`
}

// The one-line shape: the start is taken when the defer runs, as NewTimer took it.
func handle(w http.ResponseWriter, r *http.Request) {
	defer prometheus.NewTimer(latency.WithLabelValues(r.Method)).ObserveDuration() // want `shop_request_duration_seconds: prometheus.NewTimer\(…\).ObserveDuration\(\) becomes func\(start time.Time\) { latency.Record\(r.Context\(\), time.Since\(start\).Seconds\(\), r.Method\) }\(time.Now\(\)\)`
	work()
}

// A bound child timed: its labels are bound.
func bound(ctx context.Context) {
	obs := latency.WithLabelValues("PUT") // want `shop_request_duration_seconds: a kept child becomes latency.Bind\("PUT"\)`
	timer := prometheus.NewTimer(obs)     // want `shop_request_duration_seconds: prometheus.NewTimer becomes start := time.Now\(\)`
	defer timer.ObserveDuration()         // want `shop_request_duration_seconds: ObserveDuration becomes func\(\) { obs.Record\(ctx, time.Since\(start\).Seconds\(\)\) }\(\)`
	work()
}

// Two timers in one function: each keeps its own name, so that two starts do not meet.
func twice(ctx context.Context) {
	whole := prometheus.NewTimer(payload)                       // want `shop_payload_bytes: prometheus.NewTimer becomes whole := time.Now\(\)`
	defer whole.ObserveDuration()                               // want `shop_payload_bytes: ObserveDuration becomes func\(\) { payload.Record\(ctx, time.Since\(whole\).Seconds\(\)\) }\(\)`
	step := prometheus.NewTimer(latency.WithLabelValues("GET")) // want `shop_request_duration_seconds: prometheus.NewTimer becomes step := time.Now\(\)`
	work()
	step.ObserveDuration() // want `shop_request_duration_seconds: ObserveDuration becomes latency.Record\(ctx, time.Since\(step\).Seconds\(\), "GET"\)`
}

func work() {}
