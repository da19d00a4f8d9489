package instrument

import (
	"context"
	"encoding/binary"
	"math"
	"runtime"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"
)

// Exemplars is which measurements of the fast path's streams keep an exemplar: the
// pipeline's exemplar filter (OTEL_METRICS_EXEMPLAR_FILTER), for the two filters the
// specification names that the fast path can apply without calling out. Any other filter is a
// function the fast path cannot inline, and a pipeline with one takes the SDK's path.
type Exemplars uint8

const (
	// ExemplarsOff keeps none: the record path costs what it costs without exemplars.
	ExemplarsOff Exemplars = iota
	// ExemplarsTraceBased keeps the measurements made inside a sampled span, as the
	// specification's trace_based filter (exemplar.TraceBasedFilter) offers them.
	ExemplarsTraceBased
	// ExemplarsAlwaysOn keeps every measurement, with the span's IDs when there is one.
	ExemplarsAlwaysOn
)

// exemplarSlot holds one exemplar: the latest measurement offered to it, as client_golang keeps
// one per histogram bucket and one per counter. It is a sequence lock over atomic words, so that
// offering allocates nothing and takes no lock: a writer makes seq odd, writes, makes it even
// again; a reader retries until it read the words between two equal even values. Two writers at
// once do not wait for each other: the one that finds the slot being written gives up, and the
// other's measurement is the exemplar — a sample either way, as the SDK's reservoirs are.
type exemplarSlot struct {
	seq   atomic.Uint64 // 0: never written; odd: being written
	value atomic.Uint64 // the measurement's bits (float64 bits, or an int64)
	at    atomic.Int64  // the measurement's time, Unix nanoseconds
	trace [2]atomic.Uint64
	span  atomic.Uint64
	// flags: bit 0, the span's IDs are set (a measurement outside a span, under
	// ExemplarsAlwaysOn, has none).
	flags atomic.Uint32
}

// offer keeps the measurement whose value bits are bits, made at now in ctx, when filter lets
// it through. It reports whether the filter let it through (whether or not another writer won
// the slot).
func (s *exemplarSlot) offer(ctx context.Context, filter Exemplars, bits uint64) bool {
	sc := trace.SpanContextFromContext(ctx)
	switch filter {
	case ExemplarsTraceBased:
		if !sc.IsSampled() {
			return false
		}
	case ExemplarsAlwaysOn:
	default:
		return false
	}
	s.store(bits, time.Now(), sc)
	return true
}

// store writes the exemplar unless another writer is writing the slot.
func (s *exemplarSlot) store(bits uint64, at time.Time, sc trace.SpanContext) {
	seq := s.seq.Load()
	if seq&1 != 0 || !s.seq.CompareAndSwap(seq, seq+1) {
		return // being written: that writer's measurement is the exemplar
	}
	s.value.Store(bits)
	s.at.Store(at.UnixNano())
	var flags uint32
	if sc.HasTraceID() || sc.HasSpanID() {
		flags = 1
		tid, sid := sc.TraceID(), sc.SpanID()
		s.trace[0].Store(binary.BigEndian.Uint64(tid[:8]))
		s.trace[1].Store(binary.BigEndian.Uint64(tid[8:]))
		s.span.Store(binary.BigEndian.Uint64(sid[:]))
	}
	s.flags.Store(flags)
	s.seq.Store(seq + 2)
}

// exemplarRead is what a collection read from a slot.
type exemplarRead struct {
	bits  uint64
	at    int64
	trace [16]byte
	span  [8]byte
	ids   bool
}

// maxExemplarReads bounds a collection's attempts at one slot: writers that keep replacing a
// slot (many goroutines recording into one bucket of one series inside sampled spans) would
// otherwise hold a scrape for as long as they keep it busy; past the bound the series goes
// without that exemplar in this collection, as a sample may.
const maxExemplarReads = 1000

// load reads the slot; ok is false when it was never written, or was being written at every
// one of maxExemplarReads attempts.
func (s *exemplarSlot) load(r *exemplarRead) (ok bool) {
	for range maxExemplarReads {
		seq := s.seq.Load()
		if seq == 0 {
			return false
		}
		if seq&1 != 0 {
			runtime.Gosched() // a writer is between its two stores of seq
			continue
		}
		r.bits, r.at = s.value.Load(), s.at.Load()
		r.ids = s.flags.Load()&1 != 0
		binary.BigEndian.PutUint64(r.trace[:8], s.trace[0].Load())
		binary.BigEndian.PutUint64(r.trace[8:], s.trace[1].Load())
		binary.BigEndian.PutUint64(r.span[:], s.span.Load())
		if s.seq.Load() == seq {
			return true
		}
	}
	return false
}

// exemplarOf returns the slot's exemplar as OTel data, if it was measured in [since, until): a
// delta interval, from its start to the time of the collection that ends it. Zero times bound
// nothing. The bound at until keeps an exemplar measured after a collection began (its time is
// taken after the value is counted) out of that interval: the next one, which starts at
// until, reports it, and no exemplar is reported in two intervals.
func exemplarOf[N Number](s *exemplarSlot, since, until time.Time, isFloat bool) (metricdata.Exemplar[N], bool) {
	var r exemplarRead
	if !s.load(&r) || (!since.IsZero() && r.at < since.UnixNano()) || (!until.IsZero() && r.at >= until.UnixNano()) {
		return metricdata.Exemplar[N]{}, false
	}
	e := metricdata.Exemplar[N]{Time: time.Unix(0, r.at), Value: fromBits[N](r.bits, isFloat)}
	if r.ids {
		e.TraceID, e.SpanID = r.trace[:], r.span[:]
	}
	return e, true
}

// cellExemplars are a histogram series' exemplars: one slot per classic bucket, as
// client_golang keeps one per bucket; a native-only stream, whose one classic bucket is +Inf,
// has nativeExemplars slots instead, one per power of two of the value's magnitude (modulo
// their number), so that its exemplars spread over the values as client_golang's
// NativeHistogramMaxExemplars keeps them spread.
type cellExemplars struct {
	slots []exemplarSlot
	// byMagnitude is set for a native-only stream: a value's slot is its binary exponent
	// modulo len(slots).
	byMagnitude bool
}

// nativeExemplars is how many exemplars a native-only series keeps: client_golang's default
// NativeHistogramMaxExemplars.
const nativeExemplars = 10

// newCellExemplars returns the exemplar slots of a series of h.
func newCellExemplars[N Number](h *histogram[N]) *cellExemplars {
	if h.nat != nil && len(h.bounds) == 0 {
		return &cellExemplars{slots: make([]exemplarSlot, nativeExemplars), byMagnitude: true}
	}
	return &cellExemplars{slots: make([]exemplarSlot, h.nb)}
}

// exemplar offers v, recorded in ctx, as the exemplar of its bucket, when the stream keeps
// exemplars. Inlined at every recording: with exemplars off it is a load of a field on a line
// the recording has just written, and a branch.
func (c *hcell[N]) exemplar(ctx context.Context, v N) {
	if c.ex != nil {
		c.offerExemplar(ctx, v)
	}
}

// offerExemplar finds v's classic bucket, as record does, and offers v to its slot. A value a
// native stream ignores (NaN, an infinity) is not offered: the SDK's exponential aggregation
// returns before its reservoir sees it.
func (c *hcell[N]) offerExemplar(ctx context.Context, v N) {
	h := c.h
	if h.ignores(v) {
		return
	}
	i := 0
	if c.ex.byMagnitude {
		_, e := math.Frexp(float64(v))
		i = (e%nativeExemplars + nativeExemplars) % nativeExemplars
	} else {
		i = bucketOf(h.bounds, float64(v))
	}
	c.ex.slots[i].offer(ctx, h.exemplars, toBits(v, h.isFloat))
}

// exemplars returns the series' exemplars measured in [since, until) (zero times: all), as a
// data point's, in bucket (or slot) order.
func (c *hcell[N]) exemplars(since, until time.Time) []metricdata.Exemplar[N] {
	if c == nil || c.ex == nil {
		return nil
	}
	var out []metricdata.Exemplar[N]
	for i := range c.ex.slots {
		if e, ok := exemplarOf[N](&c.ex.slots[i], since, until, c.h.isFloat); ok {
			out = append(out, e)
		}
	}
	return out
}
