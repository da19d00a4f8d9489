//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// TestTemporalityAtCollector pushes batched counters (bound, unbound, label-less) and an
// up-down counter, and histograms on the fast path (bound, unbound, label-less), from the
// library to a real collector, with cumulative and with delta temporality, while goroutines
// record across several export intervals. The collector's Prometheus exporter (which
// accumulates deltas, histograms only when each delta starts where the previous one ended) must
// end up with exactly the number of adds and recordings, and their sums.
func TestTemporalityAtCollector(t *testing.T) {
	otelcol := binary(t, envOtelcol)
	for _, temporality := range []string{"cumulative", "delta"} {
		t.Run(temporality, func(t *testing.T) {
			ports := newCollectorPorts(t)
			col := startCollector(t, otelcol, writeCollectorConfig(t, ports), ports)
			for k, v := range map[string]string{
				"OTEL_EXPORTER_OTLP_ENDPOINT":                       ports.otlpEndpoint("grpc"),
				"OTEL_EXPORTER_OTLP_PROTOCOL":                       "grpc",
				"OTEL_METRIC_EXPORT_INTERVAL":                       "200",
				"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": temporality,
				"OTEL_SERVICE_NAME":                                 "temporality-" + temporality,
			} {
				t.Setenv(k, v)
			}
			ctx := context.Background()
			tel, err := telemetry.New(ctx, telemetry.WithoutRuntimeMetrics(), telemetry.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			monitor, err := probes.New()
			if err != nil {
				t.Fatal(err)
			}
			metrics, err := teleport.New(tel.MeterProvider(), monitor)
			if err != nil {
				t.Fatal(err)
			}
			const goroutines, rounds, perRound = 4, 10, 250
			var wg sync.WaitGroup
			for g := range goroutines {
				wg.Go(func() {
					bound := metrics.BackendReadRequestsTotal.Bind("e2e-bound")
					boundSeconds := metrics.BackendReadSeconds.Bind("e2e-bound")
					for range rounds {
						for range perRound {
							bound.Add(ctx, 1)
							metrics.BackendReadRequestsTotal.Add(ctx, 2, fmt.Sprint("e2e-", g%2))
							metrics.AuditFailedEmitEvents.Add(ctx, 1)
							boundSeconds.Record(ctx, 0.5)
							metrics.BackendReadSeconds.Record(ctx, 0.25, fmt.Sprint("e2e-", g%2))
							metrics.EtcdBackendReadSeconds.Record(ctx, 0.125)
						}
						time.Sleep(60 * time.Millisecond) // spread the adds over several pushes
					}
				})
			}
			wg.Wait()
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("final push: %v", err)
			}
			total := float64(goroutines * rounds * perRound)
			want := map[string]float64{
				`backend_read_requests_total{component="e2e-bound"}`: total,
				`backend_read_requests_total{component="e2e-0"}`:     total, // two goroutines × 2
				`backend_read_requests_total{component="e2e-1"}`:     total,
				`audit_failed_emit_events{}`:                         total,
			}
			waitFor(t, "the collector's totals to equal the adds", 20*time.Second, func() error {
				fams, err := scrape(ports.metricsURL())
				if err != nil {
					return err
				}
				for series, v := range want {
					if got, ok := seriesValue(fams, series); !ok || got != v {
						return fmt.Errorf("%s = %v (present %v), want %v", series, got, ok, v)
					}
				}
				for series, v := range map[string][2]float64{ // count, sum
					`backend_read_seconds{component="e2e-bound"}`: {total, total * 0.5},
					`backend_read_seconds{component="e2e-0"}`:     {total / 2, total / 2 * 0.25},
					`backend_read_seconds{component="e2e-1"}`:     {total / 2, total / 2 * 0.25},
					`etcd_backend_read_seconds{}`:                 {total, total * 0.125},
				} {
					if count, sum, ok := histogramValue(fams, series); !ok || count != v[0] || sum != v[1] {
						return fmt.Errorf("%s: count %v, sum %v (present %v), want %v", series, count, sum, ok, v)
					}
				}
				return nil
			}, col)
		})
	}
}

// histogramValue finds the histogram `name{label="value"}` (at most one label) or `name{}` among
// fams and returns its count and sum, ignoring the labels the collector adds.
func histogramValue(fams map[string]*dto.MetricFamily, series string) (count, sum float64, ok bool) {
	name, inner, _ := strings.Cut(strings.TrimSuffix(series, "}"), "{")
	key, value, _ := strings.Cut(inner, "=")
	value = strings.Trim(value, `"`)
	for _, m := range fams[name].GetMetric() {
		if m.Histogram == nil || key != "" && !slices.ContainsFunc(m.GetLabel(), func(lp *dto.LabelPair) bool {
			return lp.GetName() == key && lp.GetValue() == value
		}) {
			continue
		}
		return float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum(), true
	}
	return 0, 0, false
}

// seriesValue finds `name{label="value"}` (at most one label) or `name{}` among fams,
// ignoring the labels the collector adds (job, instance).
func seriesValue(fams map[string]*dto.MetricFamily, series string) (float64, bool) {
	name, inner, _ := strings.Cut(strings.TrimSuffix(series, "}"), "{")
	key, value, _ := strings.Cut(inner, "=")
	value = strings.Trim(value, `"`)
	for _, m := range fams[name].GetMetric() {
		if key != "" && !slices.ContainsFunc(m.GetLabel(), func(lp *dto.LabelPair) bool {
			return lp.GetName() == key && lp.GetValue() == value
		}) {
			continue
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue(), true
		}
		return m.GetGauge().GetValue(), true
	}
	return 0, false
}
