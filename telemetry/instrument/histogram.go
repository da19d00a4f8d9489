package instrument

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// overflowSet is the SDK's label set for measurements past the cardinality limit.
var overflowSet = attribute.NewSet(attribute.Bool("otel.metric.overflow", true))

// envPerSeriesStart is the SDK's experimental switch for per-series start times of cumulative
// data points; the SDK reads it at every collection, and so does the fast path.
const envPerSeriesStart = "OTEL_GO_X_PER_SERIES_START_TIMESTAMPS"

func perSeriesStart() bool { return strings.EqualFold(os.Getenv(envPerSeriesStart), "true") }

// histogram is one histogram stream recorded on the fast path: what the SDK would hold for it
// in every reader's pipeline, held once, in per-series cells that record without a lock and
// are read by the producers of the readers telediag built (see FastPath).
//
// Two modes, fixed at creation:
//
//   - Cumulative (every reader that gets the stream is cumulative): a cell is what the SDK's
//     cumulative aggregation keeps per series, hot and cold counts that a collection swaps,
//     reads and merges back. Every reader reads the same cells. The cardinality limit is
//     applied when a label set is first recorded: the first limit-1 sets get a cell, every
//     later one records into the overflow cell, for the life of the instrument, as the SDK's
//     cumulative map does.
//   - Delta (one reader is delta, as an OTLP exporter with delta temporality asks): cells hold
//     what was recorded since the last collection of any reader, and each collection drains
//     them into per-reader states (a cumulative reader's totals, the delta reader's points since
//     its last collection). The SDK's delta aggregation forgets its series at every collection,
//     so past the limit a label set may be a series of its own in one interval and folded into
//     the overflow series in the next: sets past the cumulative limit get transient cells (at
//     most limit-1 per interval, retired at the delta reader's collection), and every cell
//     remembers when it was first recorded in a collection cycle, so that the delta reader can
//     keep the first limit-1 sets of its interval, in the order they arrived, as the SDK does.
type histogram[N Number] struct {
	name, description, unit string

	bounds   []float64 // sorted, as the SDK sorts them
	nb       int       // len(bounds)+1 buckets
	noMinMax bool
	isFloat  bool
	nat      *nativeSpec // native buckets (nativecell.go), nil for a classic stream
	filter   attribute.Filter
	// exemplars is the filter of the stream's exemplars: each series keeps the latest
	// measurement that passes it in each classic bucket, as client_golang keeps them.
	exemplars Exemplars
	limit     int
	readers   []histReader // by reader index of the FastPath
	deltaIdx  int          // the delta reader's index; -1 in cumulative mode
	start     time.Time
	logger    *slog.Logger
	// now is the clock of a native stream's resets (MinResetDuration), time.Now but in tests.
	now func() time.Time

	seq atomic.Uint64 // orders the first recording of each cell in each cycle (delta mode)

	mu         sync.RWMutex
	cells      map[attribute.Distinct]*hcell[N]
	persistent []*hcell[N] // the first limit-1 label sets, in arrival order (see dead)
	// dead counts deleted cells still in persistent, dropped by compaction (a new slice, as
	// collections read the old one without the lock).
	dead      int
	transient []*hcell[N] // delta mode: sets past the limit in the current delta interval
	overflow  *hcell[N]
	// overflowSince is when the first label set past the limit arrived: the start of a
	// cumulative reader's overflow series when series carry their own start times.
	overflowSince time.Time
	empty         atomic.Pointer[hcell[N]] // the cell of the empty label set, once resolved

	collectMu sync.Mutex
	states    []readerState[N] // delta mode: per reader
	// deletes counts the cells deleted (drop); purged is its value when the readers' states
	// were last rid of deleted cells (purgeStates), under collectMu.
	deletes atomic.Uint64
	purged  uint64
}

// histReader is what the stream is for one reader of the path.
type histReader struct {
	enabled bool // the reader gets this stream (a View or the reader may drop it)
	delta   bool
}

// readerState is one reader's view of the stream in delta mode.
type readerState[N Number] struct {
	// A cumulative reader: the totals of each persistent cell, and of the rest. Keyed by cell,
	// so that a deleted cell's totals go at the next collection, and the cell with them.
	points   map[*hcell[N]]*hpoint[N]
	overflow *hpoint[N]
	// The delta reader: what each cell recorded since the last collection, and when that was.
	pending map[*hcell[N]]*hpoint[N]
	last    time.Time
}

func newHistogram[N Number](s resolvedStream, readers []histReader, limit int, logger *slog.Logger, exemplars Exemplars) *histogram[N] {
	var zero N
	_, isFloat := any(zero).(float64)
	bounds := slices.Clone(s.bounds)
	slices.Sort(bounds)
	h := &histogram[N]{
		name: s.name, description: s.description, unit: s.unit,
		bounds: bounds, nb: len(bounds) + 1,
		noMinMax: s.noMinMax, isFloat: isFloat, nat: s.native, filter: s.filter, exemplars: exemplars,
		limit: limit, readers: readers, deltaIdx: -1, start: time.Now(), logger: logger, now: time.Now,
		cells: map[attribute.Distinct]*hcell[N]{},
	}
	for i, r := range readers {
		if r.enabled && r.delta {
			h.deltaIdx = i
		}
	}
	if h.deltaIdx >= 0 {
		h.states = make([]readerState[N], len(readers))
		for i := range h.states {
			h.states[i].points = map[*hcell[N]]*hpoint[N]{}
			h.states[i].pending = map[*hcell[N]]*hpoint[N]{}
			h.states[i].last = h.start
		}
	}
	return h
}

// resolve returns the cell that a measurement with label set set records into, creating it as
// the SDK creates a series at its first measurement (after the stream's attribute filter,
// under the cardinality limit). keep reports whether the set records into that cell for the
// life of the instrument, so that the caller may keep it; otherwise resolve again for every
// measurement (past the limit in delta mode).
func (h *histogram[N]) resolve(set attribute.Set) (c *hcell[N], keep bool) {
	if h.filter != nil {
		set, _ = set.Filter(h.filter)
	}
	d := set.Equivalent()
	h.mu.RLock()
	c = h.cells[d]
	if c == nil && h.deltaIdx < 0 && h.overflow != nil && len(h.persistent)-h.dead >= h.limit-1 {
		// Past the limit with cumulative readers only: every new label set records into the
		// overflow series for good. Found under the read lock, so that a label bug (a user ID
		// in a label) does not queue every recording on the write lock.
		c = h.overflow
		h.mu.RUnlock()
		return c, true
	}
	h.mu.RUnlock()
	if c != nil {
		return c, !c.transient
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c = h.cells[d]; c != nil {
		return c, !c.transient
	}
	now := time.Now()
	switch {
	case h.limit <= 0 || len(h.persistent)-h.dead < h.limit-1:
		c = h.newCell(set, now)
		c.index = int32(len(h.persistent))
		h.persistent = append(h.persistent, c)
		h.cells[d] = c
		return c, true
	case h.deltaIdx >= 0 && len(h.transient) < h.limit-1:
		h.noteOverflow(now)
		c = h.newCell(set, now)
		c.transient = true
		h.transient = append(h.transient, c)
		h.cells[d] = c
		return c, false
	default:
		h.noteOverflow(now)
		if h.overflow == nil {
			h.overflow = h.newCell(overflowSet, now)
		}
		// In delta mode the set may be a series of its own in a later interval.
		return h.overflow, h.deltaIdx < 0
	}
}

// noteOverflow records the first label set past the limit, logging it once, as the SDK path
// does for every generated instrument. h.mu is held.
func (h *histogram[N]) noteOverflow(now time.Time) {
	if !h.overflowSince.IsZero() {
		return
	}
	h.overflowSince = now
	if h.logger != nil {
		h.logger.Warn("metrics: instrument reached its cardinality limit; new label sets are folded into the otel_metric_overflow series",
			"instrument", h.name, "limit", h.limit)
	}
}

func (h *histogram[N]) newCell(set attribute.Set, now time.Time) *hcell[N] {
	// Buckets of both phases in one array whose size is a multiple of a cache line (see hcell).
	n := (2*h.nb + 7) &^ 7
	c := &hcell[N]{h: h, buckets: make([]atomic.Uint64, n), attrs: set, created: now.UnixNano(), index: -1}
	if h.exemplars != ExemplarsOff {
		c.ex = newCellExemplars(h)
	}
	if h.nat != nil {
		c.nat = newNcell(h, now)
	}
	return c
}

// record records v, recorded in ctx, for set: the path of RecordSet and of an OTel Record
// with options.
func (h *histogram[N]) record(ctx context.Context, v N, set attribute.Set) {
	if h.ignores(v) {
		return
	}
	for {
		if c, _ := h.resolve(set); c.record(v) {
			c.exemplar(ctx, v)
			return
		}
	}
}

// recordEmpty records v, recorded in ctx, for the empty label set: an OTel Record without
// options.
func (h *histogram[N]) recordEmpty(ctx context.Context, v N) {
	if c := h.empty.Load(); c != nil && c.record(v) {
		c.exemplar(ctx, v)
		return
	}
	if h.ignores(v) {
		return
	}
	for {
		c, keep := h.resolve(*attribute.EmptySet())
		if keep {
			h.empty.Store(c)
		}
		if c.record(v) {
			c.exemplar(ctx, v)
			return
		}
	}
}

// The word a recording increments first: the hot phase in the top bit, a cell retired by the
// delta reader's collection in the next, and the number of recordings started in the hot phase.
const (
	hotBit     = uint64(1) << 63
	retiredBit = uint64(1) << 62
	countMask  = retiredBit - 1
)

// hcell is one series: two phases of counts, one hot (recordings go there) and one cold (a
// collection reads it), swapped by a collection, which then waits for the recordings that
// started in the now-cold phase to end. This is the SDK's hotColdHistogramPoint and
// client_golang's histogram, without the SDK's per-call attribute handling and per-instrument
// map: a bound Record is three atomic operations on the series' own cache lines (the recording
// started, the sum, the bucket), where client_golang's Observe has four and the SDK five.
//
// The cell is 256 bytes, so that the allocator's size class keeps it on cache-line
// boundaries, and its buckets are a separate array sized to a multiple of 64 bytes for the
// same reason: goroutines recording into neighbouring series share no line. Within the cell,
// what a recording only reads has a line of its own, apart from the word every recording
// increments, so that goroutines recording into one series do not also pass that line back and
// forth.
type hcell[N Number] struct {
	// Read-only once the cell exists.
	h       *histogram[N]
	buckets []atomic.Uint64 // phase p's bucket i is buckets[p*h.nb+i]
	attrs   attribute.Set
	// nat is the native part of a stream with native buckets, nil otherwise: a classic
	// recording pays one nil check for it.
	nat *ncell[N]

	started atomic.Uint64 // hotBit | retiredBit | recordings started in the hot phase
	// ex is the series' exemplars, one per classic bucket, nil unless the stream keeps them:
	// read-only, on the line every recording has just written (started), so that reading it
	// costs no other line.
	ex *cellExemplars
	// Read and written by collections only: when the cell was created (Unix nanoseconds), and
	// what a cumulative collection merged into each phase while it was hot.
	created int64
	carried [2]uint64
	// gone is set when the series is deleted (Recorder.Delete): collections skip the cell, and
	// a bound handle that still holds it records into it unseen, as client_golang's held child.
	gone      atomic.Bool
	index     int32 // its arrival order among the persistent cells, or -1: not one of them
	transient bool
	_         [64 - 8 - 8 - 8 - 16 - 4 - 4 - 1]byte

	phases [2]phase[N]
}

// phase is what one phase of a cell accumulates. Sums are kept as the SDK keeps them: whole
// numbers in an integer, the rest in a float, so that the data match the SDK's bit for bit.
type phase[N Number] struct {
	sumInt   atomic.Int64
	sumFloat atomic.Uint64
	min, max atomic.Uint64 // bits of N
	seq      atomic.Uint64 // delta mode: when the phase was first recorded into
	aborted  atomic.Uint64 // recordings that found the cell retired
	set      atomic.Bool   // min and max hold a value
	mu       sync.Mutex    // only for the first value of min and max, as in the SDK
	_        [4]byte
}

// bucketOf is the classic bucket of f among bounds: the first bound at or above f,
// len(bounds) for +Inf and NaN, as the SDK's sort.SearchFloat64s finds it; a linear search
// beats a binary one for a few bounds.
func bucketOf(bounds []float64, f float64) int {
	if len(bounds) >= 35 {
		return sort.SearchFloat64s(bounds, f)
	}
	i := 0
	for i < len(bounds) && !(f <= bounds[i]) {
		i++
	}
	return i
}

// createdAt is when the cell was created.
func (c *hcell[N]) createdAt() time.Time { return time.Unix(0, c.created) }

// record records v; false means the cell was retired and v is not recorded: resolve again.
// The bucket is incremented last: a collection counts a recording as ended when it sees it
// there, as client_golang's histogram counts its observations, which saves the SDK's separate
// counter of ended recordings.
func (c *hcell[N]) record(v N) bool {
	if c.nat != nil {
		return c.recordNative(v)
	}
	h := c.h
	// The bucket, as bucketOf finds it, written out: bucketOf does not inline (cost 109), and
	// this is the path every classic recording takes.
	f, i := float64(v), 0
	if len(h.bounds) < 35 {
		for i < len(h.bounds) && !(f <= h.bounds[i]) {
			i++
		}
	} else {
		i = sort.SearchFloat64s(h.bounds, f)
	}
	n := c.started.Add(1)
	hot := n >> 63
	p := &c.phases[hot]
	if n&retiredBit != 0 {
		p.aborted.Add(1)
		return false
	}
	if n&countMask == 1 && h.deltaIdx >= 0 {
		p.seq.Store(h.seq.Add(1))
	}
	// Most values widen neither extreme: two loads, no call.
	if !h.noMinMax && (!p.set.Load() || v < fromBits[N](p.min.Load(), h.isFloat) || fromBits[N](p.max.Load(), h.isFloat) < v) {
		p.update(v, h.isFloat)
	}
	p.addSum(v)
	c.buckets[int(hot)*h.nb+i].Add(1)
	return true
}

// swap makes the cold phase hot and waits for the recordings started in the previous hot phase
// to end; it returns that phase, now cold. Only one collection at a time may call it.
func (c *hcell[N]) swap() int {
	n := c.started.Load()
	next := (^n) >> 63
	n = c.started.Swap(next<<63 | n&retiredBit)
	if n&retiredBit != 0 {
		// The delta reader's collection retired the cell between the load and the swap (a
		// native cell's slow path swaps under its own lock, not collectMu, which retiring
		// holds): keep it retired, or recordings would go on counting into a cell no
		// collection reads. That collection drains the cell only after this swap's caller
		// lets go of the native lock, so what is counted meanwhile reaches it.
		c.started.Or(retiredBit)
	}
	cold := int(n >> 63)
	p := &c.phases[cold]
	// Every recording started in the phase ends with one bucket increment or one abort; the
	// buckets also hold what a cumulative collection carried into the phase.
	want := n&countMask + c.carried[cold]
	for {
		got := p.aborted.Load()
		for i := range c.h.nb {
			got += c.buckets[cold*c.h.nb+i].Load()
		}
		if got == want {
			break
		}
		runtime.Gosched() // let the recordings end
	}
	p.aborted.Store(0)
	c.carried[cold] = 0
	return cold
}

// snap is what a collection read from a phase.
type snap[N Number] struct {
	counts   []uint64
	count    uint64
	sumInt   int64
	sumFloat float64
	min, max N
	set      bool
	seq      uint64
	expo     *expoAcc // a native cell's buckets (drainNativeDelta)
}

func (c *hcell[N]) read(p int, s *snap[N]) {
	h := c.h
	ph := &c.phases[p]
	s.count = 0
	for i := range h.nb {
		v := c.buckets[p*h.nb+i].Load()
		s.counts[i] = v
		s.count += v
	}
	s.sumInt = ph.sumInt.Load()
	s.sumFloat = math.Float64frombits(ph.sumFloat.Load())
	s.set = !h.noMinMax && ph.set.Load()
	if s.set {
		s.min = fromBits[N](ph.min.Load(), h.isFloat)
		s.max = fromBits[N](ph.max.Load(), h.isFloat)
	}
	s.seq = ph.seq.Load()
}

// drainCumulative reads the series' totals into s, then merges the cold phase into the hot
// one, as the SDK's cumulative histogram does at each collection.
func (c *hcell[N]) drainCumulative(s *snap[N]) {
	cold := c.swap()
	c.read(cold, s)
	h := c.h
	hot := &c.phases[cold^1]
	for i := range h.nb {
		b := &c.buckets[cold*h.nb+i]
		c.buckets[(cold^1)*h.nb+i].Add(b.Load())
		b.Store(0)
	}
	c.carried[cold^1] = s.count
	if s.set {
		// Min and max of the cold phase stay: cumulative extrema only ever widen.
		hot.update(s.min, h.isFloat)
		hot.update(s.max, h.isFloat)
	}
	hot.addSum(loadSum[N](s.sumInt, s.sumFloat, h.isFloat))
	ph := &c.phases[cold]
	ph.sumInt.Store(0)
	ph.sumFloat.Store(0)
}

// drainDelta reads what was recorded since the last drain into s and resets it.
func (c *hcell[N]) drainDelta(s *snap[N]) {
	cold := c.swap()
	c.read(cold, s)
	h := c.h
	for i := range h.nb {
		c.buckets[cold*h.nb+i].Store(0)
	}
	ph := &c.phases[cold]
	ph.sumInt.Store(0)
	ph.sumFloat.Store(0)
	ph.set.Store(false)
	ph.seq.Store(0)
}

func (p *phase[N]) addSum(v N) {
	ival := int64(v)
	if float64(ival) == float64(v) {
		p.sumInt.Add(ival)
		return
	}
	for {
		old := p.sumFloat.Load()
		if p.sumFloat.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+float64(v))) {
			return
		}
	}
}

// update widens min and max to v, as the SDK's atomicMinMax does (its NaN behaviour included:
// the first value sets both, later comparisons with NaN are false).
func (p *phase[N]) update(v N, isFloat bool) {
	if !p.set.Load() && p.initMinMax(v, isFloat) {
		return
	}
	old := p.min.Load()
	for v < fromBits[N](old, isFloat) {
		if p.min.CompareAndSwap(old, toBits(v, isFloat)) {
			return
		}
		old = p.min.Load()
	}
	old = p.max.Load()
	for fromBits[N](old, isFloat) < v {
		if p.max.CompareAndSwap(old, toBits(v, isFloat)) {
			return
		}
		old = p.max.Load()
	}
}

func (p *phase[N]) initMinMax(v N, isFloat bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.set.Load() {
		return false
	}
	p.min.Store(toBits(v, isFloat))
	p.max.Store(toBits(v, isFloat))
	p.set.Store(true)
	return true
}

func toBits[N Number](v N, isFloat bool) uint64 {
	if isFloat {
		return math.Float64bits(float64(v))
	}
	return uint64(int64(v))
}

func fromBits[N Number](b uint64, isFloat bool) N {
	if isFloat {
		return N(math.Float64frombits(b))
	}
	return N(int64(b))
}

// loadSum is the SDK's atomicCounter.load: the float part plus the integer part.
func loadSum[N Number](i int64, f float64, isFloat bool) N {
	if isFloat {
		return N(f + float64(i))
	}
	return N(i)
}

// hpoint is a reader's state of one series in delta mode, and a native cell's base.
type hpoint[N Number] struct {
	counts   []uint64
	sumInt   int64
	sumFloat float64
	min, max N
	set      bool
	seq      uint64
	expo     *expoAcc // native buckets, for a stream with them
	limits   expoLimits
}

func (p *hpoint[N]) count() uint64 {
	var n uint64
	for _, c := range p.counts {
		n += c
	}
	return n
}

func (p *hpoint[N]) update(v N) {
	switch {
	case !p.set:
		p.min, p.max, p.set = v, v, true
	case v < p.min:
		p.min = v
	case p.max < v:
		p.max = v
	}
}

// merge adds what a drain read.
func (p *hpoint[N]) merge(s *snap[N]) {
	for i, c := range s.counts {
		p.counts[i] += c
	}
	if s.set {
		p.update(s.min)
		p.update(s.max)
	}
	p.sumInt += s.sumInt
	p.sumFloat += s.sumFloat
	if s.expo != nil && p.expo != nil {
		p.expo.merge(p.limits, s.expo)
	}
}

// mergePoint adds another point (a series folded into the overflow series).
func (p *hpoint[N]) mergePoint(o *hpoint[N]) {
	p.merge(&snap[N]{counts: o.counts, sumInt: o.sumInt, sumFloat: o.sumFloat, min: o.min, max: o.max, set: o.set, expo: o.expo})
}

func (h *histogram[N]) newPoint() *hpoint[N] {
	p := &hpoint[N]{counts: make([]uint64, h.nb)}
	if h.nat != nil {
		p.expo, p.limits = newExpoAcc(h.nat.maxScale), h.nat.limits()
	}
	return p
}

// clone returns a copy of p that shares nothing with it.
func (p *hpoint[N]) clone() *hpoint[N] {
	c := *p
	c.counts = slices.Clone(p.counts)
	if p.expo != nil {
		c.expo = p.expo.clone()
	}
	return &c
}

// collect appends the stream's data for reader r to m, and reports whether there was any: a
// stream without data points is left out, as the SDK leaves it out.
func (h *histogram[N]) collect(r int, m *metricdata.Metrics) bool {
	if r >= len(h.readers) || !h.readers[r].enabled {
		return false
	}
	h.collectMu.Lock()
	defer h.collectMu.Unlock()
	if h.nat != nil {
		ms := h.collectNative(r, false, nil)
		if len(ms) == 0 {
			return false
		}
		*m = ms[0]
		return true
	}
	t := time.Now()
	var dps []metricdata.HistogramDataPoint[N]
	temporality := metricdata.CumulativeTemporality
	switch {
	case h.deltaIdx < 0:
		dps = h.collectCumulative(t)
	case r == h.deltaIdx:
		temporality = metricdata.DeltaTemporality
		dps = h.collectDelta(r, t)
	default:
		dps = h.collectCumulativeState(r, t)
	}
	if len(dps) == 0 {
		return false
	}
	m.Name, m.Description, m.Unit = h.name, h.description, h.unit
	m.Data = metricdata.Histogram[N]{DataPoints: dps, Temporality: temporality}
	return true
}

// points allocates n data points whose bucket counts share one array.
func (h *histogram[N]) points(n int) ([]metricdata.HistogramDataPoint[N], []uint64) {
	return make([]metricdata.HistogramDataPoint[N], 0, n), make([]uint64, n*h.nb)
}

func (h *histogram[N]) point(attrs attribute.Set, start, t time.Time, counts []uint64, count uint64, bounds []float64, sum N, set bool, lo, hi N) metricdata.HistogramDataPoint[N] {
	dp := metricdata.HistogramDataPoint[N]{
		Attributes: attrs, StartTime: start, Time: t, Count: count,
		Bounds: bounds, BucketCounts: counts, Sum: sum,
	}
	if set && !h.noMinMax {
		dp.Min, dp.Max = metricdata.NewExtrema(lo), metricdata.NewExtrema(hi)
	}
	return dp
}

// cumulativeCells are the cells a cumulative-mode collection reads: the persistent ones, in
// arrival order, then the overflow cell.
func (h *histogram[N]) cumulativeCells() []*hcell[N] {
	h.mu.RLock()
	cells, overflow, dead := h.persistent, h.overflow, h.dead
	h.mu.RUnlock()
	if dead > 0 {
		// Series were deleted since the last collection: let their cells go now.
		h.mu.Lock()
		h.compact()
		cells, overflow = h.persistent, h.overflow
		h.mu.Unlock()
	}
	if overflow != nil {
		cells = append(cells[:len(cells):len(cells)], overflow)
	}
	return cells
}

// collectCumulative reads every cell in cumulative mode.
func (h *histogram[N]) collectCumulative(t time.Time) []metricdata.HistogramDataPoint[N] {
	cells := h.cumulativeCells()
	perSeries := perSeriesStart()
	bounds := slices.Clone(h.bounds)
	dps, counts := h.points(len(cells))
	var s snap[N]
	for _, c := range cells {
		i := len(dps)
		s.counts = counts[i*h.nb : (i+1)*h.nb : (i+1)*h.nb]
		if c.gone.Load() {
			continue // deleted while this collection ran
		}
		c.drainCumulative(&s)
		if s.count == 0 {
			continue // created by a recording that has not ended yet
		}
		start := h.start
		if perSeries {
			start = c.createdAt()
		}
		dp := h.point(c.attrs, start, t, s.counts, s.count, bounds, loadSum[N](s.sumInt, s.sumFloat, h.isFloat), s.set, s.min, s.max)
		dp.Exemplars = c.exemplars(time.Time{}, time.Time{})
		dps = append(dps, dp)
	}
	return dps
}

// drainAll drains every cell in delta mode into every reader's state. retire is set for the
// delta reader's collection, which ends the interval of the transient cells.
func (h *histogram[N]) drainAll(retire bool) (overflow *hcell[N]) {
	h.mu.Lock()
	overflow = h.overflow
	cells := make([]*hcell[N], 0, len(h.persistent)+len(h.transient)+1)
	cells = append(cells, h.persistent...)
	cells = append(cells, h.transient...)
	if h.overflow != nil {
		cells = append(cells, h.overflow)
	}
	if retire {
		for _, c := range h.transient {
			c.started.Or(retiredBit) // recordings from now on resolve again
			if d := c.attrs.Equivalent(); h.cells[d] == c {
				// Unless the series was deleted, and its label set has a cell again since.
				delete(h.cells, d)
			}
		}
		h.transient = nil
	}
	h.mu.Unlock()
	h.purgeStates()

	s := snap[N]{counts: make([]uint64, h.nb)}
	for _, c := range cells {
		if c.gone.Load() {
			continue // deleted: what it recorded since the last collection goes with it
		}
		if c.nat != nil {
			c.drainNativeDelta(&s)
		} else {
			c.drainDelta(&s)
		}
		if s.count == 0 {
			continue
		}
		if s.seq == 0 {
			// The phase's first recording found the cell retired; the others count from now.
			s.seq = h.seq.Add(1)
		}
		for ri := range h.states {
			if !h.readers[ri].enabled {
				continue
			}
			st := &h.states[ri]
			if ri == h.deltaIdx {
				p := st.pending[c]
				if p == nil {
					p = h.newPoint()
					p.seq = s.seq
					st.pending[c] = p
				}
				p.merge(&s)
				continue
			}
			var p *hpoint[N]
			if c.index >= 0 {
				if p = st.points[c]; p == nil {
					p = h.newPoint()
					st.points[c] = p
				}
			} else {
				if st.overflow == nil {
					st.overflow = h.newPoint()
				}
				p = st.overflow
			}
			p.merge(&s)
		}
	}
	return overflow
}

// purgeStates drops deleted cells from every reader's state once series were deleted since
// the last purge, so that their memory goes at the next collection of any reader, not at the
// next one of the reader that holds them (a push reader may collect once a minute or less).
// collectMu is held.
func (h *histogram[N]) purgeStates() {
	n := h.deletes.Load()
	if n == h.purged {
		return
	}
	h.purged = n
	for i := range h.states {
		st := &h.states[i]
		st.points = withoutGone(st.points, (*hcell[N]).isGone)
		st.pending = withoutGone(st.pending, (*hcell[N]).isGone)
	}
}

// collectCumulativeState reads a cumulative reader's totals in delta mode.
func (h *histogram[N]) collectCumulativeState(r int, t time.Time) []metricdata.HistogramDataPoint[N] {
	h.drainAll(false)
	st := &h.states[r]
	h.mu.RLock()
	overflowSince, overflowCell := h.overflowSince, h.overflow
	h.mu.RUnlock()
	perSeries := perSeriesStart()
	bounds := slices.Clone(h.bounds)
	dps, counts := h.points(len(st.points) + 1)
	emit := func(p *hpoint[N], attrs attribute.Set, created time.Time, c *hcell[N]) {
		n := p.count()
		if n == 0 {
			return
		}
		i := len(dps)
		cs := counts[i*h.nb : (i+1)*h.nb : (i+1)*h.nb]
		copy(cs, p.counts)
		start := h.start
		if perSeries {
			start = created
		}
		dp := h.point(attrs, start, t, cs, n, bounds, loadSum[N](p.sumInt, p.sumFloat, h.isFloat), p.set, p.min, p.max)
		dp.Exemplars = c.exemplars(time.Time{}, time.Time{})
		dps = append(dps, dp)
		// As the SDK merges the collected phase back into the hot one, whole.
		sum := loadSum[N](p.sumInt, p.sumFloat, h.isFloat)
		p.sumInt, p.sumFloat = 0, 0
		if ival := int64(sum); float64(ival) == float64(sum) {
			p.sumInt = ival
		} else {
			p.sumFloat = float64(sum)
		}
	}
	for c, p := range st.points {
		if c.gone.Load() {
			delete(st.points, c) // deleted: its totals go, and the cell with them
			continue
		}
		emit(p, c.attrs, c.createdAt(), c)
	}
	if st.overflow != nil {
		emit(st.overflow, overflowSet, overflowSince, overflowCell)
	}
	return dps
}

// deltaPoints are the delta reader's points of one interval: the series that recorded in it,
// in arrival order, the first limit-1 of them, and the overflow series with the rest folded in.
type deltaPoints[N Number] struct {
	entries      []arrival[*hcell[N], hpoint[N]]
	overflow     *hpoint[N]
	overflowCell *hcell[N] // the overflow series' cell, for its exemplars; nil without one
	start        time.Time // the interval's start: the reader's previous collection
}

// deltaInterval drains every cell and takes the delta reader's interval that ends at t, as the
// SDK's delta aggregation keeps it (see collectDelta); nil when nothing was recorded in it.
// collectMu is held.
func (h *histogram[N]) deltaInterval(r int, t time.Time) *deltaPoints[N] {
	overflowCell := h.drainAll(true)
	st := &h.states[r]
	start := st.last
	st.last = t
	if len(st.pending) == 0 {
		return nil
	}
	entries, overflow, next := takeInterval(st.pending, overflowCell,
		func(c *hcell[N]) bool { return c.gone.Load() }, func(p *hpoint[N]) uint64 { return p.seq })
	st.pending = next
	if h.limit > 0 && len(entries) > h.limit-1 {
		if overflow == nil {
			overflow = h.newPoint()
		}
		for _, e := range entries[h.limit-1:] {
			overflow.mergePoint(e.p)
		}
		entries = entries[:h.limit-1]
	}
	return &deltaPoints[N]{entries: entries, overflow: overflow, overflowCell: overflowCell, start: start}
}

// collectDelta reads the delta reader's points since its last collection: the first limit-1
// label sets of the interval in the order they arrived, the others folded into the overflow
// series, as the SDK's delta aggregation keeps them.
func (h *histogram[N]) collectDelta(r int, t time.Time) []metricdata.HistogramDataPoint[N] {
	d := h.deltaInterval(r, t)
	if d == nil {
		return nil
	}
	entries, overflow, overflowCell, start := d.entries, d.overflow, d.overflowCell, d.start
	bounds := slices.Clone(h.bounds)
	dps, counts := h.points(len(entries) + 1)
	emit := func(p *hpoint[N], attrs attribute.Set, c *hcell[N]) {
		i := len(dps)
		cs := counts[i*h.nb : (i+1)*h.nb : (i+1)*h.nb]
		copy(cs, p.counts)
		dp := h.point(attrs, start, t, cs, p.count(), bounds, loadSum[N](p.sumInt, p.sumFloat, h.isFloat), p.set, p.min, p.max)
		dp.Exemplars = c.exemplars(start, t) // those of the interval
		dps = append(dps, dp)
	}
	for _, e := range entries {
		emit(e.p, e.c.attrs, e.c)
	}
	if overflow != nil {
		emit(overflow, overflowSet, overflowCell)
	}
	return dps
}
