package instrument

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// SummaryOptions are what a summary keeps of its observations, client_golang's
// prometheus.SummaryOpts fields of the same names, with the same defaults.
type SummaryOptions struct {
	// Objectives maps each quantile, in (0, 1), to the absolute error allowed on its rank, above
	// 0 and below the quantile's distance to 0 or 1. None gives a summary of count and sum
	// only, as in client_golang.
	Objectives map[float64]float64
	// MaxAge is how long an observation counts towards the quantiles; 0 is
	// prometheus.DefMaxAge.
	MaxAge time.Duration
	// AgeBuckets is the number of buckets the window slides by; 0 is prometheus.DefAgeBuckets.
	AgeBuckets uint32
	// BufCap is the number of observations buffered before they are inserted into the
	// quantile streams; 0 is prometheus.DefBufCap.
	BufCap uint32
}

// minAgeBucket is the shortest age bucket a summary accepts. client_golang divides MaxAge by
// AgeBuckets and advances its window by that step in a loop: a step of 0 would never end.
const minAgeBucket = time.Millisecond

// validate reports options client_golang would panic on or compute nonsense from.
func (o SummaryOptions) validate() error {
	for _, q := range slices.Sorted(maps.Keys(o.Objectives)) {
		e := o.Objectives[q]
		if !(q > 0 && q < 1) {
			return fmt.Errorf("objective quantile %v: want a value between 0 and 1, both excluded", q)
		}
		if !(e > 0 && e < math.Min(q, 1-q)) {
			return fmt.Errorf("objective quantile %v: allowed error %v: want above 0 and below %v", q, e, math.Min(q, 1-q))
		}
	}
	maxAge, buckets := o.MaxAge, o.AgeBuckets
	if maxAge == 0 {
		maxAge = prometheus.DefMaxAge
	}
	if buckets == 0 {
		buckets = prometheus.DefAgeBuckets
	}
	if maxAge < 0 || maxAge/time.Duration(buckets) < minAgeBucket {
		return fmt.Errorf("max age %s over %d age buckets: want each bucket at least %s", maxAge, buckets, minAgeBucket)
	}
	return nil
}

// SummaryPath serves summaries, which OTel has no instrument for, the way client_golang serves
// them. A summary created from its MeterProvider keeps, per series, a client_golang
// prometheus.Summary (its hot and cold buffers, its quantile streams per age bucket, its
// count and sum), so that observing costs what client_golang's Observe costs and the
// quantiles are client_golang's own. Every series is read at collection:
//
//   - Collector serves them on /metrics as Prometheus summaries: register it in the registry
//     that serves the OTel Prometheus exporter. The exporter cannot carry them: it drops
//     metricdata.Summary with an error.
//   - Producer gives them to an SDK reader (an OTLP push reader) as metricdata.Summary points,
//     in the scope of the Meter they were created from: count and sum since the series was
//     created, and the quantiles over the last MaxAge, whatever the reader's temporality (an
//     OTLP summary is cumulative by definition).
//
// Views do not apply to summaries: the SDK has no instrument kind a View could match them by.
// Past the cardinality limit of its Settings, the label sets a summary has not seen are folded
// into one series labelled otel.metric.overflow=true, for the life of the summary, and the
// first one logs a warning, as for the SDK's cumulative instruments.
type SummaryPath struct {
	settings Settings

	mu      sync.Mutex
	scopes  []*summaryScope // in the order their first summary was created
	byScope map[instrumentation.Scope]*summaryScope
}

// summaryScope is one Meter's summaries, by name, in creation order.
type summaryScope struct {
	scope   instrumentation.Scope
	streams map[string]*summaryStream
	order   []*summaryStream // append-only
}

// NewSummaryPath returns a path whose summaries hold to s: s.CardinalityLimit series each
// (0 or less: no limit), and a warning through s.Logger when one reaches it. Give it the
// settings of the provider its MeterProvider wraps.
func NewSummaryPath(s Settings) *SummaryPath {
	return &SummaryPath{settings: s, byScope: map[instrumentation.Scope]*summaryScope{}}
}

// MeterProvider wraps mp: its Meters are mp's, and a generated catalogue created from it can
// create summaries, which this path serves. The Settings its Meters carry are mp's when mp's
// Meters carry any, the path's otherwise. A provider that wraps the returned one and hands out
// Meters of its own hides the path again: wrap that one instead.
func (p *SummaryPath) MeterProvider(mp metric.MeterProvider) metric.MeterProvider {
	return &summaryProvider{mp: mp, path: p}
}

// summaryProvider is the provider a SummaryPath hands out.
type summaryProvider struct {
	embedded.MeterProvider
	mp   metric.MeterProvider
	path *SummaryPath
}

// Meter returns mp's Meter, carrying the path. A no-op Meter (a no-op provider's, or an SDK
// provider's after Shutdown) is passed on as is, so that its summaries are no-ops too.
func (sp *summaryProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	m := sp.mp.Meter(name, opts...)
	if _, ok := m.(noop.Meter); ok {
		return m
	}
	return &summaryMeter{Meter: m, path: sp.path, scope: meterScope(name, opts)}
}

// summaryMeter is a Meter whose catalogue may create summaries; everything else is the
// wrapped Meter's.
type summaryMeter struct {
	metric.Meter
	path  *SummaryPath
	scope instrumentation.Scope
}

// instrumentSettings passes on the wrapped Meter's Settings, or the path's.
func (m *summaryMeter) instrumentSettings() Settings {
	if c, ok := m.Meter.(settingsCarrier); ok {
		return c.instrumentSettings()
	}
	return m.path.settings
}

// summaryCarrier is a Meter from a SummaryPath's MeterProvider. Unexported, as settingsCarrier
// is, so that summaries are only created where something serves them.
type summaryCarrier interface {
	summaryPath() (*SummaryPath, instrumentation.Scope)
}

func (m *summaryMeter) summaryPath() (*SummaryPath, instrumentation.Scope) { return m.path, m.scope }

// errNoSummaryPath is NewSummary's error on a Meter that serves no summaries.
var errNoSummaryPath = errors.New("the MeterProvider serves no summaries (the OTel SDK has no summary instrument): " +
	"create the catalogue from telemetry's MeterProvider, or from one wrapped by instrument.SummaryPath.MeterProvider")

// stream returns the summary called name in scope, creating it on first use. A second
// catalogue asking for the same name records into the same series, as a second SDK instrument
// of one name records into one stream; options other than the first's are logged and ignored.
func (p *SummaryPath) stream(scope instrumentation.Scope, name, description, unit string, opts SummaryOptions) *summaryStream {
	p.mu.Lock()
	defer p.mu.Unlock()
	sc := p.byScope[scope]
	if sc == nil {
		sc = &summaryScope{scope: scope, streams: map[string]*summaryStream{}}
		p.byScope[scope] = sc
		p.scopes = append(p.scopes, sc)
	}
	if s := sc.streams[name]; s != nil {
		if (s.description != description || s.unit != unit || !sameOptions(s.opts, opts)) && p.settings.Logger != nil {
			p.settings.Logger.Warn("metrics: a summary was created twice with different descriptions, units or options; the first one's are kept",
				"instrument", name)
		}
		return s
	}
	opts.Objectives = maps.Clone(opts.Objectives) // shared, read-only, by every series
	s := &summaryStream{
		name: name, description: description, unit: unit, opts: opts,
		limit: p.settings.CardinalityLimit, logger: p.settings.Logger, start: time.Now(),
		labelNamer: otlptranslator.LabelNamer{},
		cells:      map[attribute.Distinct]*scell{},
	}
	sc.streams[name] = s
	sc.order = append(sc.order, s)
	return s
}

func sameOptions(a, b SummaryOptions) bool {
	return maps.Equal(a.Objectives, b.Objectives) && a.MaxAge == b.MaxAge && a.AgeBuckets == b.AgeBuckets && a.BufCap == b.BufCap
}

// summaryStream is one summary: its series, each a client_golang summary.
type summaryStream struct {
	name, description, unit string
	opts                    SummaryOptions
	limit                   int
	logger                  *slog.Logger
	start                   time.Time
	labelNamer              otlptranslator.LabelNamer

	mu            sync.RWMutex
	cells         map[attribute.Distinct]*scell
	order         []*scell // the first limit-1 label sets, in arrival order; deleted ones are gone
	dead          int      // deleted series still in order, dropped by compaction
	overflow      *scell
	overflowSince time.Time
}

// scell is one series of a summary.
type scell struct {
	s       prometheus.Summary
	attrs   attribute.Set
	created time.Time
	gone    atomic.Bool // deleted from its stream: no longer served (see Summary.Delete)
}

func (c *scell) isGone() bool { return c.gone.Load() }

// resolve returns the series of label set set, creating it as the SDK creates a series at its
// first measurement, under the cardinality limit. A label set keeps its series for the life of
// the summary, the overflow series included.
func (s *summaryStream) resolve(set attribute.Set) *scell {
	d := set.Equivalent()
	s.mu.RLock()
	c := s.cells[d]
	if c == nil && len(s.order)-s.dead >= s.limit-1 {
		// Past the limit every new label set records into the overflow series: found under
		// the read lock, so that a label bug does not queue every observation on the write lock.
		// Deleted series make room again, as they do in the cache.
		c = s.overflow
	}
	s.mu.RUnlock()
	if c != nil {
		return c
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c = s.cells[d]; c != nil {
		return c
	}
	now := time.Now()
	if s.limit <= 0 || len(s.order)-s.dead < s.limit-1 {
		c = s.newCell(set, now)
		s.order = append(s.order, c)
		s.cells[d] = c
		return c
	}
	if s.overflow == nil {
		s.overflowSince = now
		s.overflow = s.newCell(overflowSet, now)
		if s.logger != nil {
			s.logger.Warn("metrics: instrument reached its cardinality limit; new label sets are folded into the otel_metric_overflow series",
				"instrument", s.name, "limit", s.limit)
		}
	}
	return s.overflow
}

// newCell builds the client_golang summary of one series, its labels the attributes of set as
// the OTel Prometheus exporter names them (otel.metric.overflow is otel_metric_overflow).
func (s *summaryStream) newCell(set attribute.Set, now time.Time) *scell {
	return &scell{
		s: prometheus.NewSummary(prometheus.SummaryOpts{
			Name: s.name, Help: s.description, ConstLabels: s.promLabels(set),
			Objectives: s.opts.Objectives, MaxAge: s.opts.MaxAge, AgeBuckets: s.opts.AgeBuckets, BufCap: s.opts.BufCap,
		}),
		attrs: set, created: now,
	}
}

// promLabels names the attributes of set as the exporter's getAttrs does (keys sanitised,
// values of keys that sanitise to one name joined with ";" in sorted order), with two changes
// that keep client_golang from refusing the series: a key that comes out as "quantile", which
// the summary's own label takes, or with the reserved "__" prefix is exposed as exported_KEY,
// as Prometheus renames a scraped label that clashes with its own; and a value that is not
// UTF-8 has its invalid bytes replaced. The generated catalogues' labels need neither.
func (s *summaryStream) promLabels(set attribute.Set) prometheus.Labels {
	if set.Len() == 0 {
		return nil
	}
	multi := map[string][]string{}
	for it := set.Iter(); it.Next(); {
		kv := it.Attribute()
		name, err := s.labelNamer.Build(string(kv.Key))
		if err != nil || name == "quantile" || strings.HasPrefix(name, "__") {
			name = "exported_" + strings.TrimLeft(name, "_")
		}
		v := kv.Value.Emit()
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		multi[name] = append(multi[name], v)
	}
	labels := make(prometheus.Labels, len(multi))
	for name, vals := range multi {
		slices.Sort(vals)
		labels[name] = strings.Join(vals, ";")
	}
	return labels
}

// cellsSnapshot returns the series in output order: arrival order, then the overflow series.
func (s *summaryStream) cellsSnapshot() []*scell {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.compact()
	cells := s.order[:len(s.order):len(s.order)]
	if s.overflow != nil {
		cells = append(cells, s.overflow)
	}
	return cells
}

// points reads every series as OTel summary data points.
func (s *summaryStream) points(now time.Time) []metricdata.SummaryDataPoint {
	cells := s.cellsSnapshot()
	if len(cells) == 0 {
		return nil
	}
	perSeries := perSeriesStart()
	dps := make([]metricdata.SummaryDataPoint, 0, len(cells))
	var m dto.Metric
	for _, c := range cells {
		if c.gone.Load() {
			continue // deleted while this collection ran
		}
		m.Reset()
		if err := c.s.Write(&m); err != nil {
			continue // client_golang's summaries never fail to write
		}
		start := s.start
		if perSeries {
			start = c.created
		}
		sum := m.GetSummary()
		dp := metricdata.SummaryDataPoint{
			Attributes: c.attrs, StartTime: start, Time: now,
			Count: sum.GetSampleCount(), Sum: sum.GetSampleSum(),
		}
		if qs := sum.GetQuantile(); len(qs) > 0 {
			dp.QuantileValues = make([]metricdata.QuantileValue, len(qs))
			for i, q := range qs {
				dp.QuantileValues[i] = metricdata.QuantileValue{Quantile: q.GetQuantile(), Value: q.GetValue()}
			}
		}
		dps = append(dps, dp)
	}
	return dps
}

// Producer returns the producer to give an SDK reader (sdkmetric.WithProducer), so that the
// reader collects every summary as metricdata.Summary. Do not give it to the OTel Prometheus
// exporter, which drops summaries with an error: register Collector beside it instead.
func (p *SummaryPath) Producer() sdkmetric.Producer { return summaryProducer{p} }

type summaryProducer struct{ p *SummaryPath }

// Produce implements sdkmetric.Producer.
func (sp summaryProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	now := time.Now()
	var out []metricdata.ScopeMetrics
	for _, sc := range sp.p.scopeSnapshot() {
		var metrics []metricdata.Metrics
		for _, s := range sc.order {
			if dps := s.points(now); len(dps) > 0 {
				metrics = append(metrics, metricdata.Metrics{Name: s.name, Description: s.description, Unit: s.unit,
					Data: metricdata.Summary{DataPoints: dps}})
			}
		}
		if len(metrics) > 0 {
			out = append(out, metricdata.ScopeMetrics{Scope: sc.scope, Metrics: metrics})
		}
	}
	return out, nil
}

// scopeSnapshot returns the scopes and their streams as they are now (order slices are
// append-only, so a copy of their headers is a snapshot).
func (p *SummaryPath) scopeSnapshot() []summaryScope {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]summaryScope, len(p.scopes))
	for i, sc := range p.scopes {
		out[i] = summaryScope{scope: sc.scope, order: sc.order[:len(sc.order):len(sc.order)]}
	}
	return out
}

// Collector returns the client_golang collector that serves every summary of the path: each
// series a Prometheus summary with the summary's name, its description as HELP, its labels
// named as the OTel Prometheus exporter names attributes, and its quantiles. Like the
// exporter, it serves no unit. It describes nothing in advance (an unchecked collector), since
// summaries are created after it is registered.
func (p *SummaryPath) Collector() prometheus.Collector { return summaryCollector{p} }

type summaryCollector struct{ p *SummaryPath }

// Describe implements prometheus.Collector; it describes nothing, which makes the collector
// unchecked.
func (summaryCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector: each series' client_golang summary is its metric.
func (sc summaryCollector) Collect(ch chan<- prometheus.Metric) {
	for _, scope := range sc.p.scopeSnapshot() {
		for _, s := range scope.order {
			for _, c := range s.cellsSnapshot() {
				if !c.gone.Load() {
					ch <- c.s
				}
			}
		}
	}
}

// Summary is a generated summary: a series per label set, each a client_golang summary that a
// SummaryPath serves (see SummaryPath), looked up by label values without allocating once the
// series is known. A nil *Summary records nothing.
type Summary[N Number, K comparable] struct {
	stream *summaryStream
	attrs  func(K) attribute.Set
	cells  *seriesCache[K, scell]
}

// NewSummary creates the summary called name from g's Meter, which must come from a
// SummaryPath's MeterProvider (telemetry's MeterProvider is one). attrs turns label values
// into the series' attribute set; it is called once per cached series.
//
// On a no-op Meter (a no-op provider's, or an SDK provider's after Shutdown) it returns a nil
// *Summary, which records nothing, as every other instrument of a no-op provider does. On any
// other Meter, a plain SDK provider's among them, it returns an error naming the summary:
// nothing would ever read its series, and a catalogue should not record into nowhere silently.
func NewSummary[N Number, K comparable](g *Group, name, description, unit string, opts SummaryOptions, attrs func(K) attribute.Set) (*Summary[N, K], error) {
	if g == nil || attrs == nil {
		return nil, errors.New("instrument: NewSummary needs a group and an attribute function")
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("instrument: summary %s: %w", name, err)
	}
	if _, ok := g.meter.(noop.Meter); ok {
		return nil, nil
	}
	c, ok := g.meter.(summaryCarrier)
	if !ok {
		return nil, fmt.Errorf("instrument: summary %s: %w", name, errNoSummaryPath)
	}
	path, scope := c.summaryPath()
	s := path.stream(scope, name, description, unit, opts)
	// A series budget (max_series) lowers the stream's own limit; lowerLimit(0) reads it.
	limit := s.lowerLimit(g.limitFor(name, s.lowerLimit(0)))
	// Only the first limit-1 label sets have series of their own; the cache holds no more.
	cells := newSeriesCache[K, scell](name, Settings{CardinalityLimit: limit}, nil)
	cells.dead = (*scell).isGone
	return &Summary[N, K]{stream: s, attrs: attrs, cells: cells}, nil
}

// Record observes val in the series with label values k.
func (s *Summary[N, K]) Record(_ context.Context, val N, k K) {
	if s == nil {
		return
	}
	if c := s.cells.lookup(k); c != nil {
		c.s.Observe(float64(val))
		return
	}
	s.resolve(k).s.Observe(float64(val))
}

// resolve finds (or creates) the series of label values k and caches it.
func (s *Summary[N, K]) resolve(k K) *scell {
	c := s.stream.resolve(s.attrs(k))
	s.cells.store(k, c)
	return c
}

// RecordSet observes val in the series with attribute set set, for a caller that already holds
// one; the series is looked up by the set, which costs more than Record's lookup by label
// values.
func (s *Summary[N, K]) RecordSet(_ context.Context, val N, set attribute.Set) {
	if s == nil {
		return
	}
	s.stream.resolve(set).s.Observe(float64(val))
}

// Bind returns the series with label values k, for a hot path. Binding does not create the
// series, which exists from its first Record, as a histogram's does.
func (s *Summary[N, K]) Bind(k K) SummaryBound[N] {
	if s == nil {
		return SummaryBound[N]{}
	}
	b := &summaryBound{resolve: func() *scell { return s.resolve(k) }}
	if c := s.cells.lookup(k); c != nil {
		b.cell.Store(c)
	}
	return SummaryBound[N]{b: b}
}

// Series returns the series with label values k, creating it now: a label-less summary is
// served from its creation, count 0 and quantiles NaN, as client_golang serves one.
func (s *Summary[N, K]) Series(k K) SummaryBound[N] {
	if s == nil {
		return SummaryBound[N]{}
	}
	b := &summaryBound{}
	b.cell.Store(s.resolve(k))
	return SummaryBound[N]{b: b}
}

// SummaryBound is one series of a Summary. Its Record allocates nothing; the zero value
// records nothing. It is one pointer, so that a generated bound type passes it in a register.
type SummaryBound[N Number] struct{ b *summaryBound }

type summaryBound struct {
	cell    atomic.Pointer[scell]
	resolve func() *scell
}

// Record observes val in the series.
func (b SummaryBound[N]) Record(_ context.Context, val N) {
	sb := b.b
	if sb == nil {
		return
	}
	c := sb.cell.Load()
	if c == nil {
		c = sb.resolve()
		sb.cell.Store(c)
	}
	c.s.Observe(float64(val))
}
