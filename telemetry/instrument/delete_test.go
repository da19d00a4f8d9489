package instrument

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// histSeries lists the label sets of the latency histogram in rm, with their counts.
func histSeries(rm metricdata.ResourceMetrics) map[string]uint64 {
	out := map[string]uint64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "latency" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				out[setString(dp.Attributes)] += dp.Count
			}
		}
	}
	return out
}

func keysOf(m map[string]uint64) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestRecorderDeleteFastPath deletes histogram series on the fast path, with a cumulative
// reader alone and with a delta reader beside it: a deleted series leaves every reader, a held
// bound handle records unseen, and the same label values record into a new series from zero.
func TestRecorderDeleteFastPath(t *testing.T) {
	for _, tc := range []struct {
		name string
		tmp  []metricdata.Temporality
	}{
		{"cumulative", []metricdata.Temporality{metricdata.CumulativeTemporality}},
		{"delta beside cumulative", []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			p := setup{temporalities: tc.tmp, limit: 4}.build(t, true)
			h := newHistograms(t, p.mp, nil)
			a, b, c := [2]string{"a", "x"}, [2]string{"b", "x"}, [2]string{"c", "y"}
			for _, k := range [][2]string{a, b, c} {
				h.f.Record(ctx, 1, k)
			}
			held := h.f.Bind(b)
			held.Record(ctx, 1)
			for r := range tc.tmp {
				p.collect(t, r)
			}
			if !h.f.Delete(b) || h.f.Delete(b) {
				t.Fatal("Delete(b) twice: want true, then false")
			}
			if n := h.f.DeletePartialMatch(map[string]string{"op": "y"}); n != 1 {
				t.Fatalf("DeletePartialMatch(op=y) = %d, want 1", n)
			}
			held.Record(ctx, 1) // unseen, as a client_golang child held across a delete
			// The limit (4: three series and the overflow) has room again.
			h.f.Record(ctx, 2, [2]string{"d", "x"})
			h.f.Record(ctx, 2, [2]string{"e", "x"})
			for r, tmp := range tc.tmp {
				got := histSeries(p.collect(t, r))
				want := map[string]uint64{"component=a,op=x": 1, "component=d,op=x": 1, "component=e,op=x": 1}
				if tmp == metricdata.DeltaTemporality {
					want = map[string]uint64{"component=d,op=x": 1, "component=e,op=x": 1}
				}
				if !slices.Equal(keysOf(got), keysOf(want)) {
					t.Errorf("reader %d (%v): series %v, want %v", r, tmp, got, want)
				}
			}
			// Re-created: a new series, from zero (e makes room for it under the limit).
			h.f.Delete([2]string{"e", "x"})
			h.f.Record(ctx, 1, b)
			if got := histSeries(p.collect(t, 0)); got["component=b,op=x"] != 1 {
				t.Errorf("re-created b: count %d, want 1", got["component=b,op=x"])
			}
			h.f.Reset()
			if got := histSeries(p.collect(t, 0)); len(got) != 0 {
				t.Errorf("after Reset: %v", got)
			}
		})
	}
}

// TestRecorderDeleteSDKPath: on the SDK's path the Recorder forgets the series; the SDK keeps
// its totals, as documented.
func TestRecorderDeleteSDKPath(t *testing.T) {
	ctx := context.Background()
	p := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality}}.build(t, false)
	h := newHistograms(t, p.mp, nil)
	h.f.Record(ctx, 1, [2]string{"a", "x"})
	if !h.f.Delete([2]string{"a", "x"}) || h.f.series.len() != 0 {
		t.Fatal("Delete did not forget the series")
	}
	if got := histSeries(p.collect(t, 0)); got["component=a,op=x"] != 1 {
		t.Errorf("the SDK's cumulative stream: %v, want the series kept", got)
	}
}

// TestCounterDelete: the cell goes, its pending additions reach the SDK first, and a held
// bound handle adds into a cell nobody drains.
func TestCounterDelete(t *testing.T) {
	ctx := context.Background()
	r := sdkmetric.NewManualReader(sdkmetric.WithTemporalitySelector(func(sdkmetric.InstrumentKind) metricdata.Temporality {
		return metricdata.DeltaTemporality
	}))
	m := newProvider(t, sdkmetric.WithReader(r)).Meter("test")
	inst, _ := m.Int64Counter("requests")
	c, err := NewCounter(NewGroup(m), "requests", metric.Int64Counter(inst), attrs2)
	if err != nil {
		t.Fatal(err)
	}
	a, b := [2]string{"a", "get"}, [2]string{"b", "put"}
	c.Add(ctx, 3, a)
	held := c.Bind(b)
	held.Add(ctx, 4)
	// Deleted before any collection: their additions still reach the SDK.
	if !c.Delete(a) || c.DeletePartialMatch(map[string]string{"op": "put"}) != 1 || c.len() != 0 {
		t.Fatal("the deletes did not empty the cache")
	}
	held.Add(ctx, 5) // unseen
	if got := fmt.Sprint(sums(t, r)["requests"]); got != "map[component=a,op=get:3 component=b,op=put:4]" {
		t.Errorf("first delta collection: %s", got)
	}
	if got := sums(t, r)["requests"]; len(got) != 0 {
		t.Errorf("second delta collection, after the deletes: %v, want nothing", got)
	}
	c.Add(ctx, 1, a)
	c.Reset()
	if got := fmt.Sprint(sums(t, r)["requests"]); got != "map[component=a,op=get:1]" || c.len() != 0 {
		t.Errorf("after Reset: %s, %d cached", got, c.len())
	}
}

// TestSummaryDelete: a summary's deleted series leaves its producer and collector.
func TestSummaryDelete(t *testing.T) {
	ctx := context.Background()
	path := NewSummaryPath(Settings{CardinalityLimit: 3})
	mp := path.MeterProvider(newProvider(t))
	s, err := NewSummary[float64](NewGroup(mp.Meter("test")), "payload", "Sizes.", "By", SummaryOptions{}, attrs2)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		sms, err := path.Producer().Produce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, sm := range sms {
			for _, m := range sm.Metrics {
				n += len(m.Data.(metricdata.Summary).DataPoints)
			}
		}
		return n
	}
	for _, k := range [][2]string{{"a", "get"}, {"b", "get"}, {"c", "get"}} {
		s.Record(ctx, 1, k) // the third is the overflow series (limit 3)
	}
	if n := count(); n != 3 {
		t.Fatalf("%d series, want 3", n)
	}
	if !s.Delete([2]string{"a", "get"}) {
		t.Fatal("Delete(a) found nothing")
	}
	s.Record(ctx, 1, [2]string{"d", "get"}) // room again
	if n := count(); n != 3 {
		t.Fatalf("after a delete and a new series: %d series, want 3 (b, d, overflow)", n)
	}
	s.Reset()
	if n := count(); n != 0 {
		t.Fatalf("after Reset: %d series", n)
	}
}
