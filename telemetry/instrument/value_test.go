package instrument

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

// The differential tests of counters, up-down counters and gauges run one program on two
// providers configured alike, as the histograms' do (histogram_test.go): on the fast side
// through Counter and Recorder (by label values, bound, by attribute set) and the OTel
// instruments the path returns; on the reference side through plain SDK instruments, with an
// Add of 0 where the fast side binds a counter (which creates its series, as client_golang's
// WithLabelValues does). Deletes have no SDK counterpart: TestDeleteMatchesClientGolang
// (package telemetry) compares them with client_golang's.

// values are one instrument of each kind on one side. On the reference side the wrappers are
// nil and every measurement goes to the SDK instruments.
type values struct {
	ref bool

	fc *Counter[float64, [2]string]
	ic *Counter[int64, [2]string]
	ud *Counter[float64, [2]string]
	fg *Recorder[float64, [2]string]
	ig *Recorder[int64, [2]string]

	fcInst metric.Float64Counter
	icInst metric.Int64Counter
	udInst metric.Float64UpDownCounter
	fgInst metric.Float64Gauge
	igInst metric.Int64Gauge
	idle   metric.Int64Counter // no labels: added to without options

	// The handles generated code holds (the inlined Add), for every shape and temporality.
	fcBound map[[2]string]Float64CounterBound
	icBound map[[2]string]Int64CounterBound
	udBound map[[2]string]Float64CounterBound
	fgBound map[[2]string]RecorderBound[float64]
}

func newValues(t *testing.T, mp metric.MeterProvider, keys [][2]string, ref bool) *values {
	t.Helper()
	m := mp.Meter("example.com/scope", metric.WithInstrumentationVersion("v1.2.3"),
		metric.WithInstrumentationAttributes(attribute.String("team", "diag")))
	g := NewGroup(m)
	v := &values{ref: ref,
		fcBound: map[[2]string]Float64CounterBound{}, icBound: map[[2]string]Int64CounterBound{},
		udBound: map[[2]string]Float64CounterBound{}, fgBound: map[[2]string]RecorderBound[float64]{}}
	var err error
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	v.fcInst, err = m.Float64Counter("work", metric.WithDescription("Work done."), metric.WithUnit("s"))
	must(err)
	v.icInst, err = m.Int64Counter("requests", metric.WithDescription("Requests."))
	must(err)
	v.udInst, err = m.Float64UpDownCounter("queued", metric.WithUnit("By"))
	must(err)
	v.fgInst, err = m.Float64Gauge("temperature", metric.WithUnit("Cel"))
	must(err)
	v.igInst, err = m.Int64Gauge("peers")
	must(err)
	v.idle, err = m.Int64Counter("idle")
	must(err)
	if ref {
		ctx := context.Background()
		for _, k := range keys {
			// What binding a counter does on the fast side: create the series at 0.
			v.fcInst.Add(ctx, 0, metric.WithAttributeSet(attrs2(k)))
			v.icInst.Add(ctx, 0, metric.WithAttributeSet(attrs2(k)))
			v.udInst.Add(ctx, 0, metric.WithAttributeSet(attrs2(k)))
		}
		return v
	}
	v.fc, err = NewCounter(g, "work", metric.Float64Counter(v.fcInst), attrs2)
	must(err)
	v.ic, err = NewCounter(g, "requests", metric.Int64Counter(v.icInst), attrs2)
	must(err)
	v.ud, err = NewCounter(g, "queued", metric.Float64UpDownCounter(v.udInst), attrs2)
	must(err)
	v.fg, err = NewRecorder(g, "temperature", metric.Float64Gauge(v.fgInst), attrs2)
	must(err)
	v.ig, err = NewRecorder(g, "peers", metric.Int64Gauge(v.igInst), attrs2)
	must(err)
	for _, k := range keys {
		v.fcBound[k] = Float64CounterBound(v.fc.Bind(k))
		v.icBound[k] = Int64CounterBound(v.ic.Bind(k))
		v.udBound[k] = Float64CounterBound(v.ud.Bind(k))
		v.fgBound[k] = v.fg.Bind(k)
	}
	return v
}

// run applies one recording: o.f to the float instruments (its absolute value to the counter),
// o.i to the integer ones.
func (v *values) run(ctx context.Context, o op) {
	up := math.Abs(o.f)
	iv := max(o.i, 0)
	set := attrs2(o.key)
	if v.ref {
		opt := metric.WithAttributeSet(set)
		v.fcInst.Add(ctx, up, opt)
		v.icInst.Add(ctx, iv, opt)
		v.udInst.Add(ctx, o.f, opt)
		v.fgInst.Record(ctx, o.f, opt)
		v.igInst.Record(ctx, o.i, opt)
		if o.form == 3 {
			v.idle.Add(ctx, iv)
		}
		return
	}
	switch o.form {
	case 0:
		v.fc.Add(ctx, up, o.key)
		v.ic.Add(ctx, iv, o.key)
		v.ud.Add(ctx, o.f, o.key)
		v.fg.Record(ctx, o.f, o.key)
		v.ig.Record(ctx, o.i, o.key)
	case 1:
		v.fcBound[o.key].Add(ctx, up)
		v.icBound[o.key].Add(ctx, iv)
		v.udBound[o.key].Add(ctx, o.f)
		v.fgBound[o.key].Record(ctx, o.f)
		v.ig.Record(ctx, o.i, o.key)
	case 2:
		v.fc.AddSet(ctx, up, set)
		v.ic.AddSet(ctx, iv, set)
		v.ud.AddSet(ctx, o.f, set)
		v.fg.RecordSet(ctx, o.f, set)
		v.ig.RecordSet(ctx, o.i, set)
	default:
		opt := metric.WithAttributes(attribute.String("op", o.key[1]), attribute.String("component", o.key[0]))
		v.fcInst.Add(ctx, up, opt)
		v.icInst.Add(ctx, iv, opt)
		v.udInst.Add(ctx, o.f, opt)
		v.fgInst.Record(ctx, o.f, opt)
		v.igInst.Record(ctx, o.i, opt)
		v.idle.Add(ctx, iv)
	}
}

// differentialValues runs ops on both sides of s and compares every collection, timestamps
// checked as differential checks a histogram's.
func differentialValues(t *testing.T, s setup, keys [][2]string, ops []op) {
	t.Helper()
	ctx := context.Background()
	if s.perSeries {
		t.Setenv(envPerSeriesStart, "true")
	}
	created0 := time.Now()
	ref, fast := s.build(t, false), s.build(t, true)
	vr, vf := newValues(t, ref.mp, keys, true), newValues(t, fast.mp, keys, false)
	created1 := time.Now()
	if vf.fc.fast == nil || vf.ud.fast == nil || vf.fg.gauge == nil || !OnFastPath(vf.idle) {
		t.Fatal("an instrument did not take the fast path")
	}
	prev, prevFast := make([]window, len(s.temporalities)), make([]window, len(s.temporalities))
	starts, startsFast := make([]map[string]time.Time, len(s.temporalities)), make([]map[string]time.Time, len(s.temporalities))
	for j := range starts {
		starts[j], startsFast[j] = map[string]time.Time{}, map[string]time.Time{}
		prev[j] = window{from: created0, to: created1}
		prevFast[j] = prev[j]
	}
	check := func(r int) {
		t.Helper()
		c0 := time.Now()
		want, got := ref.collect(t, r), fast.collect(t, r)
		c1 := time.Now()
		if !metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp()) {
			t.FailNow()
		}
		created := window{created0, created1, nil}
		if s.perSeries {
			created.to = c1
		}
		checkTimes(t, want, s.temporalities[r], created, &prev[r], window{c0, c1, nil}, starts[r])
		checkTimes(t, got, s.temporalities[r], created, &prevFast[r], window{c0, c1, nil}, startsFast[r])
	}
	for _, o := range ops {
		if o.collect >= 0 {
			check(o.collect)
			continue
		}
		vr.run(ctx, o)
		vf.run(ctx, o)
	}
	for r := range s.temporalities {
		check(r)
	}
}

func TestValuesMatchSDK(t *testing.T) {
	cum, delta := metricdata.CumulativeTemporality, metricdata.DeltaTemporality
	renameFilter := sdkmetric.NewView(sdkmetric.Instrument{Name: "work"}, sdkmetric.Stream{
		Name: "work_by_op", Description: "Work by op.", Unit: "ms",
		AttributeFilter: attribute.NewAllowKeysFilter("op"),
	})
	gaugeFilter := sdkmetric.NewView(sdkmetric.Instrument{Name: "temperature"}, sdkmetric.Stream{
		AttributeFilter: attribute.NewAllowKeysFilter("component"),
	})
	dropOne := sdkmetric.NewView(sdkmetric.Instrument{Name: "peers"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})
	noLabels := sdkmetric.NewView(sdkmetric.Instrument{Name: "*"}, sdkmetric.Stream{AttributeFilter: attribute.NewDenyKeysFilter("component", "op")})
	for _, tc := range []struct {
		name  string
		setup setup
		keys  int
		whole bool // values whose sums do not depend on the order of addition
	}{
		{"cumulative", setup{temporalities: []metricdata.Temporality{cum}}, 20, false},
		{"delta", setup{temporalities: []metricdata.Temporality{delta}}, 20, false},
		{"cumulative+delta", setup{temporalities: []metricdata.Temporality{cum, delta}}, 20, true},
		{"cumulative+cumulative", setup{temporalities: []metricdata.Temporality{cum, cum}}, 20, false},
		{"views", setup{temporalities: []metricdata.Temporality{cum, delta}, views: []sdkmetric.View{renameFilter, gaugeFilter, dropOne}}, 20, true},
		{"views/no labels kept", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{noLabels}}, 20, false},
		{"limit/cumulative", setup{temporalities: []metricdata.Temporality{cum}, limit: 6}, 14, false},
		{"limit/delta", setup{temporalities: []metricdata.Temporality{delta}, limit: 6}, 14, true},
		{"limit/cumulative+delta", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 6}, 14, true},
		{"limit/views", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 4, views: []sdkmetric.View{renameFilter, gaugeFilter}}, 30, true},
		{"limit 1", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 1}, 5, true},
		{"per-series start", setup{temporalities: []metricdata.Temporality{cum}, limit: 6, perSeries: true}, 14, false},
		{"per-series start/delta", setup{temporalities: []metricdata.Temporality{cum, delta}, perSeries: true}, 14, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(8) {
				rng := rand.New(rand.NewPCG(seed, 23))
				keys := keysN(tc.keys)
				differentialValues(t, tc.setup, keys, program(rng, 600, len(tc.setup.temporalities), keys, tc.whole))
			}
		})
	}
}

// TestValueCellLayout: the cell's size class keeps cells on cache-line boundaries; what a
// measurement writes is on the first line, and the flag a bound handle tests before its add on
// the second, which nothing writes (see vcell.plain).
func TestValueCellLayout(t *testing.T) {
	var c vcell[float64]
	if s := unsafe.Sizeof(c); s != 128 {
		t.Fatalf("vcell is %d bytes, want 128", s)
	}
	if o := unsafe.Offsetof(c.plain); o != 64 {
		t.Fatalf("vcell's read-only part starts at %d, want 64", o)
	}
	for name, o := range map[string]uintptr{"n": unsafe.Offsetof(c.n), "f": unsafe.Offsetof(c.f), "seq": unsafe.Offsetof(c.seq), "redirect": unsafe.Offsetof(c.redirect)} {
		if o >= 64 {
			t.Errorf("vcell.%s is at %d, past the first line", name, o)
		}
	}
	if s := unsafe.Sizeof(Int64CounterBound{}); s != unsafe.Sizeof(uintptr(0)) {
		t.Errorf("Int64CounterBound is %d bytes, want one pointer", s)
	}
}

// TestZeroBoundHandles: the zero value of every counter handle records nothing, and does not
// panic: a switched-off generated counter holds one.
func TestZeroBoundHandles(t *testing.T) {
	ctx := context.Background()
	Int64CounterBound{}.Add(ctx, 1)
	Float64CounterBound{}.Add(ctx, 1)
	Float64CounterBound{}.Add(ctx, 0.5)
	CounterBound[int64]{}.Add(ctx, 1)
	var nilCounter *Counter[int64, [1]string]
	Int64CounterBound(nilCounter.Bind([1]string{"a"})).Add(ctx, 1)
}

// TestValuesConcurrent: additions from several goroutines, bound and per call, deletes of
// series nobody adds to, while every reader collects, then the sums of both sides are equal
// (each delta reader's collections added up). Run with -race.
func TestValuesConcurrent(t *testing.T) {
	for _, s := range []setup{
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}},
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}, limit: 5},
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.CumulativeTemporality}},
	} {
		t.Run(fmt.Sprint(s.temporalities, " limit=", s.limit), func(t *testing.T) {
			ctx := context.Background()
			keys := keysN(8)
			ref, fast := s.build(t, false), s.build(t, true)
			vr, vf := newValues(t, ref.mp, keys, true), newValues(t, fast.mp, keys, false)
			var mu sync.Mutex
			deltas := map[string]float64{}
			stop := make(chan struct{})
			var collectors sync.WaitGroup
			for r, tmp := range s.temporalities {
				collectors.Go(func() {
					for {
						select {
						case <-stop:
							return
						default:
						}
						rm := fast.collect(t, r)
						if tmp == metricdata.DeltaTemporality {
							mu.Lock()
							addSums(deltas, rm)
							mu.Unlock()
						}
					}
				})
			}
			// Series created and deleted meanwhile, which no program adds to (without a limit:
			// past one they would fold into the overflow series the programs add to).
			collectors.Go(func() {
				for n := 0; s.limit == 0; n++ {
					select {
					case <-stop:
						return
					default:
					}
					k := [2]string{"gone", fmt.Sprint(n % 3)}
					vf.ic.Add(ctx, 1, k)
					vf.fg.Record(ctx, 1, k)
					vf.ic.Delete(k)
					vf.fg.DeletePartialMatch(map[string]string{"component": "gone"})
				}
			})
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(g), 1))
					for _, o := range program(rng, 3000, 1, keys, true) {
						if o.collect < 0 {
							vf.run(ctx, o)
						}
					}
				})
				rng := rand.New(rand.NewPCG(uint64(g), 1))
				for _, o := range program(rng, 3000, 1, keys, true) {
					if o.collect < 0 {
						vr.run(ctx, o)
					}
				}
			}
			wg.Wait()
			close(stop)
			collectors.Wait()
			// The "gone" series, if one was left between its Add and its Delete.
			vf.ic.DeletePartialMatch(map[string]string{"component": "gone"})
			for r, tmp := range s.temporalities {
				want, got := map[string]float64{}, map[string]float64{}
				addSums(want, ref.collect(t, r))
				addSums(got, fast.collect(t, r))
				if tmp == metricdata.DeltaTemporality {
					for k, v := range got {
						deltas[k] += v // the last interval
					}
					got = deltas
				}
				for k := range got {
					if strings.Contains(k, "component=gone") {
						delete(got, k) // reported before it was deleted
					}
				}
				if s.limit > 0 {
					// Which label sets fold into the overflow series depends on the order of
					// concurrent first measurements: compare totals.
					want, got = map[string]float64{"": total(want)}, map[string]float64{"": total(got)}
				}
				if fmt.Sprint(want) != fmt.Sprint(got) {
					t.Fatalf("reader %d (%v): sums %v, want %v", r, tmp, got, want)
				}
			}
		})
	}
}

// addSums adds the values of every sum's data points in rm into into, by metric and series
// (gauges are left out: their last value depends on the order of concurrent measurements).
func addSums(into map[string]float64, rm metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += p.Value
				}
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += float64(p.Value)
				}
			}
		}
	}
}

func total(m map[string]float64) float64 {
	var n float64
	for _, v := range m {
		n += v
	}
	return n
}

// TestValuePathChoice: which counters, up-down counters and gauges take the SDK's path,
// decided at creation.
func TestValuePathChoice(t *testing.T) {
	cum, delta := metricdata.CumulativeTemporality, metricdata.DeltaTemporality
	view := func(name string, s sdkmetric.Stream) []sdkmetric.View {
		return []sdkmetric.View{sdkmetric.NewView(sdkmetric.Instrument{Name: name}, s)}
	}
	hist := sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{1, 2}}
	for _, tc := range []struct {
		name  string
		setup setup
		// whether work (a counter), queued (an up-down counter) and temperature (a gauge)
		// take the fast path
		counter, upDown, gauge bool
	}{
		{"no view", setup{temporalities: []metricdata.Temporality{cum, delta}}, true, true, true},
		{"renamed", setup{temporalities: []metricdata.Temporality{cum}, views: view("*", sdkmetric.Stream{Name: "x"})}, true, true, true},
		{"sum as a histogram", setup{temporalities: []metricdata.Temporality{cum}, views: view("work", sdkmetric.Stream{Aggregation: hist})}, false, true, true},
		{"gauge as a histogram", setup{temporalities: []metricdata.Temporality{cum}, views: view("temperature", sdkmetric.Stream{Aggregation: hist})}, true, true, false},
		{"dropped", setup{temporalities: []metricdata.Temporality{cum}, views: view("work", sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}})}, false, true, true},
		{"two streams", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "temperature"}, sdkmetric.Stream{Name: "a"}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "temperature"}, sdkmetric.Stream{Name: "b"}),
		}}, true, true, false},
		{"two delta readers", setup{temporalities: []metricdata.Temporality{delta, delta}}, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup.build(t, true)
			v := newValues(t, p.mp, nil, false)
			got := [3]bool{v.fc.fast != nil, v.ud.fast != nil, v.fg.gauge != nil}
			if want := [3]bool{tc.counter, tc.upDown, tc.gauge}; got != want {
				t.Fatalf("fast path (counter, up-down counter, gauge) %v, want %v", got, want)
			}
			if OnFastPath(v.fcInst) != tc.counter || (v.fc.series != nil) == tc.counter {
				t.Fatal("the counter's instrument and cells disagree on its path")
			}
		})
	}
	t.Run("plain provider", func(t *testing.T) {
		p := setup{temporalities: []metricdata.Temporality{cum}}.build(t, false)
		if v := newValues(t, p.mp, nil, false); v.fc.fast != nil || v.fg.gauge != nil || v.fc.series == nil {
			t.Fatal("a plain MeterProvider's counter or gauge took the fast path")
		}
	})
}

// TestValueMeasureAllocs: on the fast path a known series is added to or set without
// allocating, bound, by label values, and without labels through the OTel instrument.
func TestValueMeasureAllocs(t *testing.T) {
	for _, tmp := range []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality} {
		p := setup{temporalities: []metricdata.Temporality{tmp}}.build(t, true)
		k := [2]string{"a", "b"}
		v := newValues(t, p.mp, [][2]string{k}, false)
		ctx := context.Background()
		v.fg.Record(ctx, 1, k)
		v.idle.Add(ctx, 1)
		for name, f := range map[string]func(){
			"counter bound":     func() { v.icBound[k].Add(ctx, 1) },
			"counter per call":  func() { v.ic.Add(ctx, 1, k) },
			"float bound":       func() { v.fcBound[k].Add(ctx, 0.5) },
			"counter no labels": func() { v.idle.Add(ctx, 1) },
			"gauge bound":       func() { v.fgBound[k].Record(ctx, 0.7) },
			"gauge per call":    func() { v.fg.Record(ctx, 0.7, k) },
		} {
			if n := testing.AllocsPerRun(100, f); n != 0 {
				t.Errorf("%v, %s: %v allocations per measurement", tmp, name, n)
			}
		}
	}
}

// TestValueDelete deletes counter and gauge series on the fast path, with a cumulative reader
// alone and with a delta reader beside it: a deleted series leaves every reader, a held bound
// handle measures unseen, the same label values make a new series from zero, and Reset takes
// the overflow series too.
func TestValueDelete(t *testing.T) {
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
			v := newValues(t, p.mp, nil, false)
			a, b, c := [2]string{"a", "x"}, [2]string{"b", "x"}, [2]string{"c", "y"}
			for _, k := range [][2]string{a, b, c} {
				v.ic.Add(ctx, 5, k)
				v.fg.Record(ctx, 5, k)
			}
			held, heldG := v.ic.Bind(b), v.fg.Bind(b)
			held.Add(ctx, 1)
			heldG.Record(ctx, 6)
			for r := range tc.tmp {
				p.collect(t, r)
			}
			if !v.ic.Delete(b) || v.ic.Delete(b) || !v.fg.Delete(b) || v.fg.Delete(b) {
				t.Fatal("Delete(b) twice: want true, then false")
			}
			if n, m := v.ic.DeletePartialMatch(map[string]string{"op": "y"}), v.fg.DeletePartialMatch(map[string]string{"op": "y"}); n != 1 || m != 1 {
				t.Fatalf("DeletePartialMatch(op=y) = %d, %d; want 1", n, m)
			}
			held.Add(ctx, 1) // unseen, as a client_golang child held across a delete
			heldG.Record(ctx, 7)
			// The limit (4: three series and the overflow) has room again, for two.
			for _, k := range [][2]string{{"d", "x"}, b} {
				v.ic.Add(ctx, 2, k)
				v.fg.Record(ctx, 2, k)
			}
			for r, tmp := range tc.tmp {
				got := sums(t, p.readers[r])
				want := "map[component=a,op=x:5 component=b,op=x:2 component=d,op=x:2]"
				if tmp == metricdata.DeltaTemporality {
					want = "map[component=b,op=x:2 component=d,op=x:2]"
				}
				if fmt.Sprint(got["requests"]) != want || fmt.Sprint(got["temperature"]) != want {
					t.Errorf("reader %d (%v): counter %v, gauge %v; want %s", r, tmp, got["requests"], got["temperature"], want)
				}
			}
			if v.ic.len() != 3 || v.fg.gcells.len() != 3 {
				t.Errorf("cached %d counter and %d gauge series, want 3", v.ic.len(), v.fg.gcells.len())
			}
			// Past the limit now: the overflow series, then Reset takes it too.
			v.ic.Add(ctx, 1, [2]string{"f", "x"})
			if got := sums(t, p.readers[0])["requests"]; got["otel.metric.overflow=true"] != 1 {
				t.Fatalf("no overflow series: %v", got)
			}
			v.ic.Reset()
			v.fg.Reset()
			for r := range tc.tmp {
				if got := sums(t, p.readers[r]); len(got["requests"]) != 0 || len(got["temperature"]) != 0 || v.ic.len() != 0 {
					t.Errorf("reader %d after Reset: %v", r, got)
				}
			}
			v.ic.Add(ctx, 3, a)
			if got := fmt.Sprint(sums(t, p.readers[0])["requests"]); got != "map[component=a,op=x:3]" {
				t.Errorf("re-created after Reset: %s", got)
			}
		})
	}
}
