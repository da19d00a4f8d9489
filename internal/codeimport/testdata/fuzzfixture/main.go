// Command fuzz is FuzzCodeImport's fixture: the packages its inputs may import are this file's
// imports, type-checked once; each input is then type-checked as a main.go against them.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	n = flag.Int("n", 3, "a count")

	requests = promauto.NewCounterVec(prometheus.CounterOpts{Namespace: "fuzz", Name: "requests_total", Help: "Requests."}, []string{"code", "method"})
	inflight = promauto.NewGauge(prometheus.GaugeOpts{Name: "fuzz_in_flight", Help: fmt.Sprint("In flight.")})
	latency  = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "fuzz_seconds", Help: "Latency.", Buckets: prometheus.ExponentialBuckets(0.01, 2, *n)}, strings.Fields("a b"))
	sizes    = promauto.NewSummary(prometheus.SummaryOpts{Name: "fuzz_bytes", Help: "Sizes.", Objectives: map[float64]float64{0.5: 0.05}, MaxAge: time.Minute})
)

func main() {
	inflight.Inc()
	defer inflight.Dec()
	requests.WithLabelValues("200", http.MethodGet).Add(2)
	latency.WithLabelValues("x", "y").Observe(0.1)
	sizes.Observe(float64(len(os.Args)))
	prometheus.MustRegister(latency)
}
