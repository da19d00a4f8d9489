package telemetry

import (
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/otlptranslator"
	promb "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// WithGatherer serves g's metric families on /metrics beside the pipeline's, and pushes them
// over OTLP with the client_golang collectors': for a registry the service fills while it
// runs, such as an exporter's, which creates a family for each metric of what it scrapes. g is
// gathered at every scrape, so families registered after New are served from the next one.
// Given more than once, the gatherers are merged as prometheus.Gatherers merges them.
//
// A family of g that has a name the pipeline serves itself (an OTel instrument's, a
// client_golang collector's, the histogram or summary suffixes _bucket, _sum and _count
// included) is left out, and logged once, at error level, with both names; everything else is
// served. The check is made at every scrape, as g changes while the service runs. It is not a
// failed scrape (HTTP 500, as promhttp's HTTPErrorOnError would give) because g is filled by
// traffic: one family named by what the service happened to scrape would otherwise take every
// declared family off /metrics, and fire every alert on them, until the process restarts. The
// catalogue is the contract, so its family is the one kept. Errors of g itself are handled as
// the pipeline's own collectors' are: logged, and what g returned is served.
//
// Over OTLP, g's families go through the Prometheus bridge (go.opentelemetry.io/contrib/
// bridges/prometheus) as WithCollectors' do: under the bridge's instrumentation scope, with the
// names a scraper sees, counters as cumulative sums, histograms and summaries as such. The same
// collision rule applies at every export, so that a collector receives what /metrics serves.
// A reader given with WithReader receives neither g's families nor the collectors'.
//
// The direct scrape path (WithDirectScrape) renders g's families too; a scrape where one of
// them has a name or label name outside the legacy Prometheus character set goes through the
// exporter, which escapes it as the scraper asked.
func WithGatherer(g prometheus.Gatherer) Option {
	return func(c *config) { c.gatherers = append(c.gatherers, g) }
}

// bridgeScope is the instrumentation scope the Prometheus bridge pushes under: the OTLP side of
// the collision check finds the gatherer's families by it.
const bridgeScope = "go.opentelemetry.io/contrib/bridges/prometheus"

// runtimeFamilies serves the WithGatherer families beside the pipeline's: it merges them
// into what /metrics serves and what the bridge pushes, and leaves out those whose names the
// pipeline serves itself.
type runtimeFamilies struct {
	gatherer prometheus.Gatherer
	logger   *slog.Logger
	namer    otlptranslator.MetricNamer // names OTel metrics as /metrics exposes them

	mu sync.Mutex
	// reported holds the families whose collision has been logged. Only a family that
	// collides gets in, so it is bounded by the names the pipeline serves.
	reported map[string]bool
	// pushed holds the gatherer's families the bridge gathered last, so that the export can
	// tell them from the collectors' in the bridge's scope.
	pushed map[string]bool
}

// newRuntimeFamilies returns nil without WithGatherer.
func newRuntimeFamilies(cfg *config) (*runtimeFamilies, error) {
	if len(cfg.gatherers) == 0 {
		return nil, nil
	}
	for i, g := range cfg.gatherers {
		if isNil(g) {
			return nil, fmt.Errorf("telemetry: WithGatherer: gatherer %d of %d is nil", i+1, len(cfg.gatherers))
		}
	}
	var g prometheus.Gatherer = cfg.gatherers[0]
	if len(cfg.gatherers) > 1 {
		g = prometheus.Gatherers(slices.Clone(cfg.gatherers))
	}
	return &runtimeFamilies{
		gatherer: g,
		logger:   cfg.logger,
		namer:    otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithoutSuffixes),
		reported: map[string]bool{},
	}, nil
}

// isNil reports a nil gatherer, a typed nil pointer included, whose Gather would panic at the
// first scrape instead of failing New.
func isNil(g prometheus.Gatherer) bool {
	if g == nil {
		return true
	}
	switch v := reflect.ValueOf(g); v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Interface, reflect.Chan:
		return v.IsNil()
	}
	return false
}

// scrapeGatherer is what the exporter path of /metrics gathers: served (the exporter and the
// collectors), and the WithGatherer families beside it.
func (t *Telemetry) scrapeGatherer() prometheus.Gatherer {
	if t.families == nil {
		return t.servedReg
	}
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return t.families.besideServed(t.servedReg)
	})
}

// bridgeOptions are the gatherers the OTLP bridge pushes: the collectors' registry, and the
// WithGatherer families in a gatherer of their own, so that an error of one does not drop the
// other (the bridge skips a gatherer that fails).
func (t *Telemetry) bridgeOptions() []promb.Option {
	opts := []promb.Option{promb.WithGatherer(t.runtimeReg)}
	if t.families != nil {
		opts = append(opts, promb.WithGatherer(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
			return t.families.forPush(t.runtimeReg), nil
		})))
	}
	return opts
}

// besideServed gathers served and the WithGatherer families, leaves out those that collide
// with served's, and returns them all sorted by name, as a registry would. Gathering errors
// of either side are returned with what was gathered, which promhttp (ContinueOnError) logs
// and serves.
func (r *runtimeFamilies) besideServed(served prometheus.Gatherer) ([]*dto.MetricFamily, error) {
	mfs, err := served.Gather()
	own, ownErr := r.gatherer.Gather()
	if ownErr != nil {
		ownErr = fmt.Errorf("WithGatherer: %w", ownErr)
	}
	names := exposedNames{}
	for _, mf := range mfs {
		names.add(mf.GetName(), mf.GetType())
	}
	mfs = append(mfs, r.keep(names, own)...)
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return mfs, errors.Join(err, ownErr)
}

// errNotDirect makes the direct path hand a scrape to the exporter.
var errNotDirect = errors.New("telemetry: WithGatherer families the direct path does not render")

// besideOTel is besideServed for the direct path: rm is the collected OTel data and runtime
// the collectors' families, which the returned slice extends. It returns errNotDirect, or the
// gatherer's error, when the scrape is the exporter's to serve: one that the text renderer would
// not give exactly as promhttp does, or one whose errors promhttp is to log.
func (r *runtimeFamilies) besideOTel(rm *metricdata.ResourceMetrics, runtime []*dto.MetricFamily) ([]*dto.MetricFamily, error) {
	own, err := r.gatherer.Gather()
	if err != nil {
		return nil, err
	}
	for _, mf := range own {
		if !legacyNames(mf) {
			return nil, errNotDirect
		}
	}
	names := exposedNames{}
	for _, mf := range runtime {
		names.add(mf.GetName(), mf.GetType())
	}
	for i := range rm.ScopeMetrics {
		for _, m := range rm.ScopeMetrics[i].Metrics {
			names.addOTel(r.namer, m)
		}
	}
	return append(runtime, r.keep(names, own)...), nil
}

// forPush is what the bridge gathers of the WithGatherer families: those that collide with
// none of the collectors' (runtime), which share the bridge's scope. Their names are kept for
// dropColliding, which sees the OTel instruments in the export. An error of the gatherer is
// logged here, and what it returned is pushed: the bridge would drop it all.
func (r *runtimeFamilies) forPush(runtime prometheus.Gatherer) []*dto.MetricFamily {
	own, err := r.gatherer.Gather()
	if err != nil {
		r.logger.Error("metrics: WithGatherer: gathering for the push failed; pushing what it returned", "error", err)
	}
	names := exposedNames{}
	if mfs, _ := runtime.Gather(); mfs != nil { // its errors are the bridge's to report
		for _, mf := range mfs {
			names.add(mf.GetName(), mf.GetType())
		}
	}
	kept := r.keep(names, own)
	pushed := make(map[string]bool, len(kept))
	for _, mf := range kept {
		pushed[mf.GetName()] = true
	}
	r.mu.Lock()
	r.pushed = pushed
	r.mu.Unlock()
	return kept
}

// dropColliding returns sms without the WithGatherer families (in the bridge's scope) that
// collide with a metric of another scope: an OTel instrument, as /metrics would name it. It
// returns sms itself when nothing is dropped, and otherwise new slices, leaving the reader's,
// which it reuses, untouched. A nil r drops nothing.
func (r *runtimeFamilies) dropColliding(sms []metricdata.ScopeMetrics) []metricdata.ScopeMetrics {
	if r == nil {
		return sms
	}
	r.mu.Lock()
	pushed := r.pushed
	r.mu.Unlock()
	if len(pushed) == 0 {
		return sms
	}
	names := exposedNames{}
	for _, sm := range sms {
		if sm.Scope.Name != bridgeScope {
			for _, m := range sm.Metrics {
				names.addOTel(r.namer, m)
			}
		}
	}
	var out []metricdata.ScopeMetrics
	for i, sm := range sms {
		if sm.Scope.Name != bridgeScope {
			continue
		}
		var kept []metricdata.Metrics
		for j, m := range sm.Metrics {
			with, collides := "", false
			if pushed[m.Name] {
				with, collides = names.collision(m.Name, otelType(m.Data))
			}
			if collides && kept == nil {
				kept = slices.Clone(sm.Metrics[:j:j])
			}
			switch {
			case collides:
				r.report(m.Name, with)
			case kept != nil:
				kept = append(kept, m)
			}
		}
		if kept == nil {
			continue
		}
		if out == nil {
			out = slices.Clone(sms)
		}
		out[i].Metrics = kept
	}
	if out == nil {
		return sms
	}
	return out
}

// keep returns the families of own that collide with none of names, logging each collision
// once. It returns own itself when none collides.
func (r *runtimeFamilies) keep(names exposedNames, own []*dto.MetricFamily) []*dto.MetricFamily {
	var kept []*dto.MetricFamily
	for i, mf := range own {
		with, collides := names.collision(mf.GetName(), mf.GetType())
		if collides && kept == nil {
			kept = slices.Clone(own[:i:i])
		}
		switch {
		case collides:
			r.report(mf.GetName(), with)
		case kept != nil:
			kept = append(kept, mf)
		}
	}
	if kept == nil {
		return own
	}
	return kept
}

// report logs, once per family, that family is left out because it collides with with.
func (r *runtimeFamilies) report(family, with string) {
	r.mu.Lock()
	seen := r.reported[family]
	r.reported[family] = true
	r.mu.Unlock()
	if seen {
		return
	}
	msg := "metrics: a WithGatherer family has a name the pipeline serves; it is left out of /metrics and OTLP until renamed"
	if with == family {
		r.logger.Error(msg, "family", family)
		return
	}
	r.logger.Error(msg, "family", family, "collides_with", with)
}

// exposedNames maps every name a served family takes on /metrics to the family: its own name
// (the # TYPE line) and its samples' (a histogram foo's foo_bucket, foo_sum and foo_count, a
// summary's foo_sum and foo_count). Two families that share one would make Prometheus read the
// samples of one as the other's, which a client_golang registry refuses as well.
type exposedNames map[string]string

func (e exposedNames) add(family string, typ dto.MetricType) {
	for _, n := range seriesNames(family, typ) {
		if n != "" {
			e[n] = family
		}
	}
}

// addOTel adds an OTel metric under the name the Prometheus exporter gives it.
func (e exposedNames) addOTel(namer otlptranslator.MetricNamer, m metricdata.Metrics) {
	name, err := namer.Build(otlptranslator.Metric{Name: m.Name})
	if err != nil {
		name = m.Name
	}
	e.add(name, otelType(m.Data))
}

// collision returns the served family that family (of type typ) would share a name with. A
// name outside the legacy character set is also checked as a scraper that cannot read it gets
// it, with underscores (upstream.up as upstream_up).
func (e exposedNames) collision(family string, typ dto.MetricType) (string, bool) {
	for _, n := range seriesNames(family, typ) {
		if with, ok := e[n]; ok {
			return with, true
		}
	}
	if !model.LegacyValidation.IsValidMetricName(family) {
		return e.collision(model.EscapeName(family, model.UnderscoreEscaping), typ)
	}
	return "", false
}

// seriesNames lists the names a family takes on /metrics; empty strings pad the array.
func seriesNames(family string, typ dto.MetricType) [4]string {
	switch typ {
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return [4]string{family, family + "_bucket", family + "_sum", family + "_count"}
	case dto.MetricType_SUMMARY:
		return [4]string{family, family + "_sum", family + "_count"}
	default:
		return [4]string{family}
	}
}

// otelType is the Prometheus type an OTel aggregation is exposed as, as far as its sample
// names go.
func otelType(data metricdata.Aggregation) dto.MetricType {
	switch data.(type) {
	case metricdata.Histogram[int64], metricdata.Histogram[float64],
		metricdata.ExponentialHistogram[int64], metricdata.ExponentialHistogram[float64]:
		return dto.MetricType_HISTOGRAM
	case metricdata.Summary:
		return dto.MetricType_SUMMARY
	default:
		return dto.MetricType_GAUGE
	}
}

// legacyNames reports whether mf's name and label names are in the legacy Prometheus character
// set, which the direct path writes as they are; promhttp escapes any other as the scraper's
// Accept header says.
func legacyNames(mf *dto.MetricFamily) bool {
	if !model.LegacyValidation.IsValidMetricName(mf.GetName()) {
		return false
	}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			if !model.LegacyValidation.IsValidLabelName(lp.GetName()) {
				return false
			}
		}
	}
	return true
}
