package migrate

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

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
func setShapeDefault(t testing.TB, mp *sdkmetric.MeterProvider) *teleport.Instruments {
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

// BenchmarkMigratedCall compares the call the fixer writes (a package-level pointer into
// Default) with the generated call on an *Instruments in hand: they should cost the same.
// Smoke only here (-benchtime=100x); the figures are the record path's, in benchmarks.md.
func BenchmarkMigratedCall(b *testing.B) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(context.Background())
	metrics := setShapeDefault(b, mp)
	ctx := context.Background()
	b.Run("counter/generated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.BackendReadRequestsTotal.Add(ctx, 1, "backend")
		}
	})
	b.Run("counter/migrated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			shapeReads.Add(ctx, 1, "backend")
		}
	})
	b.Run("histogram/generated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.BackendReadSeconds.Record(ctx, 0.004, "backend")
		}
	})
	b.Run("histogram/migrated", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			shapeLatency.Record(ctx, 0.004, "backend")
		}
	})
}
