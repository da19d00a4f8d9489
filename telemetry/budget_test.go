package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/instrument"
)

// TestSeriesBudget: a metric's max_series holds it to that many label sets and the overflow
// series, on /metrics and at a push reader, for a counter, a gauge, a histogram and a summary;
// a metric without one keeps the pipeline's limit.
func TestSeriesBudget(t *testing.T) {
	// Without a reader of its own the pipeline records counters, gauges and histograms on the
	// fast path; with one (the push reader), on the SDK's.
	t.Run("fast path", func(t *testing.T) { testSeriesBudget(t, nil) })
	t.Run("SDK path and push reader", func(t *testing.T) { testSeriesBudget(t, sdkmetric.NewManualReader()) })
}

func testSeriesBudget(t *testing.T, reader *sdkmetric.ManualReader) {
	ctx := context.Background()
	opts := []Option{WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithLogger(discardLogger())}
	if reader != nil {
		opts = append(opts, WithReader(reader))
	}
	tel := newTestTelemetry(t, opts...)
	m := tel.MeterProvider().Meter("example.com/budget")
	g := instrument.NewGroup(m)
	for _, name := range []string{"b_total", "b_gauge", "b_seconds", "b_bytes"} {
		if !g.Serves(instrument.Lifecycle{Name: name, Enabled: true, MaxSeries: 2}) {
			t.Fatal("not served")
		}
	}
	g.Serves(instrument.Lifecycle{Name: "free_total", Enabled: true})
	attrs := func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("user", k[0])) }
	ci, _ := m.Int64Counter("b_total")
	c, err := instrument.NewCounter(g, "b_total", metric.Int64Counter(ci), attrs)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := m.Int64Counter("free_total")
	free, err := instrument.NewCounter(g, "free_total", metric.Int64Counter(fi), attrs)
	if err != nil {
		t.Fatal(err)
	}
	gi, _ := m.Int64Gauge("b_gauge")
	gauge, err := instrument.NewRecorder(g, "b_gauge", metric.Int64Gauge(gi), attrs)
	if err != nil {
		t.Fatal(err)
	}
	hi, _ := m.Float64Histogram("b_seconds", metric.WithExplicitBucketBoundaries(1))
	h, err := instrument.NewRecorder(g, "b_seconds", metric.Float64Histogram(hi), attrs)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range []any{ci, fi, gi, hi} {
		if instrument.OnFastPath(inst) != (reader == nil) {
			t.Fatalf("%T is on the fast path: %v", inst, instrument.OnFastPath(inst))
		}
	}
	s, err := instrument.NewSummary[float64](g, "b_bytes", "Sizes.", "By", instrument.SummaryOptions{}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	for u := range 5 {
		k := [1]string{fmt.Sprint("u", u)}
		c.Add(ctx, 1, k)
		free.Add(ctx, 1, k)
		gauge.Record(ctx, 1, k)
		h.Record(ctx, 0.5, k)
		s.Record(ctx, 1, k)
	}
	got, text := scrape(t, tel.Handler())
	for _, name := range []string{"b_total", "b_gauge", "b_seconds", "b_bytes"} {
		series := seriesOf(got[name])
		if len(series) != 3 || !strings.Contains(strings.Join(series, "\n"), `otel_metric_overflow="true"`) {
			t.Errorf("%s: %d series, want 2 and the overflow series:\n%s", name, len(series), strings.Join(series, "\n"))
		}
	}
	if n := len(seriesOf(got["free_total"])); n != 5 {
		t.Errorf("free_total: %d series, want 5 (the pipeline's limit):\n%s", n, text)
	}
	if reader == nil {
		return
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			n := 0
			switch d := mt.Data.(type) {
			case metricdata.Sum[int64]:
				n = len(d.DataPoints)
			case metricdata.Gauge[int64]:
				n = len(d.DataPoints)
			case metricdata.Histogram[float64]:
				n = len(d.DataPoints)
			case metricdata.Summary:
				n = len(d.DataPoints)
			}
			if strings.HasPrefix(mt.Name, "b_") && n != 3 {
				t.Errorf("push reader: %s has %d series, want 3", mt.Name, n)
			}
		}
	}
}

// discardLogger keeps the overflow warnings, expected here, out of the test's output.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
