package telemetry

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/telemetry/instrument"
)

// renames are the old names of the served generated metrics that declare renamed_from
// (docs/catalogue.md, "The contract with the pipeline"), learned from the catalogues as they
// are created (instrument.Settings.Declare). /metrics serves each old name as a family of its
// own beside the new one, on either scrape path, so both come from the same cell: same type,
// series, values and buckets, with the HELP instrument.RenamedHelp gives, which live-check
// expects. With WithOldNamesOverOTLP the push exporter receives each old name too (otlp).
//
// Scrapes read the names on every request while catalogues declare them rarely (at creation):
// the map is copied on write and read through an atomic pointer, so a scrape takes no lock.
type renames struct {
	mu sync.Mutex // serialises declare
	// old maps a served metric's name to its old names. The map a pointer holds is never
	// written again: declare stores a new one.
	old atomic.Pointer[map[string][]string]
}

// declare notes l's old names; a metric without any costs nothing at scrape time.
func (r *renames) declare(l instrument.Lifecycle) {
	if len(l.RenamedFrom) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur := r.names()
	next := make(map[string][]string, len(cur)+1)
	for k, v := range cur {
		next[k] = v
	}
	olds := slices.Clone(next[l.Name])
	for _, o := range l.RenamedFrom {
		if !slices.Contains(olds, o) {
			olds = append(olds, o)
		}
	}
	next[l.Name] = olds
	r.old.Store(&next)
}

// names returns the current map of old names, nil before any declaration; it must not be
// written to.
func (r *renames) names() map[string][]string {
	if r == nil {
		return nil
	}
	if p := r.old.Load(); p != nil {
		return *p
	}
	return nil
}

// any reports whether some served metric has old names.
func (r *renames) any() bool { return len(r.names()) > 0 }

// OldNames returns the old names /metrics also serves the family name under (none for most), for
// the direct path's renderer (promtext.Renames).
func (r *renames) OldNames(name string) []string { return r.names()[name] }

// OldHelp is the HELP of an old name of the family name whose HELP is help.
func (*renames) OldHelp(name, help string) string { return instrument.RenamedHelp(name, help) }

// apply adds the old-name families to mfs, sorted by name as a registry returns them. An old
// name that some family already has is left out: the family that owns the name keeps it, and
// catalog validation rejects such a catalogue anyway.
//
// An old-name family is a shallow copy: its own name and HELP, and the new family's type, unit
// and series (the same *dto.Metric values, which the encoders only read). Nothing of a scrape
// is copied per series.
func (r *renames) apply(mfs []*dto.MetricFamily) []*dto.MetricFamily {
	old := r.names()
	if len(old) == 0 {
		return mfs
	}
	n := len(mfs)
	for _, mf := range mfs[:n] {
		for _, o := range old[mf.GetName()] {
			if hasFamily(mfs, o) {
				continue
			}
			mfs = append(mfs, &dto.MetricFamily{
				Name:   proto.String(o),
				Help:   proto.String(instrument.RenamedHelp(mf.GetName(), mf.GetHelp())),
				Type:   mf.Type,
				Unit:   mf.Unit,
				Metric: mf.Metric,
			})
		}
	}
	if len(mfs) > n {
		slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	}
	return mfs
}

// hasFamily reports whether mfs has a family called name. A linear scan: it runs only for the
// old names, a handful per catalogue, and a set of every name would cost each scrape more.
func hasFamily(mfs []*dto.MetricFamily, name string) bool {
	return slices.ContainsFunc(mfs, func(mf *dto.MetricFamily) bool { return mf.GetName() == name })
}

// gatherer wraps g so that what it gathers carries the old-name families.
func (r *renames) gatherer(g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		return r.apply(mfs), err
	})
}

// otlp returns sms with, beside each metric that has old names, a copy under each old name: the
// same unit and data points (shared, not copied: an exporter only reads them), and the
// description marked as /metrics marks the old name's HELP. An old name that some metric of the
// export already has is left out, as on /metrics.
//
// It returns sms itself when nothing is renamed. Otherwise the slices are new ones, so that the
// reader's, which it reuses at its next collection, are not written to.
func (r *renames) otlp(sms []metricdata.ScopeMetrics) []metricdata.ScopeMetrics {
	old := r.names()
	if len(old) == 0 {
		return sms
	}
	has := func(name string) bool {
		for _, sm := range sms {
			for _, m := range sm.Metrics {
				if m.Name == name {
					return true
				}
			}
		}
		return false
	}
	var out []metricdata.ScopeMetrics
	for i, sm := range sms {
		var copies []metricdata.Metrics
		for _, m := range sm.Metrics {
			for _, o := range old[m.Name] {
				if has(o) || slices.ContainsFunc(copies, func(c metricdata.Metrics) bool { return c.Name == o }) {
					continue
				}
				copies = append(copies, metricdata.Metrics{
					Name:        o,
					Description: instrument.RenamedHelp(m.Name, m.Description),
					Unit:        m.Unit,
					Data:        m.Data,
				})
			}
		}
		if len(copies) == 0 {
			if out != nil {
				out = append(out, sm)
			}
			continue
		}
		if out == nil {
			out = append(make([]metricdata.ScopeMetrics, 0, len(sms)), sms[:i]...)
		}
		sm.Metrics = append(slices.Clip(sm.Metrics), copies...) // clipped: a new array, never the reader's
		out = append(out, sm)
	}
	if out == nil {
		return sms
	}
	return out
}
