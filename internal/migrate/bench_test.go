package migrate

import (
	"context"
	"log/slog"
	"testing"

	"go.opentelemetry.io/otel/metric"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// The shape the fixer writes, on Teleport's catalogue: instruments_default.go's one
// package-level *Instruments, and a former promauto variable as a pointer to one of its
// fields. They are package-level on purpose (the only mutable package-level state of this
// package, and test-only): a package-level load is what the migrated call pays and what the
// benchmark measures.
var (
	shapeDefault = new(teleport.Instruments)
	shapeReads   = &shapeDefault.BackendReadRequestsTotal
	shapeLatency = &shapeDefault.BackendReadSeconds
)

// setShapeDefault is SupportFile's SetDefault for the test's catalogue.
func setShapeDefault(t testing.TB, mp metric.MeterProvider) *teleport.Instruments {
	t.Helper()
	i, err := teleport.NewInstruments(mp)
	if err != nil {
		t.Fatal(err)
	}
	*shapeDefault = *i
	t.Cleanup(func() { *shapeDefault = teleport.Instruments{}; _ = i.Release() })
	return i
}

// TestMigratedShapeRecords: a pointer taken into Default at package initialisation, before
// SetDefault fills it, records into the instruments SetDefault created.
func TestMigratedShapeRecords(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	shapeReads.Add(context.Background(), 5, "before") // a zero instrument: records nothing
	setShapeDefault(t, mp)
	ctx := context.Background()
	shapeReads.Add(ctx, 2, "backend")
	bound := shapeReads.Bind("backend")
	bound.Add(ctx, 1)
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	var got int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "backend_read_requests_total" {
				continue
			}
			sum, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("backend_read_requests_total collected as %T", m.Data)
			}
			for _, dp := range sum.DataPoints {
				if v, _ := dp.Attributes.Value("component"); v.AsString() == "before" {
					t.Errorf("a zero instrument recorded %d before SetDefault", dp.Value)
				}
				got += dp.Value
			}
		}
	}
	if got != 3 {
		t.Errorf("backend_read_requests_total = %d through the migrated pointer, want 3", got)
	}
}

// BenchmarkMigratedCall compares the calls the fixer writes (through a package-level pointer
// into Default) with the generated calls on an *Instruments in hand, on telemetry's provider as
// a migrated main creates it (SetDefault(tel.MeterProvider())): they should cost the same.
// benchstat -col /call compares them (docs/benchmarks.md, "The fixer's calls").
func BenchmarkMigratedCall(b *testing.B) {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.WithoutEnvironmentExporter(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	metrics := setShapeDefault(b, tel.MeterProvider())
	bound, shapeBound := metrics.BackendReadRequestsTotal.Bind("backend"), shapeReads.Bind("backend")
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"kind=counter/call=generated", func() { metrics.BackendReadRequestsTotal.Add(ctx, 1, "backend") }},
		{"kind=counter/call=migrated", func() { shapeReads.Add(ctx, 1, "backend") }},
		{"kind=counter-bound/call=generated", func() { bound.Add(ctx, 1) }},
		{"kind=counter-bound/call=migrated", func() { shapeBound.Add(ctx, 1) }},
		{"kind=histogram/call=generated", func() { metrics.BackendReadSeconds.Record(ctx, 0.004, "backend") }},
		{"kind=histogram/call=migrated", func() { shapeLatency.Record(ctx, 0.004, "backend") }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.f()
			}
		})
	}
}
