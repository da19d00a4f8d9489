package instrument

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// valueStream is one sum (a counter's or an up-down counter's) or one last-value (a gauge's)
// stream recorded on the fast path: what the SDK would hold for it in every reader's pipeline,
// held once, in per-series cells that record without a lock and are read by the producers of
// the readers telediag built (see FastPath). It exists so that a deleted series can leave
// every reader: the SDK (v1.47) offers no way to end a series of its own aggregations.
//
// Two modes, fixed at creation, as a histogram's:
//
//   - Cumulative (every reader that gets the stream is cumulative): a cell is what the SDK's
//     cumulative aggregation keeps per series (a running sum, or the last value), read in
//     place by every collection. The first limit-1 label sets get a cell for the life of the
//     instrument (or until deleted); every later one records into the overflow cell.
//   - Delta (one reader is delta): a sum cell holds what was added since the last collection of
//     any reader, which each collection moves into per-reader states (a cumulative reader's
//     totals, the delta reader's sums since its last collection); a gauge cell keeps its last
//     value. Every cell notes, per collection cycle, when it was first measured (seq), so that
//     the delta reader reports only the series measured in its interval, the first limit-1 of
//     them in the order they arrived, as the SDK's delta aggregations do; sets past the
//     cumulative limit get transient cells, retired at the delta reader's collection.
type valueStream[N Number] struct {
	name, description, unit string

	gauge     bool // last value; otherwise a sum
	monotonic bool // a counter's sum
	// exemplars is the filter of a counter's exemplars (one per series, the latest, as
	// client_golang keeps a counter's); off for other kinds, which Prometheus serves as
	// gauges, without exemplars.
	exemplars Exemplars
	filter    attribute.Filter
	limit     int
	readers   []histReader // by reader index of the FastPath
	deltaIdx  int          // the delta reader's index; -1 in cumulative mode
	start     time.Time
	logger    *slog.Logger

	seq atomic.Uint64 // delta mode: orders each cell's first measurement in a cycle, and a gauge's every one

	mu         sync.RWMutex
	cells      map[attribute.Distinct]*vcell[N]
	persistent []*vcell[N] // the label sets under the cumulative limit, in arrival order
	dead       int         // deleted cells still in persistent
	transient  []*vcell[N] // delta mode: sets past the limit in the current delta interval
	overflow   *vcell[N]
	// overflowSince is when the first label set past the limit arrived: the start of a
	// cumulative reader's overflow series when series carry their own start times.
	overflowSince time.Time
	empty         atomic.Pointer[vcell[N]] // the cell of the empty label set, once resolved

	collectMu sync.Mutex
	states    []valueState[N] // delta mode: per reader
	// deletes counts the cells deleted (drop, reset); purged is its value when the readers'
	// states were last rid of deleted cells (purgeStates), under collectMu.
	deletes atomic.Uint64
	purged  uint64
}

// valueState is one reader's view of the stream in delta mode. Points are keyed by cell, so
// that a deleted cell's point goes at the next collection and the cell's memory with it.
type valueState[N Number] struct {
	// A cumulative reader: the totals (sums) or last values (gauges) of each persistent cell,
	// and of the rest.
	points   map[*vcell[N]]*vpoint[N]
	overflow *vpoint[N]
	// The delta reader: what each cell recorded since the last collection, and when that was.
	pending map[*vcell[N]]*vpoint[N]
	last    time.Time
}

// vpoint is a reader's state of one series in delta mode: a sum kept as the SDK keeps one,
// whole numbers apart from the rest, or a last value.
type vpoint[N Number] struct {
	sumInt   int64
	sumFloat float64
	value    N
	seq      uint64 // the first measurement in the interval (the delta reader's order)
	last     uint64 // a gauge's latest measurement
}

func newValueStream[N Number](s resolvedStream, gauge, monotonic bool, readers []histReader, limit int, logger *slog.Logger, exemplars Exemplars) *valueStream[N] {
	v := &valueStream[N]{
		name: s.name, description: s.description, unit: s.unit,
		gauge: gauge, monotonic: monotonic, filter: s.filter,
		limit: limit, readers: readers, deltaIdx: -1, start: time.Now(), logger: logger,
		cells: map[attribute.Distinct]*vcell[N]{},
	}
	if monotonic {
		v.exemplars = exemplars
	}
	for i, r := range readers {
		if r.enabled && r.delta {
			v.deltaIdx = i
		}
	}
	if v.deltaIdx >= 0 {
		v.states = make([]valueState[N], len(readers))
		for i := range v.states {
			v.states[i].points = map[*vcell[N]]*vpoint[N]{}
			v.states[i].pending = map[*vcell[N]]*vpoint[N]{}
			v.states[i].last = v.start
		}
	}
	return v
}

// vcell is one series of a sum or gauge stream, and the drain path's cell of a counter series.
// What a measurement touches is on the first cache line, alone; the cell is 128 bytes, two
// lines, so that the allocator's size class keeps every cell line-aligned and goroutines
// measuring neighbouring series share no line. A measurement needs nothing but the cell: no
// flag of its instrument, no lock, so that a bound handle is one pointer to it, and its Add
// (Int64CounterBound.Add) is plain's test and n's atomic add.
type vcell[N Number] struct {
	// A sum: whole numbers in n, the rest as float bits in f, as the SDK's atomicCounter and
	// client_golang's counter keep them; a gauge: the value's bits in n. n is read and written
	// only through sync/atomic's functions: atomic.AddInt64 costs the inliner less than
	// atomic.Int64's Add, which is what keeps Int64CounterBound.Add under the inlining budget.
	// As the first word of a heap object it is 64-bit aligned on every platform.
	n int64
	f atomic.Uint64
	// seq is, in delta mode, the order of the cell's first measurement in the current cycle (0:
	// none yet), which tells the delta reader which series were measured in its interval.
	seq atomic.Uint64
	// last is, for a gauge in delta mode, the order of its latest measurement, so that the
	// overflow series takes the latest value of the sets folded into it, as the SDK's does.
	last atomic.Uint64
	// redirect, set only on a cell made for a bound handle (never in a stream or a cache), is
	// where that handle's Add goes: a label set past the limit.
	redirect  *redirect[N]
	delta     bool // read-only: the stream is in delta mode
	gauge     bool // read-only
	isFloat   bool // read-only
	transient bool // read-only
	// gone is set when the series is deleted: collections skip the cell, and a bound handle
	// that still holds it measures into it unseen, as client_golang's held child does. Written
	// once, at the delete.
	gone atomic.Bool
	// opts is the drain path's: the option carrying attrs, given to the SDK at each drain.
	opts *[1]metric.AddOption
	// ex is the series' exemplar, nil unless the stream keeps them. Read only when plain is
	// false, right after the add has taken this line anyway.
	ex *exemplarSlot

	// Read-only once the cell exists, on a line nothing writes.
	//
	// plain is set when adding a whole number is n's atomic add and nothing else: a sum cell,
	// in cumulative mode (or the drain path's), without a redirect. A bound handle tests it and
	// nothing else before the add (the one branch for the rare cases). It is on this line, not
	// beside n, so that when goroutines on several CPUs add to one series, the test reads a line
	// every CPU keeps shared, and the add alone moves the contended line: beside n, each add
	// first loaded the line another CPU had just written, then took it again to write it.
	plain   bool
	s       *valueStream[N]
	attrs   attribute.Set
	created time.Time
}

// redirect is where a bound handle's Add goes past the limit: through the stream's lookup of
// the label set at every measurement (fast path, delta mode: a delta interval may give it a
// series of its own), or to the SDK's instrument with the set's options (drain path).
type redirect[N Number] struct {
	v    *valueStream[N]
	set  attribute.Set
	inst Adder[N]
	opts []metric.AddOption
}

// add adds v to a sum cell: one atomic add for a whole number, the SDK's compare-and-swap
// loop for the rest.
func (c *vcell[N]) add(v N) {
	if iv := int64(v); float64(iv) == float64(v) {
		atomic.AddInt64(&c.n, iv)
	} else {
		for {
			old := c.f.Load()
			if c.f.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+float64(v))) {
				break
			}
		}
	}
	if c.delta && c.seq.Load() == 0 {
		c.mark()
	}
}

// set stores v in a gauge cell. In delta mode it also takes a number from the stream's
// sequence (one atomic add on a line the stream's gauge cells share): the order of the
// measurements of different series is what the overflow series' value depends on.
func (c *vcell[N]) set(v N) {
	atomic.StoreInt64(&c.n, int64(toBits(v, c.isFloat)))
	if c.delta {
		n := c.s.seq.Add(1)
		c.last.Store(n)
		if c.seq.Load() == 0 {
			c.seq.CompareAndSwap(0, n)
		}
	}
}

// measure records v, measured in ctx, as the cell's kind does.
func (c *vcell[N]) measure(ctx context.Context, v N) {
	if c.gauge {
		c.set(v)
		return
	}
	c.addAt(ctx, v)
}

// addAt adds v, measured in ctx, to a sum cell, and offers it as the series' exemplar when the
// stream keeps them (a counter's, with a trace_based or always_on filter).
func (c *vcell[N]) addAt(ctx context.Context, v N) {
	c.add(v)
	if c.ex != nil {
		c.ex.offer(ctx, c.s.exemplars, toBits(v, c.isFloat))
	}
}

// exemplars returns the cell's exemplar as a data point's, if it has one measured in
// [since, until) (zero times: at any time).
func (c *vcell[N]) exemplars(since, until time.Time) []metricdata.Exemplar[N] {
	if c.ex == nil {
		return nil
	}
	if e, ok := exemplarOf[N](c.ex, since, until, c.isFloat); ok {
		return []metricdata.Exemplar[N]{e}
	}
	return nil
}

// mark notes the cell's first measurement of the cycle.
func (c *vcell[N]) mark() { c.seq.CompareAndSwap(0, c.s.seq.Add(1)) }

func (c *vcell[N]) isGone() bool { return c.gone.Load() }

// load reads a sum cell's total (the SDK's atomicCounter.load) or a gauge cell's value.
func (c *vcell[N]) load() N {
	if c.gauge {
		return fromBits[N](uint64(atomic.LoadInt64(&c.n)), c.isFloat)
	}
	return loadSum[N](atomic.LoadInt64(&c.n), math.Float64frombits(c.f.Load()), c.isFloat)
}

func (v *valueStream[N]) isFloat() bool {
	var zero N
	_, ok := any(zero).(float64)
	return ok
}

func (v *valueStream[N]) newCell(set attribute.Set, now time.Time) *vcell[N] {
	delta := v.deltaIdx >= 0
	c := &vcell[N]{s: v, attrs: set, created: now, delta: delta, gauge: v.gauge, isFloat: v.isFloat()}
	if v.exemplars != ExemplarsOff {
		c.ex = new(exemplarSlot)
	}
	c.plain = !delta && !v.gauge && c.ex == nil
	return c
}

// measure records x for the label set set, creating its series as the SDK creates one at its
// first measurement (after the stream's attribute filter, under the cardinality limit), and
// returns the cell it recorded into. keep reports whether the set records into that cell for
// the life of the instrument (until deleted), so that the caller may keep it and measure into
// it directly; otherwise measure again through the stream (past the limit in delta mode).
//
// A measurement into a transient cell happens under the stream's lock, so that the delta
// reader's collection, which retires transient cells under the write lock and then reads
// them, never misses one.
func (v *valueStream[N]) measure(ctx context.Context, x N, set attribute.Set) (c *vcell[N], keep bool) {
	if v.filter != nil {
		set, _ = set.Filter(v.filter)
	}
	d := set.Equivalent()
	v.mu.RLock()
	c = v.cells[d]
	if c == nil && v.deltaIdx < 0 && v.overflow != nil && len(v.persistent)-v.dead >= v.limit-1 {
		// Past the limit with cumulative readers only: the overflow series, for good. Found
		// under the read lock, so that an unbounded label does not queue every measurement on
		// the write lock.
		c = v.overflow
	}
	if c != nil {
		c.measure(ctx, x)
		keep = !c.transient && (c != v.overflow || v.deltaIdx < 0)
		v.mu.RUnlock()
		return c, keep
	}
	v.mu.RUnlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	c, keep = v.locate(set, d)
	c.measure(ctx, x)
	return c, keep
}

// locate finds or creates the cell of set. v.mu is held for writing.
func (v *valueStream[N]) locate(set attribute.Set, d attribute.Distinct) (*vcell[N], bool) {
	if c := v.cells[d]; c != nil {
		return c, !c.transient
	}
	now := time.Now()
	switch {
	case v.limit <= 0 || len(v.persistent)-v.dead < v.limit-1:
		c := v.newCell(set, now)
		v.persistent = append(v.persistent, c)
		v.cells[d] = c
		return c, true
	case v.deltaIdx >= 0 && len(v.transient) < v.limit-1:
		v.noteOverflow(now)
		c := v.newCell(set, now)
		c.transient = true
		v.transient = append(v.transient, c)
		v.cells[d] = c
		return c, false
	default:
		v.noteOverflow(now)
		if v.overflow == nil {
			v.overflow = v.newCell(overflowSet, now)
		}
		// In delta mode the set may be a series of its own in a later interval.
		return v.overflow, v.deltaIdx < 0
	}
}

// noteOverflow records the first label set past the limit, logging it once. v.mu is held.
func (v *valueStream[N]) noteOverflow(now time.Time) {
	if !v.overflowSince.IsZero() {
		return
	}
	v.overflowSince = now
	if v.logger != nil {
		v.logger.Warn("metrics: instrument reached its cardinality limit; new label sets are folded into the otel_metric_overflow series",
			"instrument", v.name, "limit", v.limit)
	}
}

// measureEmpty records x for the empty label set: an OTel Add or Record without options.
func (v *valueStream[N]) measureEmpty(ctx context.Context, x N) {
	if c := v.empty.Load(); c != nil && !c.gone.Load() {
		c.measure(ctx, x)
		return
	}
	if c, keep := v.measure(ctx, x, *attribute.EmptySet()); keep {
		v.empty.Store(c)
	}
}

// lowerLimit holds the stream to limit (a metric's series budget plus the overflow series) when
// it is lower than the one it has, as histogram.lowerLimit does.
func (v *valueStream[N]) lowerLimit(limit int) int {
	v.collectMu.Lock()
	defer v.collectMu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	if limit > 0 && (v.limit <= 0 || limit < v.limit) {
		v.limit = limit
	}
	return v.limit
}

// delete deletes the series of label set set (after the stream's filter) and reports whether
// there was one.
func (v *valueStream[N]) delete(set attribute.Set) bool {
	if v.filter != nil {
		set, _ = set.Filter(v.filter)
	}
	d := set.Equivalent()
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.cells[d]
	if c == nil {
		return false
	}
	v.drop(d, c)
	v.compactIfSparse()
	return true
}

// deleteIf deletes every series for which match reports true and returns how many.
func (v *valueStream[N]) deleteIf(match func(*vcell[N]) bool) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := 0
	for d, c := range v.cells {
		if match(c) {
			v.drop(d, c)
			n++
		}
	}
	if n > 0 {
		v.compactIfSparse()
	}
	return n
}

// reset deletes every series, the overflow series and what the readers' states hold of it
// included. collectMu first, as collections take it before v.mu.
func (v *valueStream[N]) reset() {
	v.collectMu.Lock()
	defer v.collectMu.Unlock()
	v.deleteIf(func(*vcell[N]) bool { return true })
	v.mu.Lock()
	if o := v.overflow; o != nil {
		o.gone.Store(true)
		v.deletes.Add(1)
		v.overflow, v.overflowSince = nil, time.Time{}
	}
	v.mu.Unlock()
	for i := range v.states {
		v.states[i].overflow = nil
	}
}

// drop takes c, the cell of d, out of the stream. v.mu is held.
func (v *valueStream[N]) drop(d attribute.Distinct, c *vcell[N]) {
	delete(v.cells, d)
	c.gone.Store(true)
	v.deletes.Add(1)
	if e := v.empty.Load(); e == c {
		v.empty.CompareAndSwap(c, nil)
	}
	if !c.transient {
		v.dead++
	}
}

// compactIfSparse drops deleted cells from persistent once they are half of it (or all), so
// that deleting series one by one costs amortised constant time; a collection compacts what is
// left. v.mu is held.
func (v *valueStream[N]) compactIfSparse() {
	if v.dead > 0 && (v.dead*2 >= len(v.persistent) || len(v.cells) == 0) {
		v.compact()
	}
}

// compact drops the deleted cells from persistent, in a new slice: collections read the old
// one without the lock. v.mu is held.
func (v *valueStream[N]) compact() {
	if v.dead == 0 {
		return
	}
	live := make([]*vcell[N], 0, len(v.persistent)-v.dead)
	for _, c := range v.persistent {
		if !c.gone.Load() {
			live = append(live, c)
		}
	}
	v.persistent, v.dead = live, 0
	if len(v.cells) == 0 {
		v.cells = map[attribute.Distinct]*vcell[N]{} // a map never shrinks: let its buckets go
	}
}

// collect appends the stream's data for reader r to m, and reports whether there was any: a
// stream without data points is left out, as the SDK leaves it out.
func (v *valueStream[N]) collect(r int, m *metricdata.Metrics) bool {
	if r >= len(v.readers) || !v.readers[r].enabled {
		return false
	}
	v.collectMu.Lock()
	defer v.collectMu.Unlock()
	t := time.Now()
	var dps []metricdata.DataPoint[N]
	temporality := metricdata.CumulativeTemporality
	switch {
	case v.deltaIdx < 0:
		dps = v.collectCumulative(t)
	case r == v.deltaIdx:
		temporality = metricdata.DeltaTemporality
		dps = v.collectDelta(r, t)
	default:
		dps = v.collectCumulativeState(r, t)
	}
	if len(dps) == 0 {
		return false
	}
	m.Name, m.Description, m.Unit = v.name, v.description, v.unit
	if v.gauge {
		m.Data = metricdata.Gauge[N]{DataPoints: dps}
	} else {
		m.Data = metricdata.Sum[N]{DataPoints: dps, Temporality: temporality, IsMonotonic: v.monotonic}
	}
	return true
}

// collectCumulative reads every cell in cumulative mode, in place, as the SDK's cumulative
// sum and last value read theirs.
func (v *valueStream[N]) collectCumulative(t time.Time) []metricdata.DataPoint[N] {
	v.mu.Lock()
	v.compact() // series deleted since the last collection: let their cells go now
	cells, overflow := v.persistent, v.overflow
	v.mu.Unlock()
	perSeries := perSeriesStart()
	dps := make([]metricdata.DataPoint[N], 0, len(cells)+1)
	emit := func(c *vcell[N]) {
		if c.gone.Load() {
			return // deleted while this collection ran
		}
		start := v.start
		if perSeries {
			start = c.created
		}
		dps = append(dps, metricdata.DataPoint[N]{Attributes: c.attrs, StartTime: start, Time: t, Value: c.load(), Exemplars: c.exemplars(time.Time{}, time.Time{})})
	}
	for _, c := range cells {
		emit(c)
	}
	if overflow != nil {
		emit(overflow)
	}
	return dps
}

// drainAll moves what every cell measured since the last collection into every reader's state
// (delta mode). retire is set for the delta reader's collection, which ends the interval of
// the transient cells.
func (v *valueStream[N]) drainAll(retire bool) (overflow *vcell[N]) {
	v.mu.Lock()
	overflow = v.overflow
	cells := make([]*vcell[N], 0, len(v.persistent)+len(v.transient)+1)
	cells = append(cells, v.persistent...)
	cells = append(cells, v.transient...)
	if v.overflow != nil {
		cells = append(cells, v.overflow)
	}
	if retire {
		for _, c := range v.transient {
			if d := c.attrs.Equivalent(); v.cells[d] == c {
				delete(v.cells, d) // measurements from now on find another cell
			}
		}
		v.transient = nil
	}
	v.mu.Unlock()
	v.purgeStates()

	for _, c := range cells {
		if c.gone.Load() {
			continue // deleted: what it measured since the last collection goes with it
		}
		// The cycle's mark first, then the value: a measurement in between is read now and
		// marks the next cycle too, which at worst reports a 0 there; the other order could
		// leave a value unmarked.
		seq := c.seq.Swap(0)
		var p vpoint[N]
		if v.gauge {
			if seq == 0 {
				continue
			}
			p.last = c.last.Load()
			p.value = c.load()
		} else {
			p.sumInt = atomic.SwapInt64(&c.n, 0)
			p.sumFloat = math.Float64frombits(c.f.Swap(0))
			if seq == 0 {
				if p.sumInt == 0 && p.sumFloat == 0 {
					continue
				}
				seq = v.seq.Add(1) // measured after the mark was read
			}
		}
		p.seq = seq
		for ri := range v.states {
			if !v.readers[ri].enabled {
				continue
			}
			st := &v.states[ri]
			var dst *vpoint[N]
			switch {
			case ri == v.deltaIdx:
				if dst = st.pending[c]; dst == nil {
					dst = &vpoint[N]{seq: p.seq}
					st.pending[c] = dst
				}
			case c.transient || c == overflow:
				if st.overflow == nil {
					st.overflow = &vpoint[N]{}
				}
				dst = st.overflow
			default:
				if dst = st.points[c]; dst == nil {
					dst = &vpoint[N]{}
					st.points[c] = dst
				}
			}
			dst.merge(&p, v.gauge)
		}
	}
	return overflow
}

// purgeStates drops deleted cells from every reader's state once series were deleted since
// the last purge, so that their memory goes at the next collection of any reader, not at the
// next one of the reader that holds them (a push reader may collect once a minute or less).
// collectMu is held.
func (v *valueStream[N]) purgeStates() {
	n := v.deletes.Load()
	if n == v.purged {
		return
	}
	v.purged = n
	for i := range v.states {
		st := &v.states[i]
		st.points = withoutGone(st.points, (*vcell[N]).isGone)
		st.pending = withoutGone(st.pending, (*vcell[N]).isGone)
	}
}

// withoutGone returns m without the keys gone reports, in a new map when that leaves at most
// half of it: a Go map never shrinks its buckets, so the memory of deleted series would stay.
func withoutGone[K comparable, V any](m map[K]V, gone func(K) bool) map[K]V {
	n := 0
	for k := range m {
		if gone(k) {
			n++
		}
	}
	if n == 0 {
		return m
	}
	if n*2 < len(m) {
		for k := range m {
			if gone(k) {
				delete(m, k)
			}
		}
		return m
	}
	out := make(map[K]V, len(m)-n)
	for k, v := range m {
		if !gone(k) {
			out[k] = v
		}
	}
	return out
}

// merge adds a drained sum, or takes a gauge's value when it is the later one.
func (p *vpoint[N]) merge(o *vpoint[N], gauge bool) {
	if gauge {
		if o.last >= p.last {
			p.value, p.last = o.value, o.last
		}
		return
	}
	p.sumInt += o.sumInt
	p.sumFloat += o.sumFloat
}

func (p *vpoint[N]) load(gauge, isFloat bool) N {
	if gauge {
		return p.value
	}
	return loadSum[N](p.sumInt, p.sumFloat, isFloat)
}

// collectCumulativeState reads a cumulative reader's totals in delta mode.
func (v *valueStream[N]) collectCumulativeState(r int, t time.Time) []metricdata.DataPoint[N] {
	v.drainAll(false)
	st := &v.states[r]
	v.mu.RLock()
	overflowSince, overflowCell := v.overflowSince, v.overflow
	v.mu.RUnlock()
	perSeries := perSeriesStart()
	isFloat := v.isFloat()
	dps := make([]metricdata.DataPoint[N], 0, len(st.points)+1)
	for c, p := range st.points {
		if c.gone.Load() {
			delete(st.points, c) // deleted: its totals go, and the cell with them
			continue
		}
		start := v.start
		if perSeries {
			start = c.created
		}
		dps = append(dps, metricdata.DataPoint[N]{Attributes: c.attrs, StartTime: start, Time: t, Value: p.load(v.gauge, isFloat), Exemplars: c.exemplars(time.Time{}, time.Time{})})
	}
	if p := st.overflow; p != nil {
		start := v.start
		if perSeries {
			start = overflowSince
		}
		dp := metricdata.DataPoint[N]{Attributes: overflowSet, StartTime: start, Time: t, Value: p.load(v.gauge, isFloat)}
		if overflowCell != nil {
			dp.Exemplars = overflowCell.exemplars(time.Time{}, time.Time{})
		}
		dps = append(dps, dp)
	}
	return dps
}

// collectDelta reads the delta reader's points since its last collection: the series measured
// in the interval, the first limit-1 in the order they arrived and the others folded into the
// overflow series, as the SDK's delta sum and last value keep them.
func (v *valueStream[N]) collectDelta(r int, t time.Time) []metricdata.DataPoint[N] {
	overflowCell := v.drainAll(true)
	st := &v.states[r]
	start := st.last
	st.last = t
	if len(st.pending) == 0 {
		return nil
	}
	entries, overflow, next := takeInterval(st.pending, overflowCell,
		func(c *vcell[N]) bool { return c.gone.Load() }, func(p *vpoint[N]) uint64 { return p.seq })
	st.pending = next
	if v.limit > 0 && len(entries) > v.limit-1 {
		if overflow == nil {
			overflow = &vpoint[N]{}
		}
		for _, e := range entries[v.limit-1:] {
			overflow.merge(e.p, v.gauge) // a gauge's: the latest value of the sets it folds
		}
		entries = entries[:v.limit-1]
	}
	isFloat := v.isFloat()
	dps := make([]metricdata.DataPoint[N], 0, len(entries)+1)
	for _, e := range entries {
		dps = append(dps, metricdata.DataPoint[N]{Attributes: e.c.attrs, StartTime: start, Time: t, Value: e.p.load(v.gauge, isFloat), Exemplars: e.c.exemplars(start, t)})
	}
	if overflow != nil {
		dp := metricdata.DataPoint[N]{Attributes: overflowSet, StartTime: start, Time: t, Value: overflow.load(v.gauge, isFloat)}
		if overflowCell != nil {
			dp.Exemplars = overflowCell.exemplars(start, t)
		}
		dps = append(dps, dp)
	}
	return dps
}
