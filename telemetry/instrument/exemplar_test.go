package instrument

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// spanContext returns a sampled (or not) span context whose IDs are derived from i, so that a
// reader can tell a torn exemplar from a whole one.
func spanContext(i uint64, sampled bool) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	binary.BigEndian.PutUint64(tid[:8], i)
	binary.BigEndian.PutUint64(tid[8:], ^i)
	binary.BigEndian.PutUint64(sid[:], i*3+1)
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.NewSpanContext(cfg)
}

func TestExemplarSlotFilters(t *testing.T) {
	sampled := trace.ContextWithSpanContext(context.Background(), spanContext(7, true))
	unsampled := trace.ContextWithSpanContext(context.Background(), spanContext(8, false))
	for _, tc := range []struct {
		filter            Exemplars
		ctx               context.Context
		kept, ids, offers bool
	}{
		{ExemplarsOff, sampled, false, false, false},
		{ExemplarsTraceBased, sampled, true, true, true},
		{ExemplarsTraceBased, unsampled, false, false, false},
		{ExemplarsTraceBased, context.Background(), false, false, false},
		{ExemplarsAlwaysOn, unsampled, true, true, true},
		{ExemplarsAlwaysOn, context.Background(), true, false, true},
	} {
		var s exemplarSlot
		before := time.Now()
		if got := s.offer(tc.ctx, tc.filter, toBits(2.5, true)); got != tc.offers {
			t.Errorf("filter %d: offer = %v, want %v", tc.filter, got, tc.offers)
		}
		e, ok := exemplarOf[float64](&s, time.Time{}, true)
		if ok != tc.kept {
			t.Errorf("filter %d: kept = %v, want %v", tc.filter, ok, tc.kept)
			continue
		}
		if !ok {
			continue
		}
		if e.Value != 2.5 || e.Time.Before(before) || e.Time.After(time.Now()) {
			t.Errorf("filter %d: exemplar %+v", tc.filter, e)
		}
		tid, sid := ids(trace.SpanContextFromContext(tc.ctx))
		if got := e.TraceID != nil; got != tc.ids || (got && (string(e.TraceID) != string(tid) || string(e.SpanID) != string(sid))) {
			t.Errorf("filter %d: IDs %x/%x, want %x/%x (set: %v)", tc.filter, e.TraceID, e.SpanID, tid, sid, tc.ids)
		}
		// A delta interval that began after the measurement has no exemplar.
		if _, ok := exemplarOf[float64](&s, time.Now().Add(time.Second), true); ok {
			t.Errorf("filter %d: an exemplar older than the interval was returned", tc.filter)
		}
	}
}

// TestExemplarSlotConcurrent: writers racing on one slot and readers reading it never produce
// a torn exemplar (a value with another measurement's IDs); the race detector sees only atomic
// accesses.
func TestExemplarSlotConcurrent(t *testing.T) {
	var s exemplarSlot
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := uint64(w) * 1_000_000; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx := trace.ContextWithSpanContext(context.Background(), spanContext(i, true))
				s.offer(ctx, ExemplarsTraceBased, i)
			}
		})
	}
	reads := 0
	for deadline := time.Now().Add(10 * time.Second); reads < 20_000 && time.Now().Before(deadline); {
		e, ok := exemplarOf[int64](&s, time.Time{}, false)
		if !ok {
			continue
		}
		reads++
		i := uint64(e.Value)
		if tid, sid := ids(spanContext(i, true)); string(e.TraceID) != string(tid) || string(e.SpanID) != string(sid) {
			t.Fatalf("torn exemplar: value %d with IDs %x/%x", i, e.TraceID, e.SpanID)
		}
	}
	close(stop)
	wg.Wait()
	if reads == 0 {
		t.Fatal("no exemplar was ever read")
	}
}

// ids returns sc's trace and span IDs as the bytes an exemplar carries.
func ids(sc trace.SpanContext) (tid, sid []byte) {
	t, s := sc.TraceID(), sc.SpanID()
	return t[:], s[:]
}

// counterExemplars returns the exemplars of the counter called name in what prod produces, by
// the value of the series' "k" attribute.
func counterExemplars(t *testing.T, prod sdkmetric.Producer, name string) map[string][]metricdata.Exemplar[int64] {
	t.Helper()
	sms, err := prod.Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]metricdata.Exemplar[int64]{}
	for _, sm := range sms {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				k, _ := dp.Attributes.Value("k")
				out[k.AsString()] = dp.Exemplars
			}
		}
	}
	return out
}

// TestCounterExemplarsOnFastPath: with the trace_based filter, a counter on the fast path keeps
// the latest increment made inside a sampled span as each series' exemplar, through every way
// in (the OTel instrument, Counter by label values, a bound handle), for a cumulative reader
// until replaced and for a delta reader only within its interval; histograms, and streams that
// filter attributes, take the SDK's path instead.
func TestCounterExemplarsOnFastPath(t *testing.T) {
	for _, withDelta := range []bool{false, true} {
		t.Run(map[bool]string{false: "cumulative", true: "delta"}[withDelta], func(t *testing.T) { testCounterExemplars(t, withDelta) })
	}
}

func testCounterExemplars(t *testing.T, withDelta bool) {
	path := NewFastPath(FastPathConfig{Exemplars: ExemplarsTraceBased,
		Views: []sdkmetric.View{sdkmetric.NewView(sdkmetric.Instrument{Name: "filtered"},
			sdkmetric.Stream{AttributeFilter: attribute.NewAllowKeysFilter("k")})}})
	cumulative, err := path.Producer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var delta sdkmetric.Producer
	if withDelta {
		if delta, err = path.Producer(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, nil); err != nil {
			t.Fatal(err)
		}
	}
	m := path.MeterProvider(sdkmetric.NewMeterProvider()).Meter("test")
	inst, err := m.Int64Counter("requests")
	if err != nil {
		t.Fatal(err)
	}
	if !OnFastPath(inst) {
		t.Fatal("the counter is not on the fast path")
	}
	for _, name := range []string{"filtered"} {
		if c, _ := m.Int64Counter(name); OnFastPath(c) {
			t.Errorf("%s: on the fast path with exemplars on, and its attributes filtered", name)
		}
	}
	if h, _ := m.Float64Histogram("latency"); OnFastPath(h) {
		t.Error("a histogram is on the fast path with exemplars on")
	}
	c, err := NewCounter(NewGroup(m), "requests", Adder[int64](inst), func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("k", k[0])) })
	if err != nil {
		t.Fatal(err)
	}
	bound := Int64CounterBound(c.Bind([1]string{"bound"}))
	ctxOf := func(i uint64, sampled bool) context.Context {
		return trace.ContextWithSpanContext(context.Background(), spanContext(i, sampled))
	}

	inst.Add(ctxOf(1, true), 3, metric.WithAttributes(attribute.String("k", "inst")))
	c.Add(ctxOf(2, true), 4, [1]string{"labels"})
	c.Add(ctxOf(3, false), 40, [1]string{"labels"}) // not sampled: the exemplar stays 4
	bound.Add(ctxOf(4, true), 5)
	c.Add(context.Background(), 6, [1]string{"plain"}) // no span: none
	want := map[string]struct {
		v  int64
		id uint64
	}{"inst": {3, 1}, "labels": {4, 2}, "bound": {5, 4}}
	check := func(what string, got map[string][]metricdata.Exemplar[int64], want map[string]struct {
		v  int64
		id uint64
	}) {
		t.Helper()
		for k, es := range got {
			w, ok := want[k]
			if !ok {
				if len(es) > 0 {
					t.Errorf("%s: series %s: exemplars %v, want none", what, k, es)
				}
				continue
			}
			tid, sid := ids(spanContext(w.id, true))
			if len(es) != 1 || es[0].Value != w.v || string(es[0].TraceID) != string(tid) || string(es[0].SpanID) != string(sid) {
				t.Errorf("%s: series %s: exemplars %+v, want value %d from span %d", what, k, es, w.v, w.id)
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok {
				t.Errorf("%s: series %s missing", what, k)
			}
		}
	}
	check("cumulative", counterExemplars(t, cumulative, "requests"), want)
	if withDelta {
		check("delta", counterExemplars(t, delta, "requests"), want)
	}

	// The next interval: the cumulative reader keeps the exemplars, the delta reader reports
	// only the interval's.
	time.Sleep(2 * time.Millisecond) // exemplar times are compared with the interval's start
	c.Add(ctxOf(9, true), 7, [1]string{"labels"})
	check("cumulative, later", counterExemplars(t, cumulative, "requests"), map[string]struct {
		v  int64
		id uint64
	}{"inst": {3, 1}, "labels": {7, 9}, "bound": {5, 4}})
	if withDelta {
		check("delta, later", counterExemplars(t, delta, "requests"), map[string]struct {
			v  int64
			id uint64
		}{"labels": {7, 9}})
	}
}
