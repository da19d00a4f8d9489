package instrumenttest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func TestCollectDescribesEachKind(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	m := mp.Meter("scope")
	c, _ := m.Int64Counter("c")
	u, _ := m.Float64UpDownCounter("u")
	g, _ := m.Int64Gauge("g")
	h, _ := m.Float64Histogram("h")
	ab := metric.WithAttributes(attribute.String("b", "1"), attribute.String("a", "2"))
	c.Add(ctx, 1, ab)
	u.Add(ctx, 1)
	g.Record(ctx, 1, metric.WithAttributes(attribute.String("x", "1")))
	h.Record(ctx, 1, ab)
	other, _ := mp.Meter("other").Int64Counter("elsewhere")
	other.Add(ctx, 1)

	got := Collect(t, reader, "scope")
	want := map[string]string{"c": "counter: a,b", "u": "updowncounter: ", "g": "gauge: x", "h": "histogram: a,b"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}

// TestCountCallbacks: registrations count up, each Unregister counts down once, however often
// it is called, and the wrapped provider's readers see the instruments.
func TestCountCallbacks(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer sdk.Shutdown(ctx)
	mp := CountCallbacks(sdk)
	m := mp.Meter("scope")
	g, _ := m.Int64ObservableGauge("g")
	cb := func(_ context.Context, o metric.Observer) error { o.ObserveInt64(g, 1); return nil }
	r1, err := m.RegisterCallback(cb, g)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := m.RegisterCallback(cb, g)
	if mp.Live() != 2 {
		t.Fatalf("Live = %d after two registrations", mp.Live())
	}
	if got := Collect(t, reader, "scope"); got["g"] != "gauge: " {
		t.Fatalf("collected %v", got)
	}
	for range 2 {
		if err := r1.Unregister(); err != nil {
			t.Fatal(err)
		}
	}
	if mp.Live() != 1 {
		t.Fatalf("Live = %d after unregistering one twice", mp.Live())
	}
	_ = r2.Unregister()
	if mp.Live() != 0 {
		t.Fatalf("Live = %d after unregistering both", mp.Live())
	}
}
