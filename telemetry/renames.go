package telemetry

import (
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/telemetry/instrument"
)

// renames are the old names of the served generated metrics that declare renamed_from
// (docs/catalogue.md, "The contract with the pipeline"), learned from the catalogues as they
// are created (instrument.Settings.Declare). /metrics serves each old name as a family of its
// own, a copy of the new name's family taken at each scrape, so both come from the same cell:
// same type, series, values and buckets, with the HELP instrument.RenamedHelp gives, which
// live-check expects.
type renames struct {
	mu sync.RWMutex
	// old maps a served metric's name to its old names.
	old map[string][]string
}

// declare notes l's old names; a metric without any costs nothing at scrape time.
func (r *renames) declare(l instrument.Lifecycle) {
	if len(l.RenamedFrom) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.old == nil {
		r.old = map[string][]string{}
	}
	for _, o := range l.RenamedFrom {
		if !slices.Contains(r.old[l.Name], o) {
			r.old[l.Name] = append(r.old[l.Name], o)
		}
	}
}

// any reports whether some served metric has old names.
func (r *renames) any() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.old) > 0
}

// apply adds the old-name families to mfs, sorted by name as a registry returns them. An old
// name that some family already has is left out: the family that owns the name keeps it, and
// catalog validation rejects such a catalogue anyway.
func (r *renames) apply(mfs []*dto.MetricFamily) []*dto.MetricFamily {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.old) == 0 {
		return mfs
	}
	have := make(map[string]bool, len(mfs))
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	n := len(mfs)
	for _, mf := range mfs[:n] {
		for _, o := range r.old[mf.GetName()] {
			if have[o] {
				continue
			}
			c := proto.Clone(mf).(*dto.MetricFamily)
			c.Name = proto.String(o)
			c.Help = proto.String(instrument.RenamedHelp(mf.GetName(), mf.GetHelp()))
			mfs = append(mfs, c)
			have[o] = true
		}
	}
	if len(mfs) > n {
		slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	}
	return mfs
}

// gatherer wraps g so that what it gathers carries the old-name families.
func (r *renames) gatherer(g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		return r.apply(mfs), err
	})
}
