package promimport

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/scrape"
	"github.com/telediag/telediag/internal/tlsflags"
)

// bigService is a client_golang service serving 10,000 and more series the way services do:
// request counters by handler and code, per-shard gauges, latency histograms by handler, and
// the Go and process collectors.
func bigService(b *testing.B) *httptest.Server {
	b.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	codes := []string{"200", "201", "400", "404", "500"}
	for f := range 50 {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: fmt.Sprintf("api_%d_requests_total", f), Help: "Requests answered, by handler and code."}, []string{"handler", "code"})
		reg.MustRegister(c)
		for h := range 20 {
			for _, code := range codes {
				c.WithLabelValues(fmt.Sprintf("/api/v1/resource%d", h), code).Add(float64(h))
			}
		}
	}
	for f := range 20 {
		g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: fmt.Sprintf("store_%d_shard_bytes", f), Help: "Bytes held, by shard."}, []string{"shard"})
		reg.MustRegister(g)
		for s := range 100 {
			g.WithLabelValues(fmt.Sprint(s)).Set(float64(s) * 1024)
		}
	}
	for f := range 5 {
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: fmt.Sprintf("api_%d_request_duration_seconds", f), Help: "Time to answer, by handler.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 12)}, []string{"handler"})
		reg.MustRegister(h)
		for l := range 40 {
			h.WithLabelValues(fmt.Sprintf("/api/v1/resource%d", l)).Observe(0.01 * float64(l))
		}
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkImport10kSeries is `instrumentgen import URL` on a 10,000-series /metrics: the
// fetch (gzipped, as Prometheus asks), the decoding, the import and its validation by the
// catalogue loader and the generator. The bound is a second per import.
func BenchmarkImport10kSeries(b *testing.B) {
	srv := bigService(b)
	u, err := tlsflags.ParseURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{}}
	// Count the series once: every sample line of the text format is one.
	exp, err := scrape.Fetch(context.Background(), client, u, scrape.PrometheusFormats)
	if err != nil {
		b.Fatal(err)
	}
	series := 0
	for _, f := range exp.Families {
		for _, m := range f.GetMetric() {
			switch {
			case m.GetHistogram() != nil:
				series += len(finiteBounds(m.GetHistogram())) + 3 // and le="+Inf", _sum, _count
			case m.GetSummary() != nil:
				series += len(m.GetSummary().GetQuantile()) + 2
			default:
				series++
			}
		}
	}
	if series < 10000 {
		b.Fatalf("the fixture serves %d series, want at least 10,000", series)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		exp, err := scrape.Fetch(context.Background(), client, u, scrape.PrometheusFormats)
		if err != nil {
			b.Fatal(err)
		}
		res, err := Import(exp.Families, Options{Source: srv.URL})
		if err != nil {
			b.Fatal(err)
		}
		if res.Metrics != 75 || !bytes.Contains(res.YAML, []byte("api_4_request_duration_seconds")) {
			b.Fatalf("imported %d metrics", res.Metrics)
		}
	}
	b.ReportMetric(float64(series), "series")
}

func finiteBounds(h *dto.Histogram) []float64 {
	var out []float64
	for _, b := range h.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			out = append(out, b.GetUpperBound())
		}
	}
	return out
}
