//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"

	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument"
)

// e2eSummary creates, on tel's provider, a summary the way a generated catalogue creates one:
// rpc_seconds, labelled method, with client_golang's example objectives.
func e2eSummary(t *testing.T, tel *telemetry.Telemetry) *instrument.Summary[float64, [1]string] {
	t.Helper()
	s, err := instrument.NewSummary[float64](instrument.NewGroup(tel.MeterProvider().Meter("example.com/e2e/summaries")),
		"rpc_seconds", "RPC latency.", "s",
		instrument.SummaryOptions{Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}},
		func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("method", k[0])) })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recordSummary records 1, 2, … 1000 for method="get": count 1000, sum 500500, and quantiles
// 0.5 ≈ 500, 0.9 ≈ 900, 0.99 ≈ 990 within the objectives' rank errors.
func recordSummary(s *instrument.Summary[float64, [1]string]) {
	b := s.Bind([1]string{"get"})
	for v := 1; v <= 1000; v++ {
		b.Record(context.Background(), float64(v))
	}
}

// checkSummaryValues checks count, sum and quantiles against what recordSummary recorded.
func checkSummaryValues(count uint64, sum float64, quantiles map[float64]float64) error {
	if count != 1000 || sum != 500500 {
		return fmt.Errorf("count %d, sum %v; want 1000, 500500", count, sum)
	}
	for q, e := range map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001} {
		v, ok := quantiles[q]
		// Half an error more than the objective: client_golang's CKMS stream overshoots by a
		// few ranks at times (see instrument's TestSummaryMatchesClientGolang).
		if lo, hi := math.Ceil((q-1.5*e)*1000), math.Ceil((q+1.5*e)*1000); !ok || v < lo || v > hi {
			return fmt.Errorf("quantile %v = %v (present %v), want within [%v, %v]", q, v, ok, lo, hi)
		}
	}
	return nil
}

// TestSummaryAtCollector pushes a summary over OTLP, with cumulative and with delta
// temporality, to a real Collector: its debug exporter logs the points as OTel Summary data,
// and its Prometheus exporter serves them as a Prometheus summary with the quantiles, count and
// sum recorded.
func TestSummaryAtCollector(t *testing.T) {
	otelcol := binary(t, envOtelcol)
	for _, temporality := range []string{"cumulative", "delta"} {
		t.Run(temporality, func(t *testing.T) {
			ports, col := startDetailedCollector(t, otelcol)
			setPushEnv(t, ports, temporality, "summary-"+temporality, nil)
			ctx := context.Background()
			tel, err := telemetry.New(ctx, telemetry.WithoutRuntimeMetrics(), telemetry.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			recordSummary(e2eSummary(t, tel))
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("final push: %v", err)
			}
			waitFor(t, "the collector to serve rpc_seconds as a summary", 20*time.Second, func() error {
				fams, err := scrape(ports.metricsURL())
				if err != nil {
					return err
				}
				f := fams["rpc_seconds"]
				if f == nil || f.GetType() != dto.MetricType_SUMMARY {
					return fmt.Errorf("rpc_seconds: %v, want a summary", f)
				}
				for _, m := range f.GetMetric() {
					qs := map[float64]float64{}
					for _, q := range m.GetSummary().GetQuantile() {
						qs[q.GetQuantile()] = q.GetValue()
					}
					return checkSummaryValues(m.GetSummary().GetSampleCount(), m.GetSummary().GetSampleSum(), qs)
				}
				return fmt.Errorf("rpc_seconds has no series")
			}, col)
			log, err := os.ReadFile(col.logPath)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(log), "-> Name: rpc_seconds") || !strings.Contains(string(log), "-> DataType: Summary") {
				col.dumpLog(t)
				t.Fatal("the collector's debug exporter logged no Summary data for rpc_seconds")
			}
		})
	}
}

// TestSummaryOnPrometheus: a real Prometheus scraping a telediag pipeline's /metrics (the
// default path and the direct one) stores a summary's quantile series, selectable by
// {quantile="…"}, and its _count and _sum.
func TestSummaryOnPrometheus(t *testing.T) {
	promBin := binary(t, envPrometheus)
	for name, opts := range map[string][]telemetry.Option{
		"exporter": nil,
		"direct":   {telemetry.WithDirectScrape()},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			tel, err := telemetry.New(ctx, append([]telemetry.Option{telemetry.WithoutEnvironmentExporter(), telemetry.WithoutRuntimeMetrics(),
				telemetry.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(ctx) })
			recordSummary(e2eSummary(t, tel))
			srv := httptest.NewServer(tel.Handler())
			t.Cleanup(srv.Close)
			// The pipeline runs in this test's process: a target that never exits.
			self := &proc{name: "test process", done: make(chan struct{})}
			base, prom := startPrometheusFor(t, promBin, scrapeTarget{job: "summary", addr: srv.Listener.Addr().String(), path: "/metrics", proc: self})
			waitFor(t, "prometheus to store the quantile series", 20*time.Second, func() error {
				qs := map[float64]float64{}
				for _, q := range []string{"0.5", "0.9", "0.99"} {
					res, err := promQuery(base, fmt.Sprintf(`rpc_seconds{job="summary",method="get",quantile=%q}`, q))
					if err != nil {
						return err
					}
					v, err := res[0].float()
					if err != nil {
						return err
					}
					var qf float64
					fmt.Sscan(q, &qf)
					qs[qf] = v
				}
				var count, sum float64
				for series, into := range map[string]*float64{"rpc_seconds_count": &count, "rpc_seconds_sum": &sum} {
					res, err := promQuery(base, series+`{job="summary",method="get"}`)
					if err != nil {
						return err
					}
					if *into, err = res[0].float(); err != nil {
						return err
					}
				}
				return checkSummaryValues(uint64(count), sum, qs)
			}, prom)
		})
	}
}
