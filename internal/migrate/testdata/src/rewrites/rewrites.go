// Package rewrites has a call of every kind the fixer rewrites.
package rewrites

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The labels are declared method first; the catalogue declares code first.
var requests = promauto.NewCounterVec(prometheus.CounterOpts{ // want `shop_requests_total: promauto.NewCounterVec becomes &shopmetrics.Default.ShopRequestsTotal`
	Namespace: "shop",
	Name:      "requests_total",
	Help:      "Requests answered.",
}, []string{"method", "code"})

// A native histogram besides the classic buckets: the catalogue cannot carry it yet, and the
// rewrite says it drops it.
var latency = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds", Buckets: prometheus.DefBuckets, NativeHistogramBucketFactor: 1.1, NativeHistogramMaxBucketNumber: 100}, []string{"method"}) // want `shop_request_duration_seconds: promauto.NewHistogramVec becomes &shopmetrics.Default.ShopRequestDurationSeconds; NativeHistogramBucketFactor, NativeHistogramMaxBucketNumber are not carried: the catalogue's entry declares no native:, so only the classic buckets are served; declare native: there to keep the native histogram, as instrumentgen import writes it from these options`

var orders = promauto.NewCounterVec(prometheus.CounterOpts{Namespace: "shop", Subsystem: "orders", Name: "total"}, []string{"outcome"}) // want `shop_orders_total: promauto.NewCounterVec becomes`

var inFlight = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight"}) // want `shop_in_flight: promauto.NewGauge becomes`

var temperature = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_temperature_celsius"}) // want `shop_temperature_celsius: promauto.NewGauge becomes`

var queue = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"}) // want `shop_queue_length: promauto.NewGaugeVec becomes`

var builds = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_builds_total", ConstLabels: prometheus.Labels{"version": "1.2.3"}}) // want `shop_builds_total: promauto.NewCounter becomes`

var payload = promauto.NewSummary(prometheus.SummaryOpts{Name: "shop_payload_bytes", Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}}) // want `shop_payload_bytes: promauto.NewSummary becomes &shopmetrics.Default.ShopPayloadBytes`

func handle(w http.ResponseWriter, r *http.Request) {
	payload.Observe(float64(r.ContentLength)) // want `shop_payload_bytes: Observe becomes payload.Record\(r.Context\(\), float64\(r.ContentLength\)\)`
	start := time.Now()
	requests.WithLabelValues(r.Method, "200").Inc()                              // want `shop_requests_total: Inc becomes requests.Add\(r.Context\(\), 1, "200", r.Method\)`
	requests.With(prometheus.Labels{"method": "GET", "code": "404"}).Add(2)      // want `shop_requests_total: Add becomes requests.Add\(r.Context\(\), 2, "404", "GET"\)`
	latency.WithLabelValues(r.Method).Observe(time.Since(start).Seconds())       // want `shop_request_duration_seconds: Observe becomes`
	requests.WithLabelValues(strings.ToUpper(r.Method), strconv.Itoa(201)).Inc() // want `shop_requests_total: Inc becomes requests.Add\(r.Context\(\), 1, strconv.Itoa\(201\), strings.ToUpper\(r.Method\)\)`
	orders.WithLabelValues("ok").Inc()                                           // want `shop_orders_total: Inc becomes orders.Add\(r.Context\(\), 1, "ok"\)`
	outcome := r.URL.Query().Get("outcome")
	orders.WithLabelValues(outcome).Add(float64(len(outcome))) // want `shop_orders_total: Add becomes orders.Add\(r.Context\(\), int64\(len\(outcome\)\), shopmetrics.OutcomeAttr\(outcome\)\)`
}

func work(ctx context.Context, items []string) {
	inFlight.Inc()                                         // want `shop_in_flight: Inc becomes inFlight.Add\(ctx, 1\)`
	defer inFlight.Dec()                                   // want `shop_in_flight: Dec becomes inFlight.Add\(ctx, -1\)`
	inFlight.Add(3)                                        // want `shop_in_flight: Add becomes inFlight.Add\(ctx, 3\)`
	inFlight.Sub(3)                                        // want `shop_in_flight: Sub becomes inFlight.Add\(ctx, -3\)`
	temperature.Set(21.5)                                  // want `shop_temperature_celsius: Set becomes temperature.Record\(ctx, 21.5\)`
	temperature.SetToCurrentTime()                         // want `shop_temperature_celsius: SetToCurrentTime becomes`
	queue.WithLabelValues("mail").Set(float64(len(items))) // want `shop_queue_length: Set becomes queue.Record\(ctx, int64\(len\(items\)\), "mail"\)`
	builds.Inc()                                           // want `shop_builds_total: Inc becomes builds.Add\(ctx, 1, "1.2.3"\)`
}

// A child kept for a hot path becomes a bound instrument.
func hot(n int) {
	ok := requests.WithLabelValues("GET", "200") // want `shop_requests_total: a kept child becomes requests.Bind\("200", "GET"\)`
	for i := 0; i < n; i++ {
		ok.Inc() // want `shop_requests_total: Inc becomes ok.Add\(context.Background\(\), 1\)`
	}
}
