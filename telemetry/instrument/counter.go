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
// A counter created from a HistogramPath's MeterProvider (telemetry.New's) records on the fast
// path when the path applies to it (see HistogramPath): its cells are the series of a stream
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
	series  *seriesCache[K, cell[N]]
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
	c.series = newSeriesCache(name, s, func(k K) *cell[N] {
		return newCell(inst, attrs(k))
	})
	if err := g.addCounter(c); err != nil {
		return nil, fmt.Errorf("instrument: counter %s: %w", name, err)
	}
	return c, nil
}

// Add adds incr to the series with label values k.
func (c *Counter[N, K]) Add(ctx context.Context, incr N, k K) {
	if c == nil {
		return
	}
	if c.fast != nil {
		if s := c.cells.lookup(k); s != nil {
			s.add(incr)
			return
		}
		c.resolve(incr, k)
		return
	}
	if s := c.series.get(k); s != nil {
		s.add(incr, c.isFloat)
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
func (c *Counter[N, K]) Bind(k K) CounterBound[N] {
	if c == nil {
		return CounterBound[N]{}
	}
	if c.fast != nil {
		if s := c.cells.lookup(k); s != nil {
			return CounterBound[N]{vc: s}
		}
		// Created at 0 now, as an Add of 0 creates a series in the SDK.
		if s, keep := c.resolve(0, k); keep {
			return CounterBound[N]{vc: s}
		}
		// Past the limit: measured through the stream at every Add.
		return CounterBound[N]{vs: &boundValue[N]{v: c.fast, set: c.attrs(k)}}
	}
	if s := c.series.get(k); s != nil {
		return CounterBound[N]{cell: s, isFloat: c.isFloat}
	}
	if c.overflow != nil {
		return CounterBound[N]{inst: c.inst, opts: c.overflow}
	}
	return CounterBound[N]{inst: c.inst, opts: []metric.AddOption{metric.WithAttributeSet(c.attrs(k))}}
}

// resolve measures incr for label values k through the stream (fast path), creating the
// series as a first measurement does, and caches its cell when it is theirs for good.
func (c *Counter[N, K]) resolve(incr N, k K) (*vcell[N], bool) {
	s, keep := c.fast.measure(incr, c.attrs(k))
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
		c.fast.measure(incr, set)
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
	c.series.each(func(s *cell[N]) {
		if v, ok := s.take(c.isFloat); ok {
			c.inst.Add(ctx, v, s.opts...)
		}
	})
}

// CounterBound is one series of a Counter. Its Add allocates nothing and costs one atomic add.
// The zero value records nothing.
type CounterBound[N Number] struct {
	// The fast path's cell, which needs nothing else to be added to.
	vc *vcell[N]
	// The drain path's cell.
	cell    *cell[N]
	isFloat bool
	// Past the cache bound, the series records through the SDK directly (drain path) or
	// through the stream's lookup (fast path).
	inst Adder[N]
	opts []metric.AddOption
	vs   *boundValue[N]
}

// boundValue is a series past the cardinality limit bound on the fast path: its label set,
// resolved again at every measurement, as a delta interval may give it a series of its own.
type boundValue[N Number] struct {
	v   *valueStream[N]
	set attribute.Set
}

// Add adds incr to the series.
func (b CounterBound[N]) Add(ctx context.Context, incr N) {
	if b.vc != nil {
		b.vc.add(incr)
		return
	}
	if b.vs != nil {
		b.vs.v.measure(incr, b.vs.set)
		return
	}
	if b.cell != nil {
		b.cell.add(incr, b.isFloat)
		return
	}
	if b.inst != nil {
		b.inst.Add(ctx, incr, b.opts...)
	}
}

// cell accumulates one series' additions between two drains. Integers are added to bits as
// two's complement; floats are kept as IEEE bits and added with a compare-and-swap loop, as
// client_golang's counter does (whether N is a float is passed in from the Counter or the
// bound handle, so that the hot path reads nothing but bits from the cell). bits has a cache
// line to itself: goroutines adding to neighbouring series, or to this one, touch no line
// that holds anything else. The cell is two full lines, 128 bytes, so that the allocator's
// size class keeps every cell line-aligned (at 96 bytes, measured, a bound Add's cost depended
// on where the allocator placed the cell).
type cell[N Number] struct {
	bits  atomic.Uint64
	_     [64 - 8]byte
	opts  []metric.AddOption // read only by drain
	attrs attribute.Set      // read only by DeletePartialMatch
	_     [64 - 24 - 24]byte
}

func newCell[N Number](inst Adder[N], set attribute.Set) *cell[N] {
	s := &cell[N]{opts: []metric.AddOption{metric.WithAttributeSet(set)}, attrs: set}
	// Create the series at 0 now, so it is exported before its first increment.
	inst.Add(context.Background(), 0, s.opts...)
	return s
}

func (s *cell[N]) add(v N, isFloat bool) {
	if !isFloat {
		s.bits.Add(uint64(int64(v)))
		return
	}
	for {
		old := s.bits.Load()
		if s.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+float64(v))) {
			return
		}
	}
}

// take returns the pending sum and resets it; ok is false when nothing was added.
func (s *cell[N]) take(isFloat bool) (v N, ok bool) {
	if s.bits.Load() == 0 {
		return 0, false
	}
	b := s.bits.Swap(0)
	if isFloat {
		return N(math.Float64frombits(b)), true
	}
	return N(int64(b)), true
}
