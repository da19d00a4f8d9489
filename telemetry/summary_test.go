package telemetry

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// TestSummariesServedAndPushed: the test catalogue's summaries are Prometheus summaries on
// /metrics (the default path and the direct path, byte for byte) and OTel Summary points in the
// catalogue's scope on a cumulative or a delta push reader, with the same count, sum and
// quantiles; past the cardinality limit label sets fold into the otel_metric_overflow series
// with one warning; in every configuration of the pipeline (the fast path or not).
func TestSummariesServedAndPushed(t *testing.T) {
	configs := map[string][]Option{
		"fast histograms":   nil,
		"reader of its own": {WithReader(sdkmetric.NewManualReader())},
		"exemplars on":      {WithExemplarFilter(exemplar.AlwaysOnFilter)},
	}
	for _, temporality := range []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality} {
		for name, extra := range configs {
			t.Run(temporality.String()+"/"+name, func(t *testing.T) {
				ctx := context.Background()
				var log bytes.Buffer
				push := &captureExporter{temporality: temporality}
				tel, err := New(ctx, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithDirectScrape(),
					WithLogger(slog.New(slog.NewTextHandler(&log, nil))), WithCardinalityLimit(4),
					WithPushExporter(push, sdkmetric.WithInterval(time.Hour))}, extra...)...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tel.Shutdown(ctx) })
				f := withCatalogue(t, tel)
				i := f.Instruments

				// A label-less summary is served from its creation, as client_golang's.
				mfs, _ := scrape(t, f.Handler())
				if q := mfs["queue_items"]; q == nil || len(q.Metric) != 1 || q.Metric[0].GetSummary().GetSampleCount() != 0 {
					t.Fatalf("queue_items before any Record: %v", q)
				}

				get := i.PayloadBytes.Bind(testcatalog.OpGet)
				for v := range 1000 {
					get.Record(ctx, float64(v))
					i.PayloadBytes.Record(ctx, float64(2*v), testcatalog.OpPut)
				}
				i.QueueItems.Record(ctx, 3)
				i.QueueItems.Record(ctx, 4)
				// Past the limit of 4 (3 label sets and the overflow series).
				for _, op := range []string{"head", "list", "delete"} {
					i.PayloadBytes.RecordSet(ctx, 1, attribute.NewSet(attribute.String("op", op)))
				}

				if !compareWithExporter(t, f) {
					t.Fatal("the direct path did not serve the scrape")
				}
				mfs, _ = scrape(t, f.Handler())
				pb := mfs["payload_bytes"]
				if pb == nil || pb.GetType() != dto.MetricType_SUMMARY || pb.GetHelp() != i.PayloadBytes.Description() {
					t.Fatalf("payload_bytes on /metrics: %v", pb)
				}
				served := map[string]*dto.Summary{}
				for _, m := range pb.Metric {
					var ls []string
					for _, l := range m.GetLabel() {
						ls = append(ls, l.GetName()+"="+l.GetValue())
					}
					served[strings.Join(ls, ",")] = m.GetSummary()
				}
				if len(served) != 4 || served["op=get"].GetSampleCount() != 1000 || served["op=put"].GetSampleCount() != 1000 ||
					served["op=head"].GetSampleCount() != 1 || served["otel_metric_overflow=true"].GetSampleCount() != 2 {
					t.Fatalf("payload_bytes series: %v", served)
				}
				if qs := served["op=get"].GetQuantile(); len(qs) != 3 || qs[0].GetQuantile() != 0.5 || math.Abs(qs[0].GetValue()-500) > 50 ||
					qs[2].GetQuantile() != 0.99 || math.Abs(qs[2].GetValue()-990) > 2 {
					t.Errorf("op=get quantiles %v, want 0.5 ≈ 500 (±50 ranks), 0.99 ≈ 990 (±2: client_golang's stream overshoots its ±1 at times)", qs)
				}
				if q := mfs["queue_items"]; q.Metric[0].GetSummary().GetSampleCount() != 2 || q.Metric[0].GetSummary().GetSampleSum() != 7 || len(q.Metric[0].GetSummary().GetQuantile()) != 0 {
					t.Errorf("queue_items: %v", q)
				}
				if n := strings.Count(log.String(), "reached its cardinality limit"); n != 1 || !strings.Contains(log.String(), "instrument=payload_bytes") {
					t.Errorf("%d warnings, want one for payload_bytes:\n%s", n, log.String())
				}

				// Pushed twice: an OTLP summary's count and sum are cumulative whatever the
				// exporter's temporality.
				for round, wantGet := range []uint64{1000, 1001} {
					if round == 1 {
						get.Record(ctx, 5)
					}
					if err := f.provider.ForceFlush(ctx); err != nil {
						t.Fatal(err)
					}
					points := map[string]metricdata.SummaryDataPoint{}
					var found int
					for _, sm := range push.last().ScopeMetrics {
						for _, m := range sm.Metrics {
							if m.Name != "payload_bytes" {
								continue
							}
							found++
							if sm.Scope.Name != testcatalog.ScopeName || m.Unit != "By" || m.Description != i.PayloadBytes.Description() {
								t.Errorf("pushed in scope %q with unit %q, description %q", sm.Scope.Name, m.Unit, m.Description)
							}
							for _, dp := range m.Data.(metricdata.Summary).DataPoints {
								points[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp
							}
						}
					}
					if found != 1 || len(points) != 4 || points["op=get"].Count != wantGet || points["otel.metric.overflow=true"].Count != 2 {
						t.Fatalf("round %d: pushed payload_bytes %d times, points %v", round, found, points)
					}
					if round == 0 {
						// The same client_golang summary behind both: the same quantiles.
						for j, q := range points["op=get"].QuantileValues {
							if s := served["op=get"].GetQuantile()[j]; q.Quantile != s.GetQuantile() || q.Value != s.GetValue() {
								t.Errorf("OTLP quantile %v = %v, /metrics %v = %v", q.Quantile, q.Value, s.GetQuantile(), s.GetValue())
							}
						}
					}
				}
			})
		}
	}
}

// TestSummariesOnPlainProvider: a catalogue with summaries created from a plain SDK provider,
// not telemetry's, fails naming each summary, and its other instruments work.
func TestSummariesOnPlainProvider(t *testing.T) {
	provider := sdkmetric.NewMeterProvider()
	defer func() { _ = provider.Shutdown(context.Background()) }()
	i, err := testcatalog.NewInstruments(provider)
	for _, name := range []string{"payload_bytes", "queue_items"} {
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("create instrument %s: instrument: summary %s: the MeterProvider serves no summaries", name, name)) {
			t.Errorf("error %v does not name %s", err, name)
		}
	}
	i.PayloadBytes.Record(context.Background(), 1, testcatalog.OpGet) // a no-op
	i.RequestsTotal.Add(context.Background(), 1, "c")
	if err := i.Release(); err != nil {
		t.Fatal(err)
	}
}
