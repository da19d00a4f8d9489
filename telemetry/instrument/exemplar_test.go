package instrument

import (
	"context"
	"encoding/binary"
	"fmt"
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
		e, ok := exemplarOf[float64](&s, time.Time{}, time.Time{}, true)
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
		if _, ok := exemplarOf[float64](&s, time.Now().Add(time.Second), time.Time{}, true); ok {
			t.Errorf("filter %d: an exemplar older than the interval was returned", tc.filter)
		}
		// Nor one that ended at the measurement (its collection began first): the next
		// interval, which starts there, has it, and only that one.
		if _, ok := exemplarOf[float64](&s, time.Time{}, e.Time, true); ok {
			t.Errorf("filter %d: an exemplar measured when the interval ended was returned", tc.filter)
		}
		if _, ok := exemplarOf[float64](&s, e.Time, e.Time.Add(time.Nanosecond), true); !ok {
			t.Errorf("filter %d: the interval that starts at the measurement has no exemplar", tc.filter)
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
		e, ok := exemplarOf[int64](&s, time.Time{}, time.Time{}, false)
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
// until replaced and for a delta reader only within its interval; streams that filter
// attributes take the SDK's path instead.
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

// histogramExemplars returns the exemplars of the histogram called name (classic or
// exponential) in what prod produces, by the series' "k" attribute, and the kinds of data seen.
func histogramExemplars(t *testing.T, prod sdkmetric.Producer, name string) (map[string][]metricdata.Exemplar[float64], []string) {
	t.Helper()
	sms, err := prod.Produce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]metricdata.Exemplar[float64]{}
	var kinds []string
	add := func(attrs attribute.Set, es []metricdata.Exemplar[float64]) {
		k, _ := attrs.Value("k")
		out[k.AsString()] = es
	}
	for _, sm := range sms {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				kinds = append(kinds, "histogram")
				for _, dp := range d.DataPoints {
					add(dp.Attributes, dp.Exemplars)
				}
			case metricdata.ExponentialHistogram[float64]:
				kinds = append(kinds, "exponential")
				for _, dp := range d.DataPoints {
					add(dp.Attributes, dp.Exemplars)
				}
			}
		}
	}
	return out, kinds
}

// TestHistogramExemplarsOnFastPath: with the trace_based filter, a histogram on the fast path
// keeps, per series and classic bucket, the latest value recorded inside a sampled span (for a
// native-only stream, whose one classic bucket is +Inf, per power of two of the value, modulo
// 10), through every way in,
// in the histogram and exponential data alike, for a delta reader only within its interval.
func TestHistogramExemplarsOnFastPath(t *testing.T) {
	for _, tc := range []struct {
		name    string
		native  bool
		bounds  []float64
		withDel bool
	}{
		{"classic", false, []float64{1, 10}, false},
		{"classic/delta", false, []float64{1, 10}, true},
		{"classic+native", true, []float64{1, 10}, false},
		{"native-only/delta", true, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := NewFastPath(FastPathConfig{Exemplars: ExemplarsTraceBased})
			scrape, err := path.ScrapeProducer()
			if err != nil {
				t.Fatal(err)
			}
			var delta sdkmetric.Producer
			if tc.withDel {
				if delta, err = path.Producer(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, nil); err != nil {
					t.Fatal(err)
				}
			}
			m := path.MeterProvider(sdkmetric.NewMeterProvider()).Meter("test")
			g := NewGroup(m)
			if tc.native && !g.DeclareNative("latency", Native{Schema: 3, MaxBuckets: 160}) {
				t.Fatal("DeclareNative refused")
			}
			var opts []metric.Float64HistogramOption
			if tc.bounds != nil {
				opts = append(opts, metric.WithExplicitBucketBoundaries(tc.bounds...))
			}
			inst, err := m.Float64Histogram("latency", opts...)
			if err != nil {
				t.Fatal(err)
			}
			if !OnFastPath(inst) {
				t.Fatal("not on the fast path")
			}
			r, err := NewRecorder(g, "latency", RecorderInstrument[float64](inst), func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("k", k[0])) })
			if err != nil {
				t.Fatal(err)
			}
			bound := r.Bind([1]string{"bound"})
			ctxOf := func(i uint64, sampled bool) context.Context {
				return trace.ContextWithSpanContext(context.Background(), spanContext(i, sampled))
			}
			inst.Record(ctxOf(1, true), 0.5, metric.WithAttributes(attribute.String("k", "inst")))
			r.Record(ctxOf(2, true), 0.5, [1]string{"labels"})
			r.Record(ctxOf(3, true), 5, [1]string{"labels"})
			r.Record(ctxOf(4, false), 0.7, [1]string{"labels"}) // not sampled
			r.Record(ctxOf(5, true), 50, [1]string{"labels"})
			bound.Record(ctxOf(6, true), 5)
			r.Record(context.Background(), 2, [1]string{"plain"})

			type ex struct {
				v  float64
				id uint64
			}
			want := map[string][]ex{"inst": {{0.5, 1}}, "labels": {{0.5, 2}, {5, 3}, {50, 5}}, "bound": {{5, 6}}, "plain": nil}
			// A native-only series keeps one per power of two (modulo 10): 0.5, 5 and 50 each
			// have their own, as with the classic buckets here.
			check := func(what string, got map[string][]metricdata.Exemplar[float64], want map[string][]ex) {
				t.Helper()
				for k, w := range want {
					es, ok := got[k]
					if !ok {
						t.Errorf("%s: series %s missing", what, k)
						continue
					}
					if len(es) != len(w) {
						t.Errorf("%s: series %s: %d exemplars %+v, want %v", what, k, len(es), es, w)
						continue
					}
					for i, e := range es {
						tid, sid := ids(spanContext(w[i].id, true))
						if e.Value != w[i].v || string(e.TraceID) != string(tid) || string(e.SpanID) != string(sid) {
							t.Errorf("%s: series %s: exemplar %d %+v, want value %v from span %d", what, k, i, e, w[i].v, w[i].id)
						}
					}
				}
			}
			got, kinds := histogramExemplars(t, scrape, "latency")
			wantKinds := map[bool][]string{false: {"histogram"}, true: {"histogram", "exponential"}}[tc.native]
			if tc.native && tc.bounds == nil {
				wantKinds = []string{"exponential"}
			}
			if fmt.Sprint(kinds) != fmt.Sprint(wantKinds) {
				t.Errorf("scrape: data %v, want %v", kinds, wantKinds)
			}
			check("scrape", got, want)
			if tc.withDel {
				got, _ := histogramExemplars(t, delta, "latency")
				check("delta", got, want)
				time.Sleep(2 * time.Millisecond)
				r.Record(ctxOf(9, true), 0.25, [1]string{"labels"})
				got, _ = histogramExemplars(t, delta, "latency")
				check("delta, next interval", got, map[string][]ex{"labels": {{0.25, 9}}})
				if _, ok := got["inst"]; ok {
					t.Error("delta, next interval: a series without measurements was reported")
				}
			}
		})
	}
}

// TestDeltaExemplarsOnce: with a counter and a histogram recorded without pause while a delta
// reader collects, no exemplar is reported in two intervals. An exemplar's time is taken after
// its value is counted, so one measured just after a collection began belongs to the next
// interval only.
func TestDeltaExemplarsOnce(t *testing.T) {
	path := NewFastPath(FastPathConfig{Exemplars: ExemplarsAlwaysOn})
	delta, err := path.Producer(func(sdkmetric.InstrumentKind) metricdata.Temporality { return metricdata.DeltaTemporality }, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := path.MeterProvider(sdkmetric.NewMeterProvider()).Meter("test")
	counter, err := m.Int64Counter("adds")
	if err != nil {
		t.Fatal(err)
	}
	histogram, err := m.Float64Histogram("latency", metric.WithExplicitBucketBoundaries(1e9))
	if err != nil {
		t.Fatal(err)
	}
	if !OnFastPath(counter) || !OnFastPath(histogram) {
		t.Fatal("not on the fast path")
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Go(func() {
		for i := int64(1); ctx.Err() == nil; i++ { // every value a different one
			counter.Add(context.Background(), i)
			histogram.Record(context.Background(), float64(i))
			if i == 1 {
				close(started)
			}
		}
	})
	<-started
	seen := map[string]int{}
	for range 300 {
		sms, err := delta.Produce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, sm := range sms {
			for _, md := range sm.Metrics {
				switch d := md.Data.(type) {
				case metricdata.Sum[int64]:
					for _, dp := range d.DataPoints {
						for _, e := range dp.Exemplars {
							seen[fmt.Sprint(md.Name, " ", e.Value, " ", e.Time.UnixNano())]++
						}
					}
				case metricdata.Histogram[float64]:
					for _, dp := range d.DataPoints {
						for _, e := range dp.Exemplars {
							seen[fmt.Sprint(md.Name, " ", e.Value, " ", e.Time.UnixNano())]++
						}
					}
				}
			}
		}
	}
	stop()
	wg.Wait()
	if len(seen) == 0 {
		t.Fatal("no exemplar in 300 intervals")
	}
	for e, n := range seen {
		if n > 1 {
			t.Errorf("exemplar %s reported in %d intervals", e, n)
		}
	}
}
