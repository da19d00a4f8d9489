package instrument

import (
	"context"
	"errors"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RecorderInstrument is the synchronous SDK instrument a Recorder records into:
// metric.Int64Histogram, metric.Float64Histogram, metric.Int64Gauge or metric.Float64Gauge.
type RecorderInstrument[N Number] interface {
	Record(ctx context.Context, val N, options ...metric.RecordOption)
}

// Recorder is a histogram or gauge whose series are looked up by their label values, without
// allocating once a series is known.
//
// A histogram created from a FastPath's MeterProvider (telemetry.New's) records on the
// fast path when the path applies to it (see FastPath): the Recorder keeps, per series,
// the lock-free cell of counts that the readers' producers collect, and Record costs what
// client_golang's Observe does. Otherwise (a gauge, a histogram on any other MeterProvider or
// one a View sends to the SDK) it caches the attribute option of each series, and each value
// goes through the SDK, which aggregates it.
//
// A nil *Recorder records nothing.
type Recorder[N Number, K comparable] struct {
	inst  RecorderInstrument[N]
	attrs func(K) attribute.Set

	// The SDK's path: the attribute option of each series, and the overflow set's when the
	// Recorder has a series budget.
	series   *seriesCache[K, sdkSeries]
	overflow []metric.RecordOption
	// The fast path: the cell of each series whose label values map to one for good, for a
	// histogram or a gauge.
	fast   *histogram[N]
	cells  *seriesCache[K, hcell[N]]
	gauge  *valueStream[N]
	gcells *seriesCache[K, vcell[N]]
}

// NewRecorder wraps inst, the instrument called name created from g's Meter; g's Settings bound
// its cache. attrs turns label values into the series' attribute set; it is called once per
// cached series.
func NewRecorder[N Number, K comparable](g *Group, name string, inst RecorderInstrument[N], attrs func(K) attribute.Set) (*Recorder[N, K], error) {
	if g == nil || inst == nil || attrs == nil {
		return nil, errors.New("instrument: NewRecorder needs a group, an instrument and an attribute function")
	}
	r := &Recorder[N, K]{inst: inst, attrs: attrs}
	if h := fastOf[N](inst); h != nil {
		// A series budget (max_series) lowers the stream's own limit; lowerLimit(0) reads it.
		limit := h.lowerLimit(g.limitFor(name, h.lowerLimit(0)))
		// Only cells that are the label values' for good are cached (see histogram.resolve),
		// at most as many as the stream keeps series; the histogram logs the overflow.
		r.fast = h
		r.cells = newSeriesCache[K, hcell[N]](name, Settings{CardinalityLimit: limit}, nil)
		r.cells.dead = (*hcell[N]).isGone
		return r, nil
	}
	if v := valueOf[N](inst); v != nil {
		// A gauge on the fast path, cached as a histogram's cells are.
		limit := v.lowerLimit(g.limitFor(name, v.lowerLimit(0)))
		r.gauge = v
		r.gcells = newSeriesCache[K, vcell[N]](name, Settings{CardinalityLimit: limit}, nil)
		r.gcells.dead = (*vcell[N]).isGone
		return r, nil
	}
	s := g.settings
	if limit := g.limitFor(name, s.CardinalityLimit); limit != s.CardinalityLimit {
		// A series budget below the provider's limit, which the SDK cannot hold one instrument
		// to: label sets past it record into the SDK's series of the overflow set.
		s.CardinalityLimit = limit
		r.overflow = recordOptions(overflowSet)
	}
	r.series = newSeriesCache(name, s, func(k K) *sdkSeries {
		set := attrs(k)
		return &sdkSeries{opts: recordOptions(set), attrs: set}
	})
	return r, nil
}

// Record records val for the series with label values k.
func (r *Recorder[N, K]) Record(ctx context.Context, val N, k K) {
	if r == nil {
		return
	}
	// The caches' lookup (shaped, cost 169 to the inliner) is written out rather than called,
	// as in Counter.Add: a known gauge series costs Record's one call, a histogram's two (the
	// cell's record, cost 436, is a call).
	if r.gauge != nil {
		r.gcells.mu.RLock()
		c := r.gcells.m[k]
		r.gcells.mu.RUnlock()
		if c != nil {
			c.set(val)
			return
		}
		r.resolveGauge(val, k)
		return
	}
	if r.fast != nil {
		r.cells.mu.RLock()
		c := r.cells.m[k]
		r.cells.mu.RUnlock()
		if c != nil && c.record(val) {
			c.exemplar(ctx, val)
			return
		}
		r.recordSlow(ctx, val, k)
		return
	}
	if o := r.series.get(k); o != nil {
		r.inst.Record(ctx, val, o.opts...)
		return
	}
	if r.overflow != nil {
		r.inst.Record(ctx, val, r.overflow...) // past the series budget
		return
	}
	r.inst.Record(ctx, val, metric.WithAttributeSet(r.attrs(k)))
}

// recordSlow records val for a series whose cell is not cached: new, or past the cardinality
// limit.
func (r *Recorder[N, K]) recordSlow(ctx context.Context, val N, k K) {
	if r.fast.ignores(val) {
		return // a native stream's NaN or infinity creates no series
	}
	for {
		if c, _ := r.resolve(k); c.record(val) {
			c.exemplar(ctx, val)
			return
		}
	}
}

// resolve finds (or creates, as a first measurement does) the cell of label values k, and
// caches it when it is theirs for good.
func (r *Recorder[N, K]) resolve(k K) (*hcell[N], bool) {
	c, keep := r.fast.resolve(r.attrs(k))
	if keep {
		r.cells.store(k, c)
	}
	return c, keep
}

// resolveGauge records val for label values k through the gauge's stream, creating the series
// as a first measurement does, and caches its cell when it is theirs for good.
func (r *Recorder[N, K]) resolveGauge(val N, k K) (*vcell[N], bool) {
	c, keep := r.gauge.measure(context.Background(), val, r.attrs(k))
	if keep {
		r.gcells.store(k, c)
	}
	return c, keep
}

// RecordSet records val for the series with attribute set set, for a caller that already holds
// one. It allocates the option that carries set; Record with label values does not. On the
// fast path, attribute values of type MAP or SLICE are taken as given, where the SDK would
// remove duplicate keys inside them.
func (r *Recorder[N, K]) RecordSet(ctx context.Context, val N, set attribute.Set) {
	if r == nil {
		return
	}
	if r.gauge != nil {
		r.gauge.measure(ctx, val, set)
		return
	}
	if r.fast != nil {
		r.fast.record(ctx, val, set)
		return
	}
	r.inst.Record(ctx, val, metric.WithAttributeSet(set))
}

// Bind returns the series with label values k, for a hot path. Binding does not create the
// series: as with the SDK, it exists from its first Record.
func (r *Recorder[N, K]) Bind(k K) RecorderBound[N] {
	if r == nil {
		return RecorderBound[N]{}
	}
	if r.gauge != nil {
		b := &boundSeries[N]{resolveGauge: func(v N) (*vcell[N], bool) { return r.resolveGauge(v, k) }}
		if c := r.gcells.lookup(k); c != nil {
			b.gcell.Store(c)
		}
		return RecorderBound[N]{s: b}
	}
	if r.fast != nil {
		b := &boundSeries[N]{fast: r.fast, resolve: func() (*hcell[N], bool) { return r.resolve(k) }}
		if c := r.cells.lookup(k); c != nil {
			b.cell.Store(c)
		}
		return RecorderBound[N]{s: b}
	}
	if o := r.series.get(k); o != nil {
		return RecorderBound[N]{s: &boundSeries[N]{inst: r.inst, opts: o.opts}}
	}
	if r.overflow != nil {
		return RecorderBound[N]{s: &boundSeries[N]{inst: r.inst, opts: r.overflow}}
	}
	return RecorderBound[N]{s: &boundSeries[N]{inst: r.inst, opts: recordOptions(r.attrs(k))}}
}

// sdkSeries is a series of a Recorder on the SDK's path: the option that carries its attribute
// set, and the set, which DeletePartialMatch reads.
type sdkSeries struct {
	opts  []metric.RecordOption
	attrs attribute.Set
}

func recordOptions(set attribute.Set) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(set)}
}

// RecorderBound is one series of a Recorder. Its Record allocates nothing; the zero value
// records nothing. It is one pointer, so that a generated bound type passes it in a register.
type RecorderBound[N Number] struct{ s *boundSeries[N] }

// Record records val for the series.
func (b RecorderBound[N]) Record(ctx context.Context, val N) {
	s := b.s
	if s == nil {
		return
	}
	if c := s.cell.Load(); c != nil && c.record(val) {
		c.exemplar(ctx, val)
		return
	}
	if c := s.gcell.Load(); c != nil {
		c.set(val)
		return
	}
	s.record(ctx, val)
}

// boundSeries is what a RecorderBound records into: on the fast path, its cell once the series
// has one for good (resolved at the first Record); on the SDK's path, the instrument and the
// series' attribute option.
type boundSeries[N Number] struct {
	cell    atomic.Pointer[hcell[N]]
	resolve func() (*hcell[N], bool)
	fast    *histogram[N] // the stream resolve resolves in

	// A gauge on the fast path: its cell once the series has one for good; resolveGauge
	// records a value and resolves the cell.
	gcell        atomic.Pointer[vcell[N]]
	resolveGauge func(N) (*vcell[N], bool)

	inst RecorderInstrument[N]
	opts []metric.RecordOption
}

func (s *boundSeries[N]) record(ctx context.Context, val N) {
	if s.resolveGauge != nil {
		if c, keep := s.resolveGauge(val); keep {
			s.gcell.Store(c)
		}
		return
	}
	if s.resolve == nil {
		s.inst.Record(ctx, val, s.opts...)
		return
	}
	if s.fast.ignores(val) {
		return // a native stream's NaN or infinity creates no series
	}
	for {
		c, keep := s.resolve()
		if keep {
			s.cell.Store(c)
		}
		if c.record(val) {
			c.exemplar(ctx, val)
			return
		}
	}
}
