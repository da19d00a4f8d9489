package instrument

import (
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// npoint is one data point of a native stream, before it is emitted as an exponential
// histogram (and, for a scrape of a stream with classic buckets too, as a histogram).
type npoint[N Number] struct {
	attrs attribute.Set
	start time.Time
	p     *hpoint[N]
	// cell's exemplars measured at or after since are the point's; cell is nil for an
	// overflow series folded from transient cells alone.
	cell  *hcell[N]
	since time.Time
	until time.Time // the end of a delta interval: exemplars measured from then on are the next's
	// owned: p is this collection's own copy, so its slices go into the data points as they
	// are (a scrape of many native series spent a third of its bytes copying them again).
	owned bool
}

// counts returns s for a data point: s itself when the point owns it, else a copy.
func (np npoint[N]) counts(s []uint64) []uint64 {
	if np.owned {
		return s
	}
	return slices.Clone(s)
}

// scrapeCollector is a fast stream that a scrape reads differently from other readers: a
// native stream with classic buckets gives it both.
type scrapeCollector interface {
	collectScrape(reader int, ms []metricdata.Metrics) []metricdata.Metrics
}

// collectScrape appends the stream's metrics for reader r, a ScrapeProducer's: what collect
// gives, except that a native stream with classic buckets gives its histogram, then its
// exponential histogram, the same series in the same order in both.
func (h *histogram[N]) collectScrape(r int, ms []metricdata.Metrics) []metricdata.Metrics {
	if h.nat == nil {
		var m metricdata.Metrics
		if h.collect(r, &m) {
			ms = append(ms, m)
		}
		return ms
	}
	if r >= len(h.readers) || !h.readers[r].enabled {
		return ms
	}
	h.collectMu.Lock()
	defer h.collectMu.Unlock()
	return h.collectNative(r, true, ms)
}

// collectNative appends the native stream's metrics for reader r to ms. collectMu is held.
func (h *histogram[N]) collectNative(r int, scrape bool, ms []metricdata.Metrics) []metricdata.Metrics {
	if r >= len(h.readers) || !h.readers[r].enabled {
		return ms
	}
	t := time.Now()
	var pts []npoint[N]
	temporality := metricdata.CumulativeTemporality
	switch {
	case h.deltaIdx < 0:
		pts = h.nativeCumulative()
	case r == h.deltaIdx:
		temporality = metricdata.DeltaTemporality
		pts = h.nativeDelta(r, t)
	default:
		pts = h.nativeCumulativeState(r)
	}
	if len(pts) == 0 {
		return ms
	}
	if scrape && h.nat.classic {
		bounds := slices.Clone(h.bounds)
		dps := make([]metricdata.HistogramDataPoint[N], len(pts))
		for i, np := range pts {
			p := np.p
			dps[i] = h.point(np.attrs, np.start, t, np.counts(p.counts), p.count(), bounds,
				loadSum[N](p.sumInt, p.sumFloat, h.isFloat), p.set, p.min, p.max)
			dps[i].Exemplars = np.cell.exemplars(np.since, np.until)
		}
		ms = append(ms, metricdata.Metrics{Name: h.name, Description: h.description, Unit: h.unit,
			Data: metricdata.Histogram[N]{DataPoints: dps, Temporality: temporality}})
	}
	dps := make([]metricdata.ExponentialHistogramDataPoint[N], len(pts))
	for i, np := range pts {
		dps[i] = h.expoPoint(np, t)
	}
	return append(ms, metricdata.Metrics{Name: h.name, Description: h.description, Unit: h.unit,
		Data: metricdata.ExponentialHistogram[N]{DataPoints: dps, Temporality: temporality}})
}

// expoPoint is the SDK's exponential data point of p: its scale, zero bucket, both signs'
// buckets (an empty sign at offset 0, as the SDK's), count, sum, and extrema unless the stream
// has none; its exemplars.
func (h *histogram[N]) expoPoint(np npoint[N], t time.Time) metricdata.ExponentialHistogramDataPoint[N] {
	p, a := np.p, np.p.expo
	dp := metricdata.ExponentialHistogramDataPoint[N]{
		Attributes: np.attrs, StartTime: np.start, Time: t,
		Count: p.count(), Sum: loadSum[N](p.sumInt, p.sumFloat, h.isFloat),
		Scale: a.scale, ZeroCount: a.zero, ZeroThreshold: h.nat.zeroThreshold,
		PositiveBucket: metricdata.ExponentialBucket{Offset: a.b[0].offset, Counts: np.counts(a.b[0].counts)},
		NegativeBucket: metricdata.ExponentialBucket{Offset: a.b[1].offset, Counts: np.counts(a.b[1].counts)},
	}
	if p.set && !h.noMinMax {
		dp.Min, dp.Max = metricdata.NewExtrema(p.min), metricdata.NewExtrema(p.max)
	}
	dp.Exemplars = np.cell.exemplars(np.since, np.until)
	return dp
}

// nativeCumulative reads every cell in cumulative mode, as collectCumulative does.
func (h *histogram[N]) nativeCumulative() []npoint[N] {
	cells := h.cumulativeCells()
	perSeries := perSeriesStart()
	pts := make([]npoint[N], 0, len(cells))
	for _, c := range cells {
		if c.gone.Load() {
			continue
		}
		p, reset := c.drainNativeCumulative()
		if p.count() == 0 {
			continue // created by a recording that has not ended yet, or only ignored values
		}
		start := h.start
		switch {
		case !reset.IsZero():
			start = reset // a reset moves the series' start, as client_golang's does
		case perSeries:
			start = c.createdAt()
		}
		pts = append(pts, npoint[N]{attrs: c.attrs, start: start, p: p, cell: c, owned: true}) // p: base's clone
	}
	return pts
}

// nativeCumulativeState reads a cumulative reader's totals in delta mode, as
// collectCumulativeState does; the sums are left as they were added, as the SDK's
// exponential aggregation (which has no hot and cold phases to merge) keeps them.
func (h *histogram[N]) nativeCumulativeState(r int) []npoint[N] {
	h.drainAll(false)
	st := &h.states[r]
	h.mu.RLock()
	overflowSince, overflowCell := h.overflowSince, h.overflow
	h.mu.RUnlock()
	perSeries := perSeriesStart()
	pts := make([]npoint[N], 0, len(st.points)+1)
	for c, p := range st.points {
		if c.gone.Load() {
			delete(st.points, c)
			continue
		}
		if p.count() == 0 {
			continue
		}
		start := h.start
		if perSeries {
			start = c.createdAt()
		}
		pts = append(pts, npoint[N]{attrs: c.attrs, start: start, p: p.clone(), cell: c, owned: true})
	}
	if p := st.overflow; p != nil && p.count() > 0 {
		start := h.start
		if perSeries {
			start = overflowSince
		}
		pts = append(pts, npoint[N]{attrs: overflowSet, start: start, p: p.clone(), cell: overflowCell, owned: true})
	}
	return pts
}

// nativeDelta reads the delta reader's points since its last collection, as collectDelta
// does.
func (h *histogram[N]) nativeDelta(r int, t time.Time) []npoint[N] {
	d := h.deltaInterval(r, t)
	if d == nil {
		return nil
	}
	pts := make([]npoint[N], 0, len(d.entries)+1)
	for _, e := range d.entries {
		pts = append(pts, npoint[N]{attrs: e.c.attrs, start: d.start, p: e.p, cell: e.c, since: d.start, until: t})
	}
	if d.overflow != nil {
		pts = append(pts, npoint[N]{attrs: overflowSet, start: d.start, p: d.overflow, cell: d.overflowCell, since: d.start, until: t})
	}
	return pts
}
