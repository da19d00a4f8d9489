package instrument

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

// TestGroupDrainsWithOneCallback: however many counters a group has, it registers one callback,
// which drains them all.
func TestGroupDrainsWithOneCallback(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := instrumenttest.CountCallbacks(newProvider(t, sdkmetric.WithReader(r)))
	m := mp.Meter("test")
	g := NewGroup(m)
	if mp.Live() != 0 {
		t.Fatalf("an empty group registered %d callbacks", mp.Live())
	}
	ctx := context.Background()
	for i := range 5 {
		name := fmt.Sprint("c", i)
		inst, _ := m.Int64Counter(name)
		c, err := NewCounter(g, name, metric.Int64Counter(inst), attrs1)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(ctx, int64(i+1), [1]string{"a"})
	}
	if mp.Live() != 1 {
		t.Fatalf("5 counters registered %d callbacks, want 1", mp.Live())
	}
	got := sums(t, r)
	for i := range 5 {
		if v := got[fmt.Sprint("c", i)]["component=a"]; v != float64(i+1) {
			t.Errorf("c%d = %v, want %d", i, v, i+1)
		}
	}
	NewGroup(m).addCounter(&Counter[int64, [1]string]{})
	if mp.Live() != 2 {
		t.Fatalf("two groups registered %d callbacks, want 2", mp.Live())
	}
}

// TestGroupRelease: Release unregisters the drain and every callback registered through the
// group, is idempotent, and refuses new counters and callbacks afterwards.
func TestGroupRelease(t *testing.T) {
	r := sdkmetric.NewManualReader()
	mp := instrumenttest.CountCallbacks(newProvider(t, sdkmetric.WithReader(r)))
	m := mp.Meter("test")
	g := NewGroup(m)
	ctx := context.Background()
	inst, _ := m.Int64Counter("n")
	c, err := NewCounter(g, "n", metric.Int64Counter(inst), attrs1)
	if err != nil {
		t.Fatal(err)
	}
	obs, _ := m.Int64ObservableGauge("g")
	for i := range 3 {
		if _, err := g.RegisterCallback(func(_ context.Context, o metric.Observer) error {
			o.ObserveInt64(obs, int64(i), metric.WithAttributes(attribute.Int("i", i)))
			return nil
		}, obs); err != nil {
			t.Fatal(err)
		}
	}
	c.Add(ctx, 3, [1]string{"a"})
	if got := sums(t, r)["n"]["component=a"]; got != 3 {
		t.Fatalf("n = %v before Release, want 3", got)
	}
	if got := sums(t, r)["g"]; len(got) != 3 {
		t.Fatalf("g = %v before Release, want 3 series", got)
	}
	if mp.Live() != 4 {
		t.Fatalf("%d callbacks, want 4 (a drain and 3 observers)", mp.Live())
	}
	if err := g.Release(); err != nil {
		t.Fatal(err)
	}
	if mp.Live() != 0 {
		t.Fatalf("%d callbacks left after Release", mp.Live())
	}
	c.Add(ctx, 5, [1]string{"a"})
	if got := sums(t, r)["n"]["component=a"]; got != 3 {
		t.Errorf("n = %v after Release, want 3: a released counter is no longer drained", got)
	}
	if got := sums(t, r)["g"]; len(got) != 0 {
		t.Errorf("g = %v after Release, want no series", got)
	}
	if err := g.Release(); err != nil {
		t.Errorf("second Release: %v", err)
	}
	if _, err := NewCounter(g, "n", metric.Int64Counter(inst), attrs1); !errors.Is(err, errReleased) {
		t.Errorf("NewCounter on a released group: err = %v", err)
	}
	if _, err := g.RegisterCallback(func(context.Context, metric.Observer) error { return nil }, obs); !errors.Is(err, errReleased) {
		t.Errorf("RegisterCallback on a released group: err = %v", err)
	}
	if mp.Live() != 0 {
		t.Fatalf("%d callbacks after refused registrations", mp.Live())
	}
}

// TestRegistrationUnregisterForgets: a callback unregistered by its caller is forgotten by the
// group, so registering and unregistering repeatedly does not grow it, and Release does not
// unregister it a second time.
func TestRegistrationUnregisterForgets(t *testing.T) {
	mp := instrumenttest.CountCallbacks(newProvider(t))
	m := mp.Meter("test")
	obs, _ := m.Int64ObservableGauge("g")
	g := NewGroup(m)
	var last metric.Registration
	for range 100 {
		reg, err := g.RegisterCallback(func(context.Context, metric.Observer) error { return nil }, obs)
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Unregister(); err != nil {
			t.Fatal(err)
		}
		if err := reg.Unregister(); err != nil {
			t.Fatalf("second Unregister: %v", err)
		}
		last = reg
	}
	if n := len(g.regs); n != 0 || mp.Live() != 0 {
		t.Fatalf("the group tracks %d registrations, %d live, after unregistering all", n, mp.Live())
	}
	kept, err := g.RegisterCallback(func(context.Context, metric.Observer) error { return nil }, obs)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Release(); err != nil {
		t.Fatal(err)
	}
	if err := kept.Unregister(); err != nil || last.Unregister() != nil || mp.Live() != 0 {
		t.Fatalf("Unregister after Release: %v, %d live", err, mp.Live())
	}
}

// TestGroupConcurrent: counters join a group, record, and the group is released while
// collections run. Run with -race; a collection must never wait for the group while the group
// waits for the SDK (the SDK runs callbacks under the lock RegisterCallback takes).
func TestGroupConcurrent(t *testing.T) {
	r := sdkmetric.NewManualReader()
	m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
	ctx := context.Background()
	stopCollecting := collectInBackground(t, r)
	for round := range 20 {
		g := NewGroup(m)
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				name := fmt.Sprint("c", w)
				inst, _ := m.Int64Counter(name)
				c, err := NewCounter(g, name, metric.Int64Counter(inst), attrs1)
				if err != nil {
					t.Error(err)
					return
				}
				for i := range 100 {
					c.Add(ctx, 1, [1]string{fmt.Sprint(i % 3)})
				}
			})
		}
		wg.Wait()
		if err := g.Release(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	stopCollecting()
}

// TestAddSetAndRecordSet: a caller's attribute set reaches the same series as the label values
// that make it, and the values add up.
func TestAddSetAndRecordSet(t *testing.T) {
	r := sdkmetric.NewManualReader()
	m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
	g := NewGroup(m)
	ctx := context.Background()
	inst, _ := m.Int64Counter("n")
	c, _ := NewCounter(g, "n", metric.Int64Counter(inst), attrs2)
	c.Add(ctx, 1, [2]string{"a", "get"})
	c.AddSet(ctx, 2, attrs2([2]string{"a", "get"}))
	c.AddSet(ctx, 4, attribute.NewSet(attribute.String("other", "x")))
	if got := fmt.Sprint(sums(t, r)["n"]); got != "map[component=a,op=get:3 other=x:4]" {
		t.Errorf("n = %s", got)
	}
	hinst, _ := m.Int64Histogram("h")
	h, _ := NewRecorder(g, "h", metric.Int64Histogram(hinst), attrs1)
	h.Record(ctx, 1, [1]string{"a"})
	h.RecordSet(ctx, 2, attrs1([1]string{"a"}))
	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, mt := range sm.Metrics {
			if mt.Name != "h" {
				continue
			}
			pts := mt.Data.(metricdata.Histogram[int64]).DataPoints
			if len(pts) != 1 || pts[0].Count != 2 || pts[0].Sum != 3 {
				t.Errorf("h = %+v, want one series of 2 values summing to 3", pts)
			}
			return
		}
	}
	t.Error("h not collected")
}

// TestGroupSettingsFromMeter: a Group reads its cardinality limit and logger from the Meter it
// is created from (WithSettings' or a FastPath's), the outermost carrier winning; any other
// Meter gives DefaultCardinalityLimit and no logger. The instruments a carrying Meter creates are
// the wrapped provider's own, so the record path is what it would be without the settings.
func TestGroupSettingsFromMeter(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	sdk := newProvider(t)
	path := NewFastPath(FastPathConfig{CardinalityLimit: 7, Logger: logger})
	prod, err := path.Producer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pathMP := path.MeterProvider(newProvider(t, sdkmetric.WithReader(sdkmetric.NewManualReader(sdkmetric.WithProducer(prod)))))
	for _, tc := range []struct {
		name string
		mp   metric.MeterProvider
		want Settings
	}{
		{"plain SDK", sdk, Settings{CardinalityLimit: DefaultCardinalityLimit}},
		{"no-op", noop.NewMeterProvider(), Settings{CardinalityLimit: DefaultCardinalityLimit}},
		{"WithSettings", WithSettings(sdk, Settings{CardinalityLimit: 5, Logger: logger}), Settings{CardinalityLimit: 5, Logger: logger}},
		{"WithSettings, no limit", WithSettings(sdk, Settings{}), Settings{}},
		{"FastPath", pathMP, Settings{CardinalityLimit: 7, Logger: logger}},
		{"WithSettings over FastPath", WithSettings(pathMP, Settings{CardinalityLimit: 3}), Settings{CardinalityLimit: 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NewGroup(tc.mp.Meter("test")).settings
			if got.Serve != nil || got.CardinalityLimit != tc.want.CardinalityLimit || got.Logger != tc.want.Logger {
				t.Fatalf("settings %+v, want %+v", got, tc.want)
			}
		})
	}

	// The carrier only carries: a counter is the SDK's instrument, a histogram stays on the
	// fast path.
	plain, _ := sdk.Meter("test").Int64Counter("requests")
	carried, _ := WithSettings(sdk, Settings{CardinalityLimit: 5}).Meter("test").Int64Counter("requests")
	if reflect.TypeOf(carried) != reflect.TypeOf(plain) {
		t.Fatalf("WithSettings' counter is a %T, the SDK's a %T", carried, plain)
	}
	h, _ := WithSettings(pathMP, Settings{}).Meter("test").Float64Histogram("latency")
	if !OnFastPath(h) {
		t.Fatal("a histogram from WithSettings over a FastPath left the fast path")
	}
}
