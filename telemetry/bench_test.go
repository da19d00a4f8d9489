package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The benchmarks measure each generated OTel path beside its client_golang equivalent in the
// same run (sub-benchmarks impl=otel and impl=client_golang), so the ratio is not a comparison
// across machines or days. Compare with:
//
//	go test -run '^$' -bench . -benchmem -count 10 ./telemetry/ > bench.txt
//	benchstat -col /impl bench.txt
//
// Results and the machine they were measured on are in docs/benchmarks.md.

func benchTelemetry(b *testing.B, opts ...Option) *Telemetry {
	b.Helper()
	tel, err := New(context.Background(), opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

func BenchmarkBoundCounterAdd(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=otel", func(b *testing.B) {
		c := benchTelemetry(b).Instruments.BackendReadRequestsTotal.Bind("backend")
		b.ReportAllocs()
		for b.Loop() {
			c.Add(ctx, 1)
		}
	})
	b.Run("impl=client_golang", func(b *testing.B) {
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "backend_read_requests_total", Help: "h"}, []string{"component"})
		c := vec.WithLabelValues("backend")
		b.ReportAllocs()
		for b.Loop() {
			c.Add(1)
		}
	})
}

func BenchmarkCounterAddOneLabel(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=otel", func(b *testing.B) {
		c := benchTelemetry(b).Instruments.BackendReadRequestsTotal
		b.ReportAllocs()
		for b.Loop() {
			c.Add(ctx, 1, "backend")
		}
	})
	b.Run("impl=client_golang", func(b *testing.B) {
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "backend_read_requests_total", Help: "h"}, []string{"component"})
		b.ReportAllocs()
		for b.Loop() {
			vec.WithLabelValues("backend").Add(1)
		}
	})
}

func BenchmarkBoundHistogramRecord(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=otel", func(b *testing.B) {
		h := benchTelemetry(b).Instruments.BackendReadSeconds.Bind("backend")
		b.ReportAllocs()
		for b.Loop() {
			h.Record(ctx, 0.003)
		}
	})
	b.Run("impl=client_golang", func(b *testing.B) {
		vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "backend_read_seconds", Help: "h", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
		}, []string{"component"})
		h := vec.WithLabelValues("backend")
		b.ReportAllocs()
		for b.Loop() {
			h.Observe(0.003)
		}
	})
}

// BenchmarkScrape10kSeries serves one full /metrics page holding 10,000 series of
// backend_read_requests_total (distinct component values) plus the Go, process and promhttp
// families, through each implementation's own handler stack.
func BenchmarkScrape10kSeries(b *testing.B) {
	const series = 10_000
	ctx := context.Background()
	run := func(b *testing.B, h http.Handler) {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept", "text/plain;version=0.0.4")
		b.ReportAllocs()
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("HTTP %d", rec.Code)
			}
		}
	}
	b.Run("impl=otel", func(b *testing.B) {
		tel := benchTelemetry(b)
		for i := range series {
			tel.Instruments.BackendReadRequestsTotal.Add(ctx, 1, "c"+strconv.Itoa(i))
		}
		run(b, tel.Handler())
	})
	b.Run("impl=client_golang", func(b *testing.B) {
		reg := prometheus.NewRegistry()
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "backend_read_requests_total", Help: "Number of read requests to the backend."}, []string{"component"})
		reg.MustRegister(vec, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newMemStatsCollector())
		for i := range series {
			vec.WithLabelValues("c" + strconv.Itoa(i)).Add(1)
		}
		run(b, promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	})
}
