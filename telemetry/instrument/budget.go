package instrument

// Series budgets (max_series, docs/catalogue.md "The contract with the pipeline"): the OTel Go
// SDK (v1.47) has a cardinality limit per provider and per reader and instrument kind, none
// per instrument, so a metric's budget is held by telediag's own paths. A Group notes each
// served metric's budget (Serves); the Counter, Recorder or Summary created next under that
// name bounds its cache at the budget and folds the label sets past it into the overflow set
// (otel.metric.overflow=true), the series the SDK serves as its own overflow series: at the
// SDK's stream for instruments on the SDK's path (drained counters among them), and in the
// stream's own limit for instruments on the fast path (counters, gauges, histograms) and
// summaries. A metric without a budget keeps the provider's limit; a budget above it changes
// nothing.

// lowerLimit holds the stream to limit (a metric's series budget plus the overflow series),
// when it is lower than the one it has. The stream is shared by every instrument of its name
// and scope, so the lowest budget wins; series created before keep their cells.
func (h *histogram[N]) lowerLimit(limit int) int {
	h.collectMu.Lock() // collectDelta reads the limit under it
	defer h.collectMu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if limit > 0 && (h.limit <= 0 || limit < h.limit) {
		h.limit = limit
	}
	return h.limit
}

// lowerLimit is histogram.lowerLimit for a summary's stream.
func (s *summaryStream) lowerLimit(limit int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if limit > 0 && (s.limit <= 0 || limit < s.limit) {
		s.limit = limit
	}
	return s.limit
}
