package instrument

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// nativeSpec is a stream's native buckets: the SDK's AggregationBase2ExponentialHistogram
// (MaxScale, MaxSize; NoMinMax is the stream's), or a declared Native, which adds a zero
// threshold and resets.
type nativeSpec struct {
	maxScale      int32
	maxSize       int32
	zeroThreshold float64       // 0 for the SDK's aggregation: exact zeros only
	minReset      time.Duration // 0: never reset (the SDK's aggregation)
	// classic is set when the stream also has classic buckets (a declared Native on a histogram
	// created with bucket boundaries): a scrape gets both.
	classic bool
	// minScale is the lowest scale: the SDK's for its aggregation, Prometheus's lowest schema
	// for a declared Native (see expoLimits).
	minScale int32
	// ring is the capacity of a phase's buckets of one sign, a power of two at least maxSize
	// (and, for a declared Native, at least what any values span at minScale), so that a
	// bucket's place is its index masked.
	ring int32
}

// nativeRingAtMinSchema holds any values at Prometheus's lowest schema: at -4 the whole float64
// range, 2^-1074 to 2^1024, is at most 134 buckets per sign.
const nativeRingAtMinSchema = 256

// newNativeSpec is the SDK's exponential aggregation (declared false: a View's or a reader's)
// or a declared Native.
func newNativeSpec(maxScale, maxSize int32, zeroThreshold float64, minReset time.Duration, classic, declared bool) *nativeSpec {
	s := &nativeSpec{maxScale: maxScale, maxSize: maxSize, zeroThreshold: zeroThreshold, minReset: minReset,
		classic: classic, minScale: expoMinScale, ring: int32(1) << bits.Len32(uint32(maxSize-1))}
	if declared {
		s.minScale, s.ring = MinNativeSchema, max(s.ring, nativeRingAtMinSchema)
	}
	return s
}

// limits are the spec's bounds as the accumulators apply them.
func (s *nativeSpec) limits() expoLimits { return expoLimits{maxSize: s.maxSize, minScale: s.minScale} }

// limit is the most buckets a phase counting at scale may span: MaxSize, or at the lowest scale
// all the ring holds (see expoLimits).
func (s *nativeSpec) limit(scale int32) int32 {
	if scale <= s.minScale {
		return s.ring
	}
	return s.maxSize
}

// sameNative reports whether two readers' native buckets are one configuration.
func sameNative(a, b *nativeSpec) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ncell is the native part of a series' cell (hcell.nat): for each of hcell's two phases, the
// scale it counts at, its zero bucket and, per sign, the span of bucket indices it may count
// and a ring of counts. Recording is lock-free, as hcell's classic part: a value whose bucket
// is within the phase's span, or widens it without the span reaching MaxSize buckets, is
// counted with one atomic add (and one compare-and-swap when it widens the span). A value
// that does not fit ends its recording as aborted and takes the slow path, under mu.
//
// Under mu, base holds what the slow path and the collections took out of the phases: a
// cumulative series' totals, or a delta interval's values not in the hot phase. A phase
// counts at a scale at least the one its values will be emitted at (see expoBin for why its
// counts can be shifted down later), and starts with base's span, so that a value fitting the
// hot phase also fits with everything base holds: the scale of a cumulative series drops only
// in the slow path, which knows the value that makes it drop (and can reset the series
// instead, as client_golang does).
type ncell[N Number] struct {
	phases [2]nphase
	pos    []atomic.Uint64                 // phase p's positive ring is pos[p*ring:(p+1)*ring]
	neg    atomic.Pointer[[]atomic.Uint64] // the negative rings, made at the first negative value

	mu   sync.Mutex
	base *hpoint[N]
	// since is when the series started or was last reset; reset is set once it was reset, when
	// since is the StartTime of its cumulative data points.
	since time.Time
	reset bool
}

// nphase is one phase's native counts.
type nphase struct {
	scale atomic.Int32
	zero  atomic.Uint64
	spans [2]atomic.Uint64 // packSpan of the indices the phase may count, per sign
}

func newNcell[N Number](h *histogram[N], now time.Time) *ncell[N] {
	n := &ncell[N]{pos: make([]atomic.Uint64, 2*h.nat.ring), base: h.newPoint(), since: now}
	for i := range n.phases {
		n.phases[i].scale.Store(h.nat.maxScale)
		n.phases[i].spans[0].Store(packSpan(emptySpan))
		n.phases[i].spans[1].Store(packSpan(emptySpan))
	}
	return n
}

// ring returns the counts of sign in phase p.
func (n *ncell[N]) ring(spec *nativeSpec, sign, p int, make bool) []atomic.Uint64 {
	r := spec.ring
	if sign == 0 {
		return n.pos[int32(p)*r : int32(p+1)*r]
	}
	neg := n.neg.Load()
	if neg == nil {
		if !make {
			return nil
		}
		s := newRing(2 * r)
		if !n.neg.CompareAndSwap(nil, &s) {
			neg = n.neg.Load()
		} else {
			neg = &s
		}
	}
	return (*neg)[int32(p)*r : int32(p+1)*r]
}

func newRing(n int32) []atomic.Uint64 { return make([]atomic.Uint64, n) }

// count counts f (neither NaN nor infinite) in phase p, or reports that it does not fit.
func (n *ncell[N]) count(spec *nativeSpec, p int, f float64) bool {
	ph := &n.phases[p]
	abs := math.Abs(f)
	if abs <= spec.zeroThreshold {
		ph.zero.Add(1)
		return true
	}
	sc := ph.scale.Load()
	i := expoBin(abs, sc)
	sign := 0
	if f < 0 {
		sign = 1
	}
	w := &ph.spans[sign]
	for {
		old := w.Load()
		s := unpackSpan(old)
		if s.lo <= i && i <= s.hi {
			break
		}
		s = s.with(i)
		if !s.fits(spec.limit(sc)) {
			return false
		}
		if w.CompareAndSwap(old, packSpan(s)) {
			break
		}
	}
	// Within a span of fewer than ring buckets no two indices share a place, and a place
	// enters the span once per phase, zero.
	n.ring(spec, sign, p, sign == 1)[i&(spec.ring-1)].Add(1)
	return true
}

// recordNative is hcell.record for a cell with native buckets: the same steps, with the
// native bucket counted before the sum, the extrema and the classic bucket, so that a value
// that does not fit leaves nothing in the phase but its abort.
func (c *hcell[N]) recordNative(v N) bool {
	h := c.h
	if h.ignores(v) {
		return true // the SDK's exponential aggregation ignores them
	}
	f := float64(v)
	// The classic bucket (a native-only stream has one, the end marker).
	i := bucketOf(h.bounds, f)
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
	if !c.nat.count(h.nat, int(hot), f) {
		p.aborted.Add(1)
		return c.recordSlow(v, i)
	}
	if !h.noMinMax && (!p.set.Load() || v < fromBits[N](p.min.Load(), h.isFloat) || fromBits[N](p.max.Load(), h.isFloat) < v) {
		p.update(v, h.isFloat)
	}
	p.addSum(v)
	c.buckets[int(hot)*h.nb+i].Add(1)
	return true
}

// ignores reports a value a native stream does not record, which must not create a series
// either: the SDK's exponential aggregation returns before it looks the series up.
func (h *histogram[N]) ignores(v N) bool {
	if h.nat == nil || !h.isFloat {
		return false
	}
	f := float64(v)
	return math.IsNaN(f) || math.IsInf(f, 0)
}

// recordSlow records a value that did not fit the hot phase (its recording there ended as
// aborted): into base, whole, after the hot phase was swapped for one at a scale that fits
// base, the old hot phase and the value. A cumulative series whose scale would drop, with a
// MinResetDuration that has passed, is reset instead, keeping only the value. false means the
// cell was retired meanwhile: resolve again.
func (c *hcell[N]) recordSlow(v N, bucket int) bool {
	h, n, spec := c.h, c.nat, c.h.nat
	n.mu.Lock()
	defer n.mu.Unlock()
	started := c.started.Load()
	if started&retiredBit != 0 {
		return false
	}
	hot := int(started >> 63)
	hp := &n.phases[hot]
	f := float64(v)
	abs := math.Abs(f)
	sign := 0
	if f < 0 {
		sign = 1
	}
	// The scale the series needs now: what base holds, what the hot phase may hold and the
	// value, at the lower of the two scales.
	at := min(n.base.expo.scale, hp.scale.Load())
	spans := n.spansAt(hot, at)
	if abs > spec.zeroThreshold {
		spans[sign] = spans[sign].with(expoBin(abs, at))
	}
	k := expoShift(spec.limits(), at, spans[0], spans[1])
	if now := h.now(); k > 0 && spec.minReset > 0 && h.deltaIdx < 0 && now.Sub(n.since) >= spec.minReset {
		// client_golang's maybeReset: a fresh series at the highest scale, with the value.
		n.prepare(spec, hot^1, spec.maxScale, [2]span{emptySpan, emptySpan})
		n.discard(c, spec, c.swap())
		n.base = h.newPoint()
		n.since, n.reset = now, true
		n.base.recordValue(spec, v, bucket)
		n.widen(spec, hot^1)
		return true
	}
	target := at - k
	n.prepare(spec, hot^1, target, [2]span{spans[0].down(k), spans[1].down(k)})
	cold := c.swap()
	n.drain(c, spec, cold, n.base)
	n.base.recordValue(spec, v, bucket)
	n.widen(spec, hot^1)
	return true
}

// spansAt returns base's spans and phase p's at scale at (at most both scales).
func (n *ncell[N]) spansAt(p int, at int32) [2]span {
	ph := &n.phases[p]
	ps := ph.scale.Load()
	var out [2]span
	for sign := range 2 {
		b := n.base.expo.b[sign].span().down(n.base.expo.scale - at)
		out[sign] = b.union(unpackSpan(ph.spans[sign].Load()).down(ps - at))
	}
	return out
}

// prepare sets the cold phase p, empty, to count at scale from spans on, before a swap makes
// it hot. n.mu is held.
func (n *ncell[N]) prepare(spec *nativeSpec, p int, scale int32, spans [2]span) {
	ph := &n.phases[p]
	ph.scale.Store(scale)
	for sign := range 2 {
		s := spans[sign]
		if !s.fits(spec.limit(scale)) {
			s = emptySpan
		}
		ph.spans[sign].Store(packSpan(s))
	}
}

// widen adds base's spans to the hot phase p's, when base is at p's scale and they fit: what
// the old hot phase held joined base after p went hot. A recording may have widened p past
// them meanwhile; then a collection lowers the scale instead (it cannot tell which value did
// it, so that a series is reset only in the slow path). n.mu is held.
func (n *ncell[N]) widen(spec *nativeSpec, p int) {
	ph := &n.phases[p]
	scale := ph.scale.Load()
	if scale != n.base.expo.scale {
		return
	}
	for sign := range 2 {
		b := n.base.expo.b[sign].span()
		if b.empty() {
			continue
		}
		w := &ph.spans[sign]
		for {
			old := w.Load()
			s := unpackSpan(old).union(b)
			if s == unpackSpan(old) || !s.fits(spec.limit(scale)) || w.CompareAndSwap(old, packSpan(s)) {
				break
			}
		}
	}
}

// drain moves the frozen phase p (swapped out, its recordings ended) into into, and zeroes it.
func (n *ncell[N]) drain(c *hcell[N], spec *nativeSpec, p int, into *hpoint[N]) {
	h := c.h
	ph := &c.phases[p]
	for i := range h.nb {
		b := &c.buckets[p*h.nb+i]
		into.counts[i] += b.Load()
		b.Store(0)
	}
	into.sumInt += ph.sumInt.Load()
	into.sumFloat += math.Float64frombits(ph.sumFloat.Load())
	if !h.noMinMax && ph.set.Load() {
		into.update(fromBits[N](ph.min.Load(), h.isFloat))
		into.update(fromBits[N](ph.max.Load(), h.isFloat))
	}
	if s := ph.seq.Load(); s != 0 && (into.seq == 0 || s < into.seq) {
		into.seq = s
	}
	ph.sumInt.Store(0)
	ph.sumFloat.Store(0)
	ph.set.Store(false)
	ph.seq.Store(0)

	np := &n.phases[p]
	a := into.expo
	a.zero += np.zero.Swap(0)
	at := np.scale.Load()
	for sign := range 2 {
		s := unpackSpan(np.spans[sign].Swap(packSpan(emptySpan)))
		ring := n.ring(spec, sign, p, false)
		if s.empty() || ring == nil {
			continue
		}
		// The span may be wider than what was counted (it starts with base's): find the
		// populated ends, which are what the SDK's span is.
		mask := spec.ring - 1
		for s.lo <= s.hi && ring[s.lo&mask].Load() == 0 {
			s.lo++
		}
		for s.hi >= s.lo && ring[s.hi&mask].Load() == 0 {
			s.hi--
		}
		if s.empty() {
			continue
		}
		a.fit(spec.limits(), sign, s, at)
		k := at - a.scale
		b := &a.b[sign]
		for i := s.lo; i <= s.hi; i++ {
			if v := ring[i&mask].Swap(0); v != 0 {
				b.counts[(i>>k)-b.offset] += v
			}
		}
	}
}

// discard zeroes the frozen phase p: a reset drops what it held.
func (n *ncell[N]) discard(c *hcell[N], spec *nativeSpec, p int) {
	n.drain(c, spec, p, c.h.newPoint())
}

// recordValue records v (its classic bucket bucket) into the point, as a recording into a
// phase and its drain would.
func (pt *hpoint[N]) recordValue(spec *nativeSpec, v N, bucket int) {
	pt.counts[bucket]++
	if ival := int64(v); float64(ival) == float64(v) {
		pt.sumInt += ival
	} else {
		pt.sumFloat += float64(v)
	}
	pt.update(v)
	pt.expo.record(spec.limits(), spec.zeroThreshold, float64(v))
}

// drainNativeCumulative is drainCumulative for a native cell: the cold phase goes into base,
// and the hot one counts on at base's scale; it returns a copy of base, the series' totals,
// and the StartTime of a series that was reset (zero otherwise).
func (c *hcell[N]) drainNativeCumulative() (*hpoint[N], time.Time) {
	n, spec := c.nat, c.h.nat
	n.mu.Lock()
	defer n.mu.Unlock()
	hot := int(c.started.Load() >> 63)
	hp := &n.phases[hot]
	at := min(n.base.expo.scale, hp.scale.Load())
	spans := n.spansAt(hot, at)
	k := expoShift(spec.limits(), at, spans[0], spans[1])
	n.prepare(spec, hot^1, at-k, [2]span{spans[0].down(k), spans[1].down(k)})
	cold := c.swap()
	n.drain(c, spec, cold, n.base)
	n.widen(spec, hot^1)
	var start time.Time
	if n.reset {
		start = n.since
	}
	return n.base.clone(), start
}

// drainNativeDelta is drainDelta for a native cell: what the cold phase and base hold, the
// values since the last drain, with base emptied and the hot phase at the highest scale, as
// the SDK's delta aggregation forgets a series at each collection.
func (c *hcell[N]) drainNativeDelta(s *snap[N]) {
	n, spec := c.nat, c.h.nat
	n.mu.Lock()
	defer n.mu.Unlock()
	hot := int(c.started.Load() >> 63)
	n.prepare(spec, hot^1, spec.maxScale, [2]span{emptySpan, emptySpan})
	cold := c.swap()
	b := n.base
	n.drain(c, spec, cold, b)
	n.base = c.h.newPoint()
	copy(s.counts, b.counts)
	s.count = b.count()
	s.sumInt, s.sumFloat = b.sumInt, b.sumFloat
	s.min, s.max, s.set = b.min, b.max, b.set
	s.seq = b.seq
	s.expo = b.expo
}
