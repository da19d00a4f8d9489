package instrument

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Number is the value type of an instrument.
type Number interface{ int64 | float64 }

// Adder is the synchronous SDK instrument a Counter drains into: metric.Int64Counter,
// metric.Int64UpDownCounter, metric.Float64Counter or metric.Float64UpDownCounter.
type Adder[N Number] interface {
	Add(ctx context.Context, incr N, options ...metric.AddOption)
}

// Counter is a counter or up-down counter whose Add is an atomic add on a per-series cell.
//
// A counter created from a FastPath's MeterProvider (telemetry.New's) records on the fast
// path when the path applies to it (see FastPath): its cells are the series of a stream
// telediag aggregates, which the readers' producers emit as the SDK's sum would, so that a
// deleted series leaves every reader. On any other provider, or when a View sends the
// instrument to the SDK, the cells are drained into inst, the SDK's own instrument, at the
// start of every collection by its Group's callback (see the package doc), so every reader,
// View and exporter sees inst as usual.
//
// A nil *Counter records nothing.
type Counter[N Number, K comparable] struct {
	inst  Adder[N]
	attrs func(K) attribute.Set

	// The drain path.
	series  *seriesCache[K, vcell[N]]
	isFloat bool
	// overflow is set when the counter has a series budget: label sets past it add here.
	overflow []metric.AddOption

	// The fast path: the cell of each series whose label values map to one for good.
	fast  *valueStream[N]
	cells *seriesCache[K, vcell[N]]
}

// NewCounter wraps inst, the instrument called name created from g's Meter, so that Add and
// Bind record at the cost of an atomic add; g drains it at each collection until its Release.
// attrs turns label values into the series' attribute set; it is called once per series.
//
// Every new series is created at 0 when first seen (Add or Bind), so it is exported from then
// on even before its first non-zero Add, as client_golang's are.
func NewCounter[N Number, K comparable](g *Group, name string, inst Adder[N], attrs func(K) attribute.Set) (*Counter[N, K], error) {
	if g == nil || inst == nil || attrs == nil {
		return nil, errors.New("instrument: NewCounter needs a group, an instrument and an attribute function")
	}
	var zero N
	_, isFloat := any(zero).(float64)
	c := &Counter[N, K]{inst: inst, attrs: attrs, isFloat: isFloat}
	if v := valueOf[N](inst); v != nil {
		// A series budget (max_series) lowers the stream's own limit; lowerLimit(0) reads it.
		// Only cells that are the label values' for good are cached, at most as many as the
		// stream keeps series; the stream logs the overflow. Nothing to drain.
		limit := v.lowerLimit(g.limitFor(name, v.lowerLimit(0)))
		c.fast = v
		c.cells = newSeriesCache[K, vcell[N]](name, Settings{CardinalityLimit: limit}, nil)
		c.cells.dead = (*vcell[N]).isGone
		return c, nil
	}
	s := g.settings
	if limit := g.limitFor(name, s.CardinalityLimit); limit != s.CardinalityLimit {
		// A series budget (max_series) below the provider's limit: the SDK knows no limit per
		// instrument, so label sets past the budget are folded here, into the SDK's series of
		// the overflow set, which it serves as its own overflow series.
		s.CardinalityLimit = limit
		c.overflow = []metric.AddOption{metric.WithAttributeSet(overflowSet)}
	}
	c.series = newSeriesCache(name, s, func(k K) *vcell[N] {
		return newDrainCell(inst, attrs(k), isFloat)
	})
	if err := g.addCounter(c); err != nil {
		return nil, fmt.Errorf("instrument: counter %s: %w", name, err)
	}
	return c, nil
}

// Add adds incr to the series with label values k.
//
// Add is a call (a generic method, shaped, cost 558 to the inliner): the read lock and the map
// lookup are its cost, as in client_golang's WithLabelValues. What it calls on the way is
// written out here rather than called: the cache's lookup (shaped, cost 169, not inlined) and
// the cell's add for a whole number (vcell.add, cost 97, not inlined), so that the known
// series of an integer counter cost no call beyond Add itself.
func (c *Counter[N, K]) Add(ctx context.Context, incr N, k K) {
	if c == nil {
		return
	}
	cache := c.cells
	if c.fast == nil {
		cache = c.series
	}
	cache.mu.RLock()
	s := cache.m[k]
	cache.mu.RUnlock()
	if s != nil {
		if i := int64(incr); s.plain && N(i) == incr {
			atomic.AddInt64(&s.n, i)
		} else {
			s.addAt(ctx, incr)
		}
		return
	}
	if c.fast != nil {
		c.resolve(ctx, incr, k)
		return
	}
	if s := c.series.add(k); s != nil {
		s.add(incr)
		return
	}
	if c.overflow != nil {
		c.inst.Add(ctx, incr, c.overflow...) // past the series budget
		return
	}
	// Past the cache bound: the SDK's own path, which folds the series into its overflow.
	c.inst.Add(ctx, incr, metric.WithAttributeSet(c.attrs(k)))
}

// Bind returns the series with label values k, for a hot path that adds to it repeatedly.
// The handle is one pointer, to the series' cell; past the limit (or the cache bound), to a
// cell of its own whose redirect says where its additions go.
func (c *Counter[N, K]) Bind(k K) CounterBound[N] {
	if c == nil {
		return CounterBound[N]{}
	}
	if c.fast != nil {
		if s := c.cells.lookup(k); s != nil {
			return CounterBound[N]{c: s}
		}
		// Created at 0 now, as an Add of 0 creates a series in the SDK.
		if s, keep := c.resolve(context.Background(), 0, k); keep {
			return CounterBound[N]{c: s}
		}
		// Past the limit: measured through the stream at every Add.
		return CounterBound[N]{c: &vcell[N]{redirect: &redirect[N]{v: c.fast, set: c.attrs(k)}}}
	}
	if s := c.series.get(k); s != nil {
		return CounterBound[N]{c: s}
	}
	if c.overflow != nil {
		return CounterBound[N]{c: &vcell[N]{redirect: &redirect[N]{inst: c.inst, opts: c.overflow}}}
	}
	opts := []metric.AddOption{metric.WithAttributeSet(c.attrs(k))}
	return CounterBound[N]{c: &vcell[N]{redirect: &redirect[N]{inst: c.inst, opts: opts}}}
}

// resolve measures incr for label values k through the stream (fast path), creating the
// series as a first measurement does, and caches its cell when it is theirs for good.
func (c *Counter[N, K]) resolve(ctx context.Context, incr N, k K) (*vcell[N], bool) {
	s, keep := c.fast.measure(ctx, incr, c.attrs(k))
	if keep {
		c.cells.store(k, s)
	}
	return s, keep
}

// AddSet adds incr to the series with attribute set set, for a caller that already holds one.
// It costs a map lookup and may allocate where Add costs an atomic add, and also accepts
// attributes the catalogue does not declare: the SDK's own path, or on the fast path the
// stream's lookup by attribute set.
func (c *Counter[N, K]) AddSet(ctx context.Context, incr N, set attribute.Set) {
	if c == nil {
		return
	}
	if c.fast != nil {
		c.fast.measure(ctx, incr, set)
		return
	}
	c.inst.Add(ctx, incr, metric.WithAttributeSet(set))
}

// len reports how many series are cached (on the drain path, drained at each collection).
func (c *Counter[N, K]) len() int {
	if c == nil {
		return 0
	}
	if c.fast != nil {
		return c.cells.len()
	}
	return c.series.len()
}

// drain moves every cell's pending sum into the SDK instrument. The SDK runs it before each
// reader reads its aggregations, so whatever was added before a collection began is in it.
func (c *Counter[N, K]) drain(ctx context.Context) {
	c.series.each(func(s *vcell[N]) {
		if v, ok := s.take(); ok {
			c.inst.Add(ctx, v, s.opts[:]...)
		}
	})
}

// CounterBound is one series of a Counter: one pointer, to the series' cell. Its Add allocates
// nothing. Generated code converts it to Int64CounterBound or Float64CounterBound, whose Add
// is the atomic add inlined into the caller; this generic one's Add is a call. The zero value
// records nothing.
type CounterBound[N Number] struct{ c *vcell[N] }

// Add adds incr to the series.
func (b CounterBound[N]) Add(ctx context.Context, incr N) { b.c.addBound(ctx, incr) }

// Int64CounterBound is a bound series of an int64 counter or up-down counter, as generated code
// holds it: Int64CounterBound(counter.Bind(k)). It is one pointer, and its Add inlines into
// the caller (generated Add methods included) as a nil test, a test of the cell's plain flag
// and one atomic add; anything else (a delta reader, a label set past the limit, the zero
// value) is one call, outside the fast path. docs/benchmarks.md, "What inlines", has the
// compiler's word for it. The zero value records nothing.
type Int64CounterBound struct{ c *vcell[int64] }

// Add adds incr to the series.
func (b Int64CounterBound) Add(ctx context.Context, incr int64) {
	c := b.c
	if c != nil && c.plain {
		atomic.AddInt64(&c.n, incr)
	} else {
		addInt64(c, ctx, incr)
	}
}

// Float64CounterBound is Int64CounterBound for a float64 counter or up-down counter: one
// pointer, a whole increment the same atomic add and a fractional one the compare-and-swap loop.
// Its Add does not inline (cost 90 to the inliner: the whole-number test does not fit beside the
// call for the rare cases), so it is one call.
type Float64CounterBound struct{ c *vcell[float64] }

// Add adds incr to the series.
func (b Float64CounterBound) Add(ctx context.Context, incr float64) {
	c := b.c
	if i := int64(incr); c != nil && c.plain && float64(i) == incr {
		atomic.AddInt64(&c.n, i)
	} else {
		addFloat64(c, ctx, incr)
	}
}

// addInt64 and addFloat64 are the bound handles' calls for the rare cases: non-generic, so
// that the call passes no dictionary, and not inlined (noinline), so that the inliner charges
// the handle's Add for a call and not for this body.
//
//go:noinline
func addInt64(c *vcell[int64], ctx context.Context, incr int64) { c.addBound(ctx, incr) }

//go:noinline
func addFloat64(c *vcell[float64], ctx context.Context, incr float64) { c.addBound(ctx, incr) }

// addBound is a bound handle's Add in full: nothing on a nil cell (a zero handle), the
// redirect past the limit, or the cell's own add (a delta cell's mark, a fractional value).
func (c *vcell[N]) addBound(ctx context.Context, incr N) {
	if c == nil {
		return
	}
	if r := c.redirect; r != nil {
		if r.v != nil {
			r.v.measure(ctx, incr, r.set)
			return
		}
		r.inst.Add(ctx, incr, r.opts...)
		return
	}
	c.addAt(ctx, incr)
}

// newDrainCell is the drain path's cell of a series: a sum cell drained into inst, created
// there at 0 now, so that the series is exported before its first increment.
func newDrainCell[N Number](inst Adder[N], set attribute.Set, isFloat bool) *vcell[N] {
	s := &vcell[N]{attrs: set, isFloat: isFloat, plain: true, opts: &[1]metric.AddOption{metric.WithAttributeSet(set)}}
	inst.Add(context.Background(), 0, s.opts[:]...)
	return s
}

// take returns a drain cell's pending sum and resets it; ok is false when nothing was added.
func (c *vcell[N]) take() (v N, ok bool) {
	if atomic.LoadInt64(&c.n) == 0 && c.f.Load() == 0 {
		return 0, false
	}
	return loadSum[N](atomic.SwapInt64(&c.n, 0), math.Float64frombits(c.f.Swap(0)), c.isFloat), true
}
