package instrument

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Deleting series (docs/catalogue.md, "Series lifecycle") follows client_golang's
// DeleteLabelValues, DeletePartialMatch and Reset: a deleted series leaves what the pipeline
// serves, and a handle bound to it before (Bind) keeps accepting calls that nobody reads any
// more, as a client_golang child obtained before the delete does; the next Record, Add or
// Bind with the same label values creates a new series, from zero.
//
// How far a series leaves depends on who aggregates it:
//
//   - On the fast path (a FastPath's provider, telediag's default) telediag aggregates
//     every kind: counters, up-down counters, gauges, histograms, and summaries on a
//     SummaryPath. The series' cell goes, with its memory (once no bound handle holds it), and
//     the series leaves /metrics and every reader at the next collection: a cumulative reader
//     has no point for it any more, a delta reader no point from the next interval (what it
//     recorded since the last collection goes with it). Re-created, it starts from zero, with a
//     new start time when series carry their own (OTEL_GO_X_PER_SERIES_START_TIMESTAMPS). A
//     series past the cardinality limit lives in the overflow series, which Reset deletes too.
//   - On the drain path (a plain SDK provider, or a View the fast path does not mirror), the
//     SDK aggregates: a counter's cell goes (its pending additions are handed to the SDK
//     first), but the SDK's cumulative stream keeps the series at its last total, because the
//     OTel Go SDK (v1.47) has no way to end a series from outside (its finish-aware sum,
//     internal/aggregate/finish_sum.go, is built by nothing public). A delta reader stops
//     receiving it at once. Re-creating the series continues the SDK's total. A gauge or a
//     histogram there is the same: the cached attribute option goes, the SDK keeps the series'
//     last value or totals in its cumulative streams.

// matchLabels reports whether set has every label of labels, with that value: client_golang's
// partial match. A label the set lacks never matches.
func matchLabels(set attribute.Set, labels map[string]string) bool {
	for k, v := range labels {
		got, ok := set.Value(attribute.Key(k))
		if !ok || got.Type() != attribute.STRING || got.AsString() != v {
			return false
		}
	}
	return true
}

// Delete deletes the series with label values k and reports whether there was one. On the
// fast path the series leaves every reader at the next collection and its memory is freed once
// no bound handle holds it; on the drain path the SDK keeps the series' total in its cumulative
// streams (see the note on deleting series above) and the counter forgets it, and its memory.
// Either way a handle bound before keeps adding into a cell nobody reads any more.
func (c *Counter[N, K]) Delete(k K) bool {
	if c == nil {
		return false
	}
	if c.fast != nil {
		// The stream first, then the cache: an Add resolving k concurrently either stores its
		// cell before the cache removal, which removes it, or finds it gone (cells.dead).
		ok := c.fast.delete(c.attrs(k))
		c.cells.remove(k)
		return ok
	}
	s := c.series.remove(k)
	if s == nil {
		return false
	}
	c.flush(s)
	return true
}

// DeletePartialMatch deletes every series whose labels include labels (name to value) and
// returns how many it deleted, as client_golang's DeletePartialMatch does.
func (c *Counter[N, K]) DeletePartialMatch(labels map[string]string) int {
	if c == nil {
		return 0
	}
	if c.fast != nil {
		n := c.fast.deleteIf(func(s *vcell[N]) bool { return matchLabels(s.attrs, labels) })
		c.cells.removeIf(func(_ K, s *vcell[N]) bool { return s.isGone() })
		return n
	}
	gone := c.series.removeIf(func(_ K, s *vcell[N]) bool { return matchLabels(s.attrs, labels) })
	for _, s := range gone {
		c.flush(s)
	}
	return len(gone)
}

// Reset deletes every series of the counter, the overflow series included on the fast path.
// On the drain path the SDK keeps them, as Delete says.
func (c *Counter[N, K]) Reset() {
	if c == nil {
		return
	}
	if c.fast != nil {
		c.fast.reset()
		c.cells.removeIf(func(K, *vcell[N]) bool { return true })
		return
	}
	for _, s := range c.series.removeIf(func(K, *vcell[N]) bool { return true }) {
		c.flush(s)
	}
}

// flush hands a deleted cell's pending additions to the SDK, which keeps the series: its total
// is then the sum of everything added before the delete, whatever the drain's timing.
func (c *Counter[N, K]) flush(s *vcell[N]) {
	if v, ok := s.take(); ok {
		c.inst.Add(context.Background(), v, s.opts[:]...)
	}
}

// Delete deletes the series with label values k and reports whether there was one. On the
// fast path (a histogram or a gauge) the series' cell goes: the series leaves every reader at
// the next collection and its memory is freed once no bound handle holds it. On the SDK's path
// the Recorder forgets the series, and the SDK keeps it (see the note on deleting series
// above).
func (r *Recorder[N, K]) Delete(k K) bool {
	if r == nil {
		return false
	}
	if r.gauge != nil {
		ok := r.gauge.delete(r.attrs(k)) // as for a histogram below
		r.gcells.remove(k)
		return ok
	}
	if r.fast != nil {
		// The stream first, then the cache: a Record resolving k concurrently either stores its
		// cell before the cache removal, which removes it, or finds it gone (cells.dead).
		ok := r.fast.delete(r.attrs(k))
		r.cells.remove(k)
		return ok
	}
	return r.series.remove(k) != nil
}

// DeletePartialMatch deletes every series whose labels include labels (name to value) and
// returns how many it deleted, as client_golang's DeletePartialMatch does.
func (r *Recorder[N, K]) DeletePartialMatch(labels map[string]string) int {
	if r == nil {
		return 0
	}
	if r.gauge != nil {
		n := r.gauge.deleteIf(func(c *vcell[N]) bool { return matchLabels(c.attrs, labels) })
		r.gcells.removeIf(func(_ K, c *vcell[N]) bool { return c.isGone() })
		return n
	}
	if r.fast != nil {
		n := r.fast.deleteIf(func(c *hcell[N]) bool { return matchLabels(c.attrs, labels) })
		r.cells.removeIf(func(_ K, c *hcell[N]) bool { return c.isGone() })
		return n
	}
	return len(r.series.removeIf(func(_ K, s *sdkSeries) bool { return matchLabels(s.attrs, labels) }))
}

// Reset deletes every series of the Recorder, the overflow series included on the fast path.
func (r *Recorder[N, K]) Reset() {
	if r == nil {
		return
	}
	if r.gauge != nil {
		r.gauge.reset()
		r.gcells.removeIf(func(K, *vcell[N]) bool { return true })
		return
	}
	if r.fast != nil {
		r.fast.reset()
		r.cells.removeIf(func(K, *hcell[N]) bool { return true })
		return
	}
	r.series.removeIf(func(K, *sdkSeries) bool { return true })
}

// reset deletes every series, the overflow series and what the readers' states hold of it
// included. collectMu first, as collections take it before h.mu.
func (h *histogram[N]) reset() {
	h.collectMu.Lock()
	defer h.collectMu.Unlock()
	h.deleteIf(func(*hcell[N]) bool { return true })
	h.mu.Lock()
	if o := h.overflow; o != nil {
		o.gone.Store(true)
		h.deletes.Add(1)
		h.overflow, h.overflowSince = nil, time.Time{}
	}
	h.mu.Unlock()
	for i := range h.states {
		h.states[i].overflow = nil
	}
}

func (c *hcell[N]) isGone() bool { return c.gone.Load() }

// delete deletes the series of label set set (after the stream's filter) and reports whether
// there was one.
func (h *histogram[N]) delete(set attribute.Set) bool {
	if h.filter != nil {
		set, _ = set.Filter(h.filter)
	}
	d := set.Equivalent()
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.cells[d]
	if c == nil {
		return false
	}
	h.drop(d, c)
	h.compactIfSparse()
	return true
}

// deleteIf deletes every series for which match reports true and returns how many.
func (h *histogram[N]) deleteIf(match func(*hcell[N]) bool) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for d, c := range h.cells {
		if match(c) {
			h.drop(d, c)
			n++
		}
	}
	if n > 0 {
		h.compactIfSparse()
	}
	return n
}

// drop takes c, the cell of d, out of the stream. h.mu is held.
func (h *histogram[N]) drop(d attribute.Distinct, c *hcell[N]) {
	delete(h.cells, d)
	c.gone.Store(true)
	h.deletes.Add(1)
	if c.transient {
		return // the delta reader's collection drops it from transient
	}
	h.dead++
	if e := h.empty.Load(); e == c {
		h.empty.CompareAndSwap(c, nil)
	}
}

// compactIfSparse drops deleted cells from persistent once they are half of it, so that
// deleting series one by one costs amortised constant time and a collection finds few to skip;
// a collection compacts what is left. h.mu is held.
func (h *histogram[N]) compactIfSparse() {
	if h.dead > 0 && (h.dead*2 >= len(h.persistent) || len(h.cells) == 0) {
		h.compact()
	}
}

// compact drops the deleted cells from persistent, in a new slice: collections read the old
// one without the lock. In delta mode a cumulative reader's totals of a deleted cell go at its
// next collection (collectCumulativeState). h.mu is held.
func (h *histogram[N]) compact() {
	if h.dead == 0 {
		return
	}
	live := make([]*hcell[N], 0, len(h.persistent)-h.dead)
	for _, c := range h.persistent {
		if !c.gone.Load() {
			live = append(live, c)
		}
	}
	h.persistent, h.dead = live, 0
	if len(h.cells) == 0 {
		h.cells = map[attribute.Distinct]*hcell[N]{} // a map never shrinks: let its buckets go
	}
}

// Delete deletes the series with label values k and reports whether there was one. The series
// leaves /metrics and every reader, and its memory goes once no bound handle holds it; a handle
// bound before keeps observing into a summary nobody serves, as client_golang's held child does.
func (s *Summary[N, K]) Delete(k K) bool {
	if s == nil {
		return false
	}
	ok := s.stream.delete(s.attrs(k))
	s.cells.remove(k)
	return ok
}

// DeletePartialMatch deletes every series whose labels include labels (name to value) and
// returns how many it deleted, as client_golang's DeletePartialMatch does.
func (s *Summary[N, K]) DeletePartialMatch(labels map[string]string) int {
	if s == nil {
		return 0
	}
	n := s.stream.deleteIf(func(c *scell) bool { return matchLabels(c.attrs, labels) })
	s.cells.removeIf(func(_ K, c *scell) bool { return c.isGone() })
	return n
}

// Reset deletes every series of the summary, the overflow series included.
func (s *Summary[N, K]) Reset() {
	if s == nil {
		return
	}
	s.stream.deleteIf(func(*scell) bool { return true })
	s.stream.mu.Lock()
	if o := s.stream.overflow; o != nil {
		o.gone.Store(true)
		s.stream.overflow = nil
	}
	s.stream.mu.Unlock()
	s.cells.removeIf(func(K, *scell) bool { return true })
}

func (s *summaryStream) delete(set attribute.Set) bool {
	d := set.Equivalent()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cells[d]
	if c == nil {
		return false
	}
	delete(s.cells, d)
	c.gone.Store(true)
	s.dead++
	if s.dead*2 >= len(s.order) {
		s.compact()
	}
	return true
}

func (s *summaryStream) deleteIf(match func(*scell) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for d, c := range s.cells {
		if match(c) {
			delete(s.cells, d)
			c.gone.Store(true)
			s.dead++
			n++
		}
	}
	s.compact()
	return n
}

// compact drops deleted series from order, in a new slice (collectors read the old one without
// the lock). s.mu is held.
func (s *summaryStream) compact() {
	if s.dead == 0 {
		return
	}
	live := make([]*scell, 0, len(s.order)-s.dead)
	for _, c := range s.order {
		if !c.gone.Load() {
			live = append(live, c)
		}
	}
	s.order, s.dead = live, 0
	if len(s.cells) == 0 {
		s.cells = map[attribute.Distinct]*scell{}
	}
}
