package instrument

import (
	"math"
	"slices"
)

// The SDK's bounds of an exponential histogram's scale (expoMaxScale, expoMinScale in
// internal/aggregate/exponential_histogram.go and aggregation.go).
const (
	expoMaxScale = 20
	expoMinScale = -10
)

// expoScaleFactors are the SDK's scaleFactors: 2^scale/ln 2, so that getBin's logarithm is the
// SDK's to the last bit. Read only.
var expoScaleFactors = [expoMaxScale + 1]float64{
	math.Ldexp(math.Log2E, 0), math.Ldexp(math.Log2E, 1), math.Ldexp(math.Log2E, 2),
	math.Ldexp(math.Log2E, 3), math.Ldexp(math.Log2E, 4), math.Ldexp(math.Log2E, 5),
	math.Ldexp(math.Log2E, 6), math.Ldexp(math.Log2E, 7), math.Ldexp(math.Log2E, 8),
	math.Ldexp(math.Log2E, 9), math.Ldexp(math.Log2E, 10), math.Ldexp(math.Log2E, 11),
	math.Ldexp(math.Log2E, 12), math.Ldexp(math.Log2E, 13), math.Ldexp(math.Log2E, 14),
	math.Ldexp(math.Log2E, 15), math.Ldexp(math.Log2E, 16), math.Ldexp(math.Log2E, 17),
	math.Ldexp(math.Log2E, 18), math.Ldexp(math.Log2E, 19), math.Ldexp(math.Log2E, 20),
}

// expoBin is the SDK's (*expoHistogramDataPoint[N]).getBin: the index of the bucket of v > 0
// at scale, bucket i holding (2^(i/2^scale), 2^((i+1)/2^scale)]. It is computed as the SDK
// computes it, with its rounding, so that a value sits in the SDK's bucket even where the
// logarithm is inexact.
//
// The fast path relies on expoBin(v, s-k) == expoBin(v, s)>>k (TestExpoBinShift checks it for
// every scale): a value may be counted at a higher scale than the data point's and shifted
// down later, as the SDK's downscale shifts its counts, and it lands where the SDK, which
// counted it at whatever scale it had then, puts it. For scales above 0 the logarithm is
// computed once and multiplied by a power of two, exactly, so that the indices at two scales
// differ by a floor division; at scale 0 and below it is the exponent shifted.
func expoBin(v float64, scale int32) int32 {
	frac, expInt := math.Frexp(v)
	exp := int32(expInt)
	if scale <= 0 {
		// frexp's fraction is in [0.5, 1): an exact power of two is one exponent lower.
		correction := int32(1)
		if frac == .5 {
			correction = 2
		}
		return (exp - correction) >> -scale
	}
	return exp<<scale + int32(math.Log(frac)*expoScaleFactors[scale]) - 1
}

// span is a range of bucket indices at some scale; empty when lo > hi.
type span struct{ lo, hi int32 }

var emptySpan = span{lo: math.MaxInt32, hi: math.MinInt32}

func (s span) empty() bool { return s.lo > s.hi }

// down is s at k scales lower, as the SDK's downscale shifts a bucket's startBin.
func (s span) down(k int32) span {
	if s.empty() || k == 0 {
		return s
	}
	return span{s.lo >> k, s.hi >> k}
}

func (s span) union(o span) span { return span{min(s.lo, o.lo), max(s.hi, o.hi)} }

func (s span) with(i int32) span { return span{min(s.lo, i), max(s.hi, i)} }

// fits reports whether s spans fewer than maxSize buckets, the SDK's condition in scaleChange.
func (s span) fits(maxSize int32) bool {
	return s.empty() || int64(s.hi)-int64(s.lo) < int64(maxSize)
}

// expoLimits bound an exponential histogram: the span of its buckets per sign (MaxSize) and
// its lowest scale. The SDK's aggregation stops at its minimum, -10, below which it drops a
// value (an underflow no MaxSize of 3 or more can reach: Views with less take the SDK's path).
// A declared Native stops at Prometheus's lowest schema, -4, as client_golang does, where a
// series whose values span more than MaxSize buckets keeps them all instead (at -4 a bucket
// covers a factor of 2^16, so the whole float64 range is at most 134 buckets per sign).
type expoLimits struct{ maxSize, minScale int32 }

// packSpan and unpackSpan store a span in one word, so that a recording widens it with one
// compare-and-swap.
func packSpan(s span) uint64 { return uint64(uint32(s.lo))<<32 | uint64(uint32(s.hi)) }

func unpackSpan(w uint64) span { return span{int32(uint32(w >> 32)), int32(uint32(w))} }

// expoShift is the SDK's scaleChange for both signs at once: how many scales below scale the
// spans (at scale) must go for each to fit maxSize. The SDK shares one scale between its
// positive and negative buckets, so it downscales both whenever either does; its final scale
// is therefore the largest at which both fit, whatever the order of the values, which is what
// lets the fast path compute it from counts kept at a higher scale. The scale stops at the
// SDK's minimum: below it the SDK drops the value (an underflow it reports), which only a
// MaxSize under 3 can reach; such Views take the SDK's path.
func expoShift(l expoLimits, scale int32, pos, neg span) int32 {
	var k int32
	for scale-k > l.minScale && (!pos.down(k).fits(l.maxSize) || !neg.down(k).fits(l.maxSize)) {
		k++
	}
	return k
}

// expoBuckets are one sign's counts, the SDK's expoBuckets without atomics: counts[i] is
// bucket offset+i, the first and last populated.
type expoBuckets struct {
	offset int32
	counts []uint64
}

func (b *expoBuckets) span() span {
	if len(b.counts) == 0 {
		return emptySpan
	}
	return span{b.offset, b.offset + int32(len(b.counts)) - 1}
}

// downscale is the SDK's expoBuckets.downscale: bucket i goes to i>>k.
func (b *expoBuckets) downscale(k int32) {
	if k <= 0 || len(b.counts) == 0 {
		return
	}
	s := b.span().down(k)
	out := make([]uint64, s.hi-s.lo+1)
	for i, c := range b.counts {
		out[((b.offset+int32(i))>>k)-s.lo] += c
	}
	b.offset, b.counts = s.lo, out
}

// grow makes room for the buckets of s.
func (b *expoBuckets) grow(s span) {
	if s.empty() {
		return
	}
	cur := b.span()
	if cur.empty() {
		b.offset, b.counts = s.lo, make([]uint64, s.hi-s.lo+1)
		return
	}
	u := cur.union(s)
	if u == cur {
		return
	}
	out := make([]uint64, u.hi-u.lo+1)
	copy(out[cur.lo-u.lo:], b.counts)
	b.offset, b.counts = u.lo, out
}

// expoAcc is an exponential histogram's buckets held under a lock or by one goroutine: a
// series' base (what the slow path and the collections merged), a reader's state in delta
// mode. It keeps the SDK's invariant: its scale is the largest, at most the stream's MaxScale,
// at which the populated buckets of each sign span fewer than MaxSize buckets.
type expoAcc struct {
	scale int32
	zero  uint64
	b     [2]expoBuckets // positive, negative
}

func newExpoAcc(maxScale int32) *expoAcc { return &expoAcc{scale: maxScale} }

// fit brings the accumulator to a scale at which it can hold the buckets s of sign, given at
// scale at (at or above the accumulator's after the call), and makes room for them; it
// returns the accumulator's scale.
func (a *expoAcc) fit(l expoLimits, sign int, s span, at int32) int32 {
	if at < a.scale {
		a.downscale(a.scale - at)
	}
	s = s.down(at - a.scale)
	pos, neg := a.b[0].span(), a.b[1].span()
	if sign == 0 {
		pos = pos.union(s)
	} else {
		neg = neg.union(s)
	}
	if k := expoShift(l, a.scale, pos, neg); k > 0 {
		a.downscale(k)
		s = s.down(k)
	}
	a.b[sign].grow(s)
	return a.scale
}

func (a *expoAcc) downscale(k int32) {
	a.b[0].downscale(k)
	a.b[1].downscale(k)
	a.scale -= k
}

// add counts n values of bucket i (at scale at) of sign.
func (a *expoAcc) add(l expoLimits, sign int, i, at int32, n uint64) {
	a.fit(l, sign, span{i, i}, at)
	b := &a.b[sign]
	b.counts[(i>>(at-a.scale))-b.offset] += n
}

// record counts v as the SDK's record does (v neither NaN nor infinite).
func (a *expoAcc) record(l expoLimits, zeroThreshold, v float64) {
	abs := math.Abs(v)
	if abs <= zeroThreshold {
		a.zero++
		return
	}
	sign := 0
	if v < 0 {
		sign = 1
	}
	// The index at the current scale; add lowers the scale first if it must, and shifting the
	// index is the SDK's getBin at the lower scale (expoBin).
	a.add(l, sign, expoBin(abs, a.scale), a.scale, 1)
}

// merge adds o, which it leaves as it was.
func (a *expoAcc) merge(l expoLimits, o *expoAcc) {
	a.zero += o.zero
	for sign := range 2 {
		ob := &o.b[sign]
		if len(ob.counts) == 0 {
			continue
		}
		a.fit(l, sign, ob.span(), o.scale)
		k := o.scale - a.scale
		b := &a.b[sign]
		for i, c := range ob.counts {
			b.counts[((ob.offset+int32(i))>>k)-b.offset] += c
		}
	}
	// The other sign may have lowered the scale past what o's first sign needed: fit made
	// room at the final scale for both, as it downscales what it holds.
}

// clone returns a copy of a.
func (a *expoAcc) clone() *expoAcc {
	c := *a
	for i := range c.b {
		c.b[i].counts = slices.Clone(a.b[i].counts)
	}
	return &c
}

// count is the number of values counted.
func (a *expoAcc) count() uint64 {
	n := a.zero
	for i := range a.b {
		for _, c := range a.b[i].counts {
			n += c
		}
	}
	return n
}
