package instrument

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

// The differential tests run one program (recordings with label values given per call, through
// bound series, through attribute sets and through the OTel instrument, interleaved with
// collections of the readers) on two providers configured alike: one behind a FastPath,
// whose histograms take the fast path, and a plain SDK one. Every collection of every reader
// must give equal metricdata, timestamps aside; the timestamps are then checked against when
// the instruments were created and when the collections ran.

var bounds = []float64{0.5, 1, 2.5, 5, 10, 25, 50, 100}

// provider is one side of a differential test.
type provider struct {
	sdk     *sdkmetric.MeterProvider
	mp      metric.MeterProvider
	readers []*sdkmetric.ManualReader
}

// setup describes a differential test's providers.
type setup struct {
	temporalities []metricdata.Temporality // one reader each
	views         []sdkmetric.View
	limit         int
	perSeries     bool // OTEL_GO_X_PER_SERIES_START_TIMESTAMPS=true
	// aggregation is every reader's aggregation selector (nil: the default).
	aggregation sdkmetric.AggregationSelector
}

func temporalitySelector(t metricdata.Temporality) sdkmetric.TemporalitySelector {
	return func(sdkmetric.InstrumentKind) metricdata.Temporality { return t }
}

func (s setup) build(t *testing.T, fast bool) *provider {
	t.Helper()
	var path *FastPath
	if fast {
		path = NewFastPath(FastPathConfig{Views: s.views, CardinalityLimit: s.limit})
	}
	p := &provider{}
	opts := []sdkmetric.Option{
		sdkmetric.WithView(s.views...), sdkmetric.WithCardinalityLimit(s.limit),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
	}
	for _, tmp := range s.temporalities {
		ropts := []sdkmetric.ManualReaderOption{sdkmetric.WithTemporalitySelector(temporalitySelector(tmp))}
		if s.aggregation != nil {
			ropts = append(ropts, sdkmetric.WithAggregationSelector(s.aggregation))
		}
		if fast {
			prod, err := path.Producer(temporalitySelector(tmp), s.aggregation)
			if err != nil {
				t.Fatal(err)
			}
			ropts = append(ropts, sdkmetric.WithProducer(prod))
		}
		r := sdkmetric.NewManualReader(ropts...)
		p.readers = append(p.readers, r)
		opts = append(opts, sdkmetric.WithReader(r))
	}
	p.sdk = sdkmetric.NewMeterProvider(opts...)
	t.Cleanup(func() { _ = p.sdk.Shutdown(context.Background()) })
	p.mp = p.sdk
	if fast {
		p.mp = path.MeterProvider(p.sdk)
	}
	return p
}

// collect collects reader r, with the producer's scopes merged into the SDK's as telemetry
// merges them before an OTLP export.
func (p *provider) collect(t *testing.T, r int) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := p.readers[r].Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var merged []metricdata.ScopeMetrics
	for _, sm := range rm.ScopeMetrics {
		i := slices.IndexFunc(merged, func(m metricdata.ScopeMetrics) bool { return m.Scope == sm.Scope })
		if i < 0 {
			merged = append(merged, metricdata.ScopeMetrics{Scope: sm.Scope, Metrics: slices.Clone(sm.Metrics)})
			continue
		}
		merged[i].Metrics = append(merged[i].Metrics, sm.Metrics...)
	}
	rm.ScopeMetrics = merged
	return rm
}

// histograms are one instrument of each number type on one side, as generated code builds them.
type histograms struct {
	f      *Recorder[float64, [2]string]
	i      *Recorder[int64, [2]string]
	fInst  metric.Float64Histogram
	idle   metric.Float64Histogram // no labels: recorded without options, as generated code does
	fBound map[[2]string]RecorderBound[float64]
	iBound map[[2]string]RecorderBound[int64]
}

func newHistograms(t *testing.T, mp metric.MeterProvider, keys [][2]string) *histograms {
	t.Helper()
	m := mp.Meter("example.com/scope", metric.WithInstrumentationVersion("v1.2.3"),
		metric.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"),
		metric.WithInstrumentationAttributes(attribute.String("team", "diag")))
	g := NewGroup(m)
	fi, err := m.Float64Histogram("latency", metric.WithDescription("How long."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(bounds...))
	if err != nil {
		t.Fatal(err)
	}
	ii, err := m.Int64Histogram("size", metric.WithDescription("How big."), metric.WithUnit("By"),
		metric.WithExplicitBucketBoundaries(bounds...))
	if err != nil {
		t.Fatal(err)
	}
	idle, err := m.Float64Histogram("idle", metric.WithExplicitBucketBoundaries(bounds...))
	if err != nil {
		t.Fatal(err)
	}
	h := &histograms{fInst: fi, idle: idle, fBound: map[[2]string]RecorderBound[float64]{}, iBound: map[[2]string]RecorderBound[int64]{}}
	if h.f, err = NewRecorder(g, "latency", metric.Float64Histogram(fi), attrs2); err != nil {
		t.Fatal(err)
	}
	if h.i, err = NewRecorder(g, "size", metric.Int64Histogram(ii), attrs2); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		h.fBound[k] = h.f.Bind(k)
		h.iBound[k] = h.i.Bind(k)
	}
	return h
}

// op is one step of a program.
type op struct {
	collect int // reader to collect, or -1 for a recording
	key     [2]string
	form    int // 0 per call, 1 bound, 2 RecordSet, 3 the OTel instrument
	f       float64
	i       int64
}

// program returns n random steps over keys. whole makes every float value a multiple of 1/64,
// so that sums are exact whatever order they are added in.
func program(rng *rand.Rand, n, readers int, keys [][2]string, whole bool) []op {
	ops := make([]op, n)
	for j := range ops {
		if rng.IntN(12) == 0 {
			ops[j] = op{collect: rng.IntN(readers)}
			continue
		}
		f := rng.Float64()*120 - 5
		if whole {
			f = float64(rng.IntN(120*64)-5*64) / 64
		}
		if rng.IntN(40) == 0 {
			f = bounds[rng.IntN(len(bounds))] // on a boundary
		}
		ops[j] = op{collect: -1, key: keys[rng.IntN(len(keys))], form: rng.IntN(4), f: f, i: int64(rng.IntN(130)) - 5}
	}
	return ops
}

func (h *histograms) run(ctx context.Context, o op) {
	switch o.form {
	case 0:
		h.f.Record(ctx, o.f, o.key)
		h.i.Record(ctx, o.i, o.key)
	case 1:
		h.fBound[o.key].Record(ctx, o.f)
		h.iBound[o.key].Record(ctx, o.i)
	case 2:
		h.f.RecordSet(ctx, o.f, attrs2(o.key))
		h.i.RecordSet(ctx, o.i, attrs2(o.key))
	default:
		h.fInst.Record(ctx, o.f, metric.WithAttributes(attribute.String("op", o.key[1]), attribute.String("component", o.key[0])))
		h.i.RecordSet(ctx, o.i, attrs2(o.key))
		h.idle.Record(ctx, o.f)
	}
}

func keysN(n int) [][2]string {
	keys := make([][2]string, n)
	for i := range keys {
		keys[i] = [2]string{fmt.Sprint("c", i%7), fmt.Sprint("op", i)}
	}
	return keys
}

// differential runs ops on both sides of s and compares every collection.
func differential(t *testing.T, s setup, keys [][2]string, ops []op) {
	t.Helper()
	ctx := context.Background()
	if s.perSeries {
		t.Setenv(envPerSeriesStart, "true")
	}
	created0 := time.Now()
	ref, fast := s.build(t, false), s.build(t, true)
	hr, hf := newHistograms(t, ref.mp, keys), newHistograms(t, fast.mp, keys)
	created1 := time.Now()
	if fastOf[float64](hf.fInst) == nil {
		t.Fatal("the histogram did not take the fast path")
	}
	// Per reader and side: the previous collection's window and each metric's Time in it.
	prev := make([]window, len(s.temporalities))
	prevFast := make([]window, len(s.temporalities))
	// Per reader and side: the StartTime of each cumulative series, which must not move.
	starts, startsFast := make([]map[string]time.Time, len(s.temporalities)), make([]map[string]time.Time, len(s.temporalities))
	for j := range starts {
		starts[j], startsFast[j] = map[string]time.Time{}, map[string]time.Time{}
	}
	for j := range prev {
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
			created.to = c1 // a series starts at its first measurement
		}
		checkTimes(t, want, s.temporalities[r], created, &prev[r], window{c0, c1, nil}, starts[r])
		checkTimes(t, got, s.temporalities[r], created, &prevFast[r], window{c0, c1, nil}, startsFast[r])
	}
	for _, o := range ops {
		if o.collect >= 0 {
			check(o.collect)
			continue
		}
		hr.run(ctx, o)
		hf.run(ctx, o)
	}
	for r := range s.temporalities {
		check(r)
	}
}

// pointTimes lists the start times, times and series of a sum's or gauge's data points.
func pointTimes[N int64 | float64](name string, dps []metricdata.DataPoint[N]) (starts, times []time.Time, series []string) {
	for _, p := range dps {
		starts, times = append(starts, p.StartTime), append(times, p.Time)
		series = append(series, name+" "+setString(p.Attributes))
	}
	return starts, times, series
}

// window is when something happened, and the Time of each metric reported then.
type window struct {
	from, to time.Time
	times    map[string]time.Time
}

// checkTimes checks each histogram data point's timestamps: Time within the collection c;
// StartTime within the instruments' creation for cumulative data; for delta data, within the
// previous collection of the reader (or the creation), and equal to the metric's Time then if
// it was reported.
func checkTimes(t *testing.T, rm metricdata.ResourceMetrics, temporality metricdata.Temporality, created window, prev *window, c window, seriesStarts map[string]time.Time) {
	t.Helper()
	c.times = map[string]time.Time{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var starts, times []time.Time
			var series []string
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					starts, times = append(starts, p.StartTime), append(times, p.Time)
					series = append(series, m.Name+" "+setString(p.Attributes))
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					starts, times = append(starts, p.StartTime), append(times, p.Time)
					series = append(series, m.Name+" "+setString(p.Attributes))
				}
			case metricdata.ExponentialHistogram[float64]:
				for _, p := range d.DataPoints {
					starts, times = append(starts, p.StartTime), append(times, p.Time)
					series = append(series, m.Name+" "+setString(p.Attributes))
				}
			case metricdata.ExponentialHistogram[int64]:
				for _, p := range d.DataPoints {
					starts, times = append(starts, p.StartTime), append(times, p.Time)
					series = append(series, m.Name+" "+setString(p.Attributes))
				}
			case metricdata.Sum[float64]:
				starts, times, series = pointTimes(m.Name, d.DataPoints)
			case metricdata.Sum[int64]:
				starts, times, series = pointTimes(m.Name, d.DataPoints)
			case metricdata.Gauge[float64]:
				starts, times, series = pointTimes(m.Name, d.DataPoints)
			case metricdata.Gauge[int64]:
				starts, times, series = pointTimes(m.Name, d.DataPoints)
			}
			for i := range starts {
				if temporality == metricdata.CumulativeTemporality {
					st, ok := seriesStarts[series[i]]
					if ok && !st.Equal(starts[i]) {
						t.Fatalf("%s: cumulative StartTime moved from %v to %v", series[i], st, starts[i])
					}
					// With per-series start times, a series first reported now was first
					// recorded after the previous collection began.
					if !ok && created.to.Equal(c.to) && starts[i].Before(prev.from) {
						t.Fatalf("%s: per-series StartTime %v before the previous collection %v", series[i], starts[i], prev.from)
					}
					seriesStarts[series[i]] = starts[i]
				}
				if times[i].Before(c.from) || times[i].After(c.to) || times[i] != times[0] {
					t.Fatalf("%s: Time %v not the collection's [%v, %v]", m.Name, times[i], c.from, c.to)
				}
				c.times[m.Name] = times[i]
				from, to := created.from, created.to
				if temporality == metricdata.DeltaTemporality {
					from, to = prev.from, prev.to
				}
				if starts[i].Before(from) || starts[i].After(to) {
					t.Fatalf("%s: %s StartTime %v outside [%v, %v]", m.Name, temporality, starts[i], from, to)
				}
				if pt, ok := prev.times[m.Name]; ok && temporality == metricdata.DeltaTemporality && !starts[i].Equal(pt) {
					t.Fatalf("%s: delta StartTime %v, want the previous Time %v", m.Name, starts[i], pt)
				}
			}
		}
	}
	*prev = c
}

func TestHistogramMatchesSDK(t *testing.T) {
	cum, delta := metricdata.CumulativeTemporality, metricdata.DeltaTemporality
	renameFilter := sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{
		Name: "latency_by_op", Description: "Latency by op.", Unit: "ms",
		AttributeFilter: attribute.NewAllowKeysFilter("op"),
	})
	rebucket := sdkmetric.NewView(sdkmetric.Instrument{Name: "size"}, sdkmetric.Stream{
		Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: []float64{0, 10, 100}, NoMinMax: true},
	})
	dropAll := sdkmetric.NewView(sdkmetric.Instrument{Name: "*"}, sdkmetric.Stream{AttributeFilter: attribute.NewDenyKeysFilter("component", "op")})
	for _, tc := range []struct {
		name  string
		setup setup
		keys  int
		whole bool // values whose sums do not depend on the order of addition
	}{
		{"cumulative", setup{temporalities: []metricdata.Temporality{cum}}, 20, false},
		{"delta", setup{temporalities: []metricdata.Temporality{delta}}, 20, false},
		{"cumulative+delta", setup{temporalities: []metricdata.Temporality{cum, delta}}, 20, true},
		{"cumulative+cumulative", setup{temporalities: []metricdata.Temporality{cum, cum}}, 20, true},
		{"views", setup{temporalities: []metricdata.Temporality{cum, delta}, views: []sdkmetric.View{renameFilter, rebucket}}, 20, true},
		{"views/no labels kept", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{dropAll}}, 20, false},
		{"limit/cumulative", setup{temporalities: []metricdata.Temporality{cum}, limit: 6}, 14, false},
		// Past the limit a delta reader's overflow series adds the series it folds: float sums
		// of values that are not whole numbers may differ in their last bits.
		{"limit/delta", setup{temporalities: []metricdata.Temporality{delta}, limit: 6}, 14, true},
		{"limit/cumulative+delta", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 6}, 14, true},
		{"limit/views", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 4, views: []sdkmetric.View{renameFilter}}, 30, true},
		{"limit 1", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 1}, 5, true},
		{"per-series start", setup{temporalities: []metricdata.Temporality{cum}, limit: 6, perSeries: true}, 14, false},
		{"per-series start/delta", setup{temporalities: []metricdata.Temporality{cum, delta}, limit: 6, perSeries: true}, 14, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := range uint64(8) {
				rng := rand.New(rand.NewPCG(seed, 17))
				keys := keysN(tc.keys)
				differential(t, tc.setup, keys, program(rng, 600, len(tc.setup.temporalities), keys, tc.whole))
			}
		})
	}
}

// TestHistogramSpecialValues: infinities, negative zero, huge and tiny values, through one
// cumulative and one delta reader.
func TestHistogramSpecialValues(t *testing.T) {
	keys := keysN(2)
	var ops []op
	for _, v := range []float64{math.Inf(1), -0.0, 1e300, -1e300, 5e-324, 0.5, 1 << 62, math.Inf(1), 3} {
		ops = append(ops, op{collect: -1, key: keys[0], f: v, i: int64(v)}, op{collect: 1})
	}
	ops = append(ops, op{collect: 0})
	differential(t, setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}}, keys, ops)
}

// TestHistogramRecordAllocs: on the fast path a known series records without allocating,
// bound, by label values, and without labels through the OTel instrument.
func TestHistogramRecordAllocs(t *testing.T) {
	p := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality}}.build(t, true)
	k := [2]string{"a", "b"}
	h := newHistograms(t, p.mp, [][2]string{k})
	ctx := context.Background()
	h.f.Record(ctx, 1, k)
	h.idle.Record(ctx, 1)
	for name, f := range map[string]func(){
		"bound":     func() { h.fBound[k].Record(ctx, 0.7) },
		"per call":  func() { h.f.Record(ctx, 0.7, k) },
		"no labels": func() { h.idle.Record(ctx, 0.7) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per Record", name, n)
		}
	}
}

// TestFastPathChoice: what takes the SDK's path, decided at creation.
func TestFastPathChoice(t *testing.T) {
	cum, delta := metricdata.CumulativeTemporality, metricdata.DeltaTemporality
	for _, tc := range []struct {
		name  string
		setup setup
		fast  bool
	}{
		{"no view", setup{temporalities: []metricdata.Temporality{cum, delta}}, true},
		{"exponential", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}}),
		}}, true},
		// MaxSize 2 can reach the SDK's lowest scale, where it drops values by their order.
		{"exponential/max size 2", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 2, MaxScale: 20}}),
		}}, false},
		{"exponential/huge", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: maxFastExpoSize + 1, MaxScale: 20}}),
		}}, false},
		// An invalid aggregation is ignored by NewView: the reader's default.
		{"exponential/invalid", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 21}}),
		}}, true},
		{"sum", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationSum{}}),
		}}, false},
		{"two streams", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Name: "a"}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Name: "b"}),
		}}, false},
		{"two views, one stream", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Name: "a"}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Name: "A"}),
		}}, true},
		{"dropped", setup{temporalities: []metricdata.Temporality{cum}, views: []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "latency"}, sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}}),
		}}, false},
		{"two delta readers", setup{temporalities: []metricdata.Temporality{delta, delta}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.setup.build(t, true)
			h := newHistograms(t, p.mp, nil)
			if fast := fastOf[float64](h.fInst) != nil; fast != tc.fast || (h.f.fast != nil) != tc.fast {
				t.Fatalf("fast path %v, want %v", fast, tc.fast)
			}
		})
	}
	t.Run("plain provider", func(t *testing.T) {
		p := setup{temporalities: []metricdata.Temporality{cum}}.build(t, false)
		if h := newHistograms(t, p.mp, nil); h.f.fast != nil {
			t.Fatal("a plain MeterProvider's histogram took the fast path")
		}
	})
	t.Run("scope with a map attribute", func(t *testing.T) {
		p := setup{temporalities: []metricdata.Temporality{cum}}.build(t, true)
		m := p.mp.Meter("s", metric.WithInstrumentationAttributes(attribute.Map("m", attribute.String("k", "v"))))
		inst, err := m.Float64Histogram("latency")
		if err != nil || OnFastPath(inst) {
			t.Fatalf("fast path %v, err %v; want the SDK's path", OnFastPath(inst), err)
		}
	})
	t.Run("stream claimed by the SDK's path", func(t *testing.T) {
		// "a" takes the SDK's path (two streams); "b" is renamed into one of them, so it records
		// where "a" does, as the SDK's aggregator cache would have it.
		views := []sdkmetric.View{
			sdkmetric.NewView(sdkmetric.Instrument{Name: "a"}, sdkmetric.Stream{Name: "x"}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "a"}, sdkmetric.Stream{Name: "y"}),
			sdkmetric.NewView(sdkmetric.Instrument{Name: "b"}, sdkmetric.Stream{Name: "x"}),
		}
		p := setup{temporalities: []metricdata.Temporality{cum}, views: views}.build(t, true)
		m := p.mp.Meter("s")
		a, _ := m.Float64Histogram("a")
		b, _ := m.Float64Histogram("b")
		if OnFastPath(a) || OnFastPath(b) {
			t.Fatalf("fast path a %v, b %v; want the SDK's path for both", OnFastPath(a), OnFastPath(b))
		}
	})
	t.Run("producer after the provider", func(t *testing.T) {
		path := NewFastPath(FastPathConfig{})
		path.MeterProvider(sdkmetric.NewMeterProvider())
		if _, err := path.Producer(nil, nil); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestHistogramRecreated: creating the same histogram again (a catalogue created twice on one
// provider) gives the same stream, as the SDK's instrument cache does; one with the same name
// and another description is a stream of its own, as in the SDK (which warns about it).
func TestHistogramRecreated(t *testing.T) {
	s := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality}}
	ref, fast := s.build(t, false), s.build(t, true)
	ctx := context.Background()
	for range 3 {
		for _, p := range []*provider{ref, fast} {
			h := newHistograms(t, p.mp, nil)
			h.f.Record(ctx, 1.5, [2]string{"a", "b"})
			other, err := p.mp.Meter("example.com/scope", metric.WithInstrumentationVersion("v1.2.3"),
				metric.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"),
				metric.WithInstrumentationAttributes(attribute.String("team", "diag"))).
				Float64Histogram("latency", metric.WithDescription("Another description."), metric.WithUnit("s"))
			if err != nil {
				t.Fatal(err)
			}
			other.Record(ctx, 2.5)
		}
	}
	want, got := ref.collect(t, 0), fast.collect(t, 0)
	metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp())
	if ms := got.ScopeMetrics[0].Metrics; len(ms) != 2 || ms[0].Name != "latency" || ms[1].Name != "latency" {
		t.Fatalf("metrics %v, want latency twice", ms)
	}
}

// TestHistogramConcurrent: recordings from several goroutines, bound and per call, while every
// reader collects concurrently, then the totals of both sides are equal. Run with -race.
func TestHistogramConcurrent(t *testing.T) {
	for _, s := range []setup{
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}},
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality}, limit: 5},
		{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.CumulativeTemporality}},
	} {
		t.Run(fmt.Sprint(s.temporalities, " limit=", s.limit), func(t *testing.T) {
			ctx := context.Background()
			keys := keysN(8)
			ref, fast := s.build(t, false), s.build(t, true)
			hr, hf := newHistograms(t, ref.mp, keys), newHistograms(t, fast.mp, keys)
			// Deltas collected meanwhile are summed per series; the final collections add the rest.
			var mu sync.Mutex
			deltas := map[string]uint64{}
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
							addCounts(deltas, rm)
							mu.Unlock()
						}
					}
				})
			}
			var wg sync.WaitGroup
			for g := range 4 {
				wg.Go(func() {
					rng := rand.New(rand.NewPCG(uint64(g), 1))
					for _, o := range program(rng, 3000, 1, keys, true) {
						if o.collect < 0 {
							hf.run(ctx, o)
						}
					}
				})
				// The reference records the same values serially.
				rng := rand.New(rand.NewPCG(uint64(g), 1))
				for _, o := range program(rng, 3000, 1, keys, true) {
					if o.collect < 0 {
						hr.run(ctx, o)
					}
				}
			}
			wg.Wait()
			close(stop)
			collectors.Wait()
			assertConcurrentTotals(t, s, ref, fast, deltas)
		})
	}
}

func addCounts(into map[string]uint64, rm metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += p.Count
				}
			case metricdata.Histogram[int64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += p.Count
				}
			case metricdata.ExponentialHistogram[float64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += p.Count
				}
			case metricdata.ExponentialHistogram[int64]:
				for _, p := range d.DataPoints {
					into[m.Name+" "+setString(p.Attributes)] += p.Count
				}
			}
		}
	}
}

func totalCount(rm metricdata.ResourceMetrics) uint64 {
	m := map[string]uint64{}
	addCounts(m, rm)
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

// TestHistogramCellLayout: the cell's size class keeps cells on cache-line boundaries.
func TestHistogramCellLayout(t *testing.T) {
	if s := unsafe.Sizeof(hcell[float64]{}); s != 256 {
		t.Fatalf("hcell is %d bytes, want 256", s)
	}
	if s := unsafe.Sizeof(phase[int64]{}); s != 64 {
		t.Fatalf("phase is %d bytes, want 64", s)
	}
}

// allowedKeysOption is go.opentelemetry.io/otel/metric/x.WithDefaultAttributes, method for
// method, without the dependency: an instrument option advising the keys a stream keeps.
type allowedKeysOption struct {
	metric.InstrumentOption
	keys []attribute.Key
}

func (allowedKeysOption) Experimental()                  {}
func (o allowedKeysOption) AllowedKeys() []attribute.Key { return o.keys }

// rawAttrsOption is go.opentelemetry.io/otel/metric/x.WithUnsafeAttributes, method for method:
// a measurement option whose raw attributes override the option set's.
type rawAttrsOption struct {
	metric.MeasurementOption
	kvs []attribute.KeyValue
}

func (*rawAttrsOption) Experimental()                         {}
func (o *rawAttrsOption) RawAttributes() []attribute.KeyValue { return o.kvs }

// TestHistogramSniffedOptionsMatchSDK: the experimental options the SDK recognises by their
// methods (advised attribute keys at creation, raw attributes per measurement) give the same
// data on the fast path as on the SDK's, alone, together and under a View's filter.
func TestHistogramSniffedOptionsMatchSDK(t *testing.T) {
	keepComponent := sdkmetric.NewView(sdkmetric.Instrument{Name: "filtered"},
		sdkmetric.Stream{AttributeFilter: attribute.NewAllowKeysFilter("component")})
	s := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality},
		views: []sdkmetric.View{keepComponent}}
	ref, fast := s.build(t, false), s.build(t, true)
	ctx := context.Background()
	for _, p := range []*provider{ref, fast} {
		m := p.mp.Meter("sniff")
		for _, tc := range []struct {
			name string
			opts []metric.Float64HistogramOption
		}{
			{"plain", nil},
			{"advised_op", []metric.Float64HistogramOption{allowedKeysOption{keys: []attribute.Key{"op"}}}},
			{"advised_none", []metric.Float64HistogramOption{allowedKeysOption{keys: []attribute.Key{}}}},
			{"filtered", []metric.Float64HistogramOption{allowedKeysOption{keys: []attribute.Key{"op"}}}},
		} {
			h, err := m.Float64Histogram(tc.name, append(tc.opts, metric.WithExplicitBucketBoundaries(bounds...))...)
			if err != nil {
				t.Fatal(err)
			}
			if p == fast && !OnFastPath(h) {
				t.Fatalf("%s: not on the fast path", tc.name)
			}
			set := metric.WithAttributes(attribute.String("component", "a"), attribute.String("op", "get"))
			h.Record(ctx, 1, set)
			h.Record(ctx, 2, set, &rawAttrsOption{kvs: []attribute.KeyValue{attribute.String("op", "put")}})
			h.Record(ctx, 3, &rawAttrsOption{kvs: []attribute.KeyValue{attribute.String("component", "b")}},
				&rawAttrsOption{kvs: []attribute.KeyValue{attribute.String("op", "del")}})
			h.Record(ctx, 4)
		}
	}
	for r := range s.temporalities {
		want, got := ref.collect(t, r), fast.collect(t, r)
		if !metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp()) {
			t.FailNow()
		}
	}
}

// assertConcurrentTotals ends a concurrent test: after every recording and the collections
// made meanwhile, each cumulative reader of fast holds what ref's does (exactly without a
// limit, the same number of recordings with one), and the deltas a delta reader collected,
// added to its last collection's, are ref's totals.
func assertConcurrentTotals(t *testing.T, s setup, ref, fast *provider, deltas map[string]uint64) {
	t.Helper()
	for r, tmp := range s.temporalities {
		want, got := ref.collect(t, r), fast.collect(t, r)
		if tmp == metricdata.CumulativeTemporality {
			if s.limit == 0 {
				metricdatatest.AssertEqual(t, want, got, metricdatatest.IgnoreTimestamp())
			}
			if a, b := totalCount(want), totalCount(got); a != b {
				t.Fatalf("reader %d: %d recordings, want %d", r, b, a)
			}
			continue
		}
		addCounts(deltas, got)
		total := map[string]uint64{}
		addCounts(total, want)
		var sumDeltas, sumTotal uint64
		for _, v := range deltas {
			sumDeltas += v
		}
		for _, v := range total {
			sumTotal += v
		}
		if sumDeltas != sumTotal || (s.limit == 0 && fmt.Sprint(deltas) != fmt.Sprint(total)) {
			t.Fatalf("deltas add up to %v, want %v", deltas, total)
		}
	}
}
