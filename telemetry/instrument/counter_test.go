package instrument

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func attrs1(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("component", k[0])) }

func attrs2(k [2]string) attribute.Set {
	return attribute.NewSet(attribute.String("component", k[0]), attribute.String("op", k[1]))
}

// sums collects r and returns name → "label=value,…" → value for every Sum and Gauge data point.
func sums(t *testing.T, r sdkmetric.Reader) map[string]map[string]float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			pts := map[string]float64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					pts[setString(p.Attributes)] += float64(p.Value)
				}
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					pts[setString(p.Attributes)] += p.Value
				}
			case metricdata.Gauge[int64]:
				for _, p := range d.DataPoints {
					pts[setString(p.Attributes)] = float64(p.Value)
				}
			case metricdata.Gauge[float64]:
				for _, p := range d.DataPoints {
					pts[setString(p.Attributes)] = p.Value
				}
			default:
				continue
			}
			out[m.Name] = pts
		}
	}
	return out
}

func setString(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// collectInBackground collects r over and over until the returned function is called, which
// waits for the last collection to end.
func collectInBackground(t *testing.T, r sdkmetric.Reader) (stop func()) {
	done := make(chan struct{})
	var collector sync.WaitGroup
	collector.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
				var rm metricdata.ResourceMetrics
				if err := r.Collect(context.Background(), &rm); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	return func() { close(done); collector.Wait() }
}

func newProvider(t *testing.T, opts ...sdkmetric.Option) *sdkmetric.MeterProvider {
	t.Helper()
	mp := sdkmetric.NewMeterProvider(opts...)
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	return mp
}

// TestCounterMatchesSDK records the same additions into a batched Counter and a plain SDK
// counter and requires identical collected data, cumulative and delta.
func TestCounterMatchesSDK(t *testing.T) {
	for _, temporality := range []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality} {
		t.Run(temporality.String(), func(t *testing.T) {
			r := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality { return temporality }))
			m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
			fastInst, _ := m.Int64Counter("fast")
			plain, _ := m.Int64Counter("plain")
			fast, err := NewCounter(NewGroup(m), "fast", metric.Int64Counter(fastInst), attrs2)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			bound := Int64CounterBound(fast.Bind([2]string{"backend", "get"})) // the handle generated code holds
			for cycle := range 3 {
				for i := range 10 * (cycle + 1) {
					k := [2]string{fmt.Sprint("c", i%3), "put"}
					fast.Add(ctx, int64(i), k)
					plain.Add(ctx, int64(i), metric.WithAttributeSet(attrs2(k)))
					bound.Add(ctx, 2)
					plain.Add(ctx, 2, metric.WithAttributeSet(attrs2([2]string{"backend", "get"})))
				}
				got := sums(t, r)
				if fmt.Sprint(got["fast"]) != fmt.Sprint(got["plain"]) {
					t.Fatalf("cycle %d: batched %v, SDK %v", cycle, got["fast"], got["plain"])
				}
			}
		})
	}
}

// TestCounterSeriesExistsAtZero: a series is exported from its first lookup, at 0, as
// client_golang's children are.
func TestCounterSeriesExistsAtZero(t *testing.T) {
	r := sdkmetric.NewManualReader()
	m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
	inst, _ := m.Float64UpDownCounter("queue")
	c, err := NewCounter(NewGroup(m), "queue", metric.Float64UpDownCounter(inst), attrs1)
	if err != nil {
		t.Fatal(err)
	}
	c.Bind([1]string{"a"})
	if got := sums(t, r)["queue"]; fmt.Sprint(got) != "map[component=a:0]" {
		t.Fatalf("after Bind: %v", got)
	}
	c.Add(context.Background(), 2.5, [1]string{"a"})
	c.Add(context.Background(), -1, [1]string{"a"})
	if got := sums(t, r)["queue"]; fmt.Sprint(got) != "map[component=a:1.5]" {
		t.Fatalf("after +2.5 -1: %v", got)
	}
}

// TestCounterViews: a View that renames the instrument and drops a label applies to the
// batched counter as to any instrument; values of series that merge are summed.
func TestCounterViews(t *testing.T) {
	r := sdkmetric.NewManualReader()
	view := sdkmetric.NewView(sdkmetric.Instrument{Name: "requests"}, sdkmetric.Stream{
		Name:            "renamed",
		AttributeFilter: attribute.NewAllowKeysFilter("component"),
	})
	m := newProvider(t, sdkmetric.WithReader(r), sdkmetric.WithView(view)).Meter("test")
	inst, _ := m.Int64Counter("requests")
	c, err := NewCounter(NewGroup(m), "requests", metric.Int64Counter(inst), attrs2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Add(ctx, 1, [2]string{"a", "get"})
	c.Add(ctx, 2, [2]string{"a", "put"})
	c.Bind([2]string{"b", "get"}).Add(ctx, 5)
	got := sums(t, r)
	if _, ok := got["requests"]; ok {
		t.Fatalf("the original name is still exported: %v", got)
	}
	if fmt.Sprint(got["renamed"]) != "map[component=a:3 component=b:5]" {
		t.Fatalf("renamed = %v", got["renamed"])
	}
}

// TestCounterOverflowMatchesSDK: past the SDK's cardinality limit the batched counter yields
// the same series, overflow included, as the SDK's own counter, whether its cache bound is
// above, at or below the SDK's limit.
func TestCounterOverflowMatchesSDK(t *testing.T) {
	for _, cacheLimit := range []int{0, 2, 5, 100} {
		t.Run(fmt.Sprint("cache=", cacheLimit), func(t *testing.T) {
			r := sdkmetric.NewManualReader()
			// The cache is bounded by what the meter says of its provider, here on purpose
			// not the provider's limit.
			mp := newProvider(t, sdkmetric.WithReader(r), sdkmetric.WithCardinalityLimit(5))
			m := WithSettings(mp, Settings{CardinalityLimit: cacheLimit}).Meter("test")
			fastInst, _ := m.Int64Counter("fast")
			plain, _ := m.Int64Counter("plain")
			fast, err := NewCounter(NewGroup(m), "fast", metric.Int64Counter(fastInst), attrs1)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i := range 12 {
				k := [1]string{fmt.Sprint("c", i)}
				fast.Add(ctx, int64(i), k)
				plain.Add(ctx, int64(i), metric.WithAttributeSet(attrs1(k)))
			}
			Int64CounterBound(fast.Bind([1]string{"c11"})).Add(ctx, 100) // past the bound: the redirect to the SDK
			plain.Add(ctx, 100, metric.WithAttributeSet(attrs1([1]string{"c11"})))
			got := sums(t, r)
			if fmt.Sprint(got["fast"]) != fmt.Sprint(got["plain"]) {
				t.Fatalf("batched %v\nSDK     %v", got["fast"], got["plain"])
			}
			if got["plain"]["otel.metric.overflow=true"] == 0 {
				t.Fatalf("no overflow series: %v", got["plain"])
			}
			if cacheLimit > 0 && fast.len() > cacheLimit {
				t.Fatalf("cache holds %d series, bound %d", fast.len(), cacheLimit)
			}
		})
	}
}

// TestCounterConcurrent: goroutines add (bound and unbound, shared and own series) while
// collections run; the final totals equal the additions. Run with -race.
func TestCounterConcurrent(t *testing.T) {
	r := sdkmetric.NewManualReader()
	m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
	inst, _ := m.Float64Counter("f")
	c, err := NewCounter(NewGroup(m), "f", metric.Float64Counter(inst), attrs1)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, adds = 8, 2000
	ctx := context.Background()
	stopCollecting := collectInBackground(t, r)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			own := Float64CounterBound(c.Bind([1]string{fmt.Sprint("g", g)}))
			for i := range adds {
				own.Add(ctx, 0.5)
				c.Add(ctx, 1, [1]string{"shared"})
				c.Add(ctx, 1, [1]string{fmt.Sprint("n", i%50)})
			}
		})
	}
	wg.Wait()
	stopCollecting()
	got := sums(t, r)["f"]
	var total float64
	for _, v := range got {
		total += v
	}
	if want := float64(goroutines * adds * 2.5); total != want || got["component=shared"] != goroutines*adds {
		t.Fatalf("total %v, want %v; shared %v, want %d", total, want, got["component=shared"], goroutines*adds)
	}
}

// TestNilAndZero: the zero values record nothing and do not panic.
func TestNilAndZero(t *testing.T) {
	ctx := context.Background()
	var c *Counter[int64, [1]string]
	c.Add(ctx, 1, [1]string{"a"})
	c.Bind([1]string{"a"}).Add(ctx, 1)
	c.AddSet(ctx, 1, attribute.NewSet())
	if c.len() != 0 {
		t.Fatal("nil counter")
	}
	var r *Recorder[float64, [1]string]
	r.Record(ctx, 1, [1]string{"a"})
	r.RecordSet(ctx, 1, attribute.NewSet())
	r.Bind([1]string{"a"}).Record(ctx, 1)
	var g *Group
	if reg, err := g.RegisterCallback(func(context.Context, metric.Observer) error { return nil }); err != nil || reg.Unregister() != nil {
		t.Fatalf("nil group: RegisterCallback gave %v", err)
	}
	if err := g.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := NewCounter[int64, [1]string](nil, "", nil, nil); err == nil {
		t.Fatal("NewCounter(nil…) gave no error")
	}
	if _, err := NewRecorder[int64, [1]string](nil, "", nil, nil); err == nil {
		t.Fatal("NewRecorder(nil…) gave no error")
	}
}

// TestOverflowWarning: one warning per instrument, the first time a label set arrives past the
// limit, which is when the SDK starts folding into its overflow series.
func TestOverflowWarning(t *testing.T) {
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	r := sdkmetric.NewManualReader()
	mp := newProvider(t, sdkmetric.WithReader(r), sdkmetric.WithCardinalityLimit(4))
	m := WithSettings(mp, Settings{CardinalityLimit: 4, Logger: logger}).Meter("test")
	inst, _ := m.Int64Counter("requests")
	g := NewGroup(m)
	c, _ := NewCounter(g, "requests", metric.Int64Counter(inst), attrs1)
	hinst, _ := m.Int64Histogram("latency")
	h, _ := NewRecorder(g, "latency", metric.Int64Histogram(hinst), attrs1)
	ctx := context.Background()
	for i := range 3 {
		c.Add(ctx, 1, [1]string{fmt.Sprint(i)})
		h.Record(ctx, 1, [1]string{fmt.Sprint(i)})
	}
	if logs.Len() != 0 {
		t.Fatalf("warned within the limit: %s", logs.String())
	}
	if got := sums(t, r)["requests"]; got["otel.metric.overflow=true"] != 0 {
		t.Fatalf("SDK overflowed within the limit: %v", got)
	}
	for i := 3; i < 10; i++ {
		c.Add(ctx, 1, [1]string{fmt.Sprint(i)})
		h.Record(ctx, 1, [1]string{fmt.Sprint(i)})
	}
	if got := sums(t, r)["requests"]; got["otel.metric.overflow=true"] != 7 {
		t.Fatalf("overflow series = %v, want 7", got)
	}
	out := logs.String()
	if strings.Count(out, "\n") != 2 || !strings.Contains(out, "instrument=requests") || !strings.Contains(out, "instrument=latency") || !strings.Contains(out, "limit=4") {
		t.Fatalf("want one warning per instrument:\n%s", out)
	}
}
