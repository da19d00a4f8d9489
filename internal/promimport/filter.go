package promimport

import (
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// Filter chooses by name the families Import takes: a service that makes families at run
// time (an exporter, one family per metric of what it scrapes) serves, beside its own, families
// that are not its catalogue's to declare. The patterns match whole names (catalog.Pattern).
//
// A family a filter leaves out is reported in Result.Skipped, its reason naming the flag
// (-include or -exclude, as instrumentgen import spells them) and the pattern, so that nothing
// is dropped without a word.
type Filter struct {
	// Include, when not empty, keeps only the families that match one of its patterns.
	Include []catalog.Pattern
	// Exclude leaves out the families that match one of its patterns, whatever Include says.
	Exclude []catalog.Pattern
}

// leftOut says why f leaves the family called name out, or "" when f keeps it.
func (f Filter) leftOut(name string) string {
	for _, p := range f.Exclude {
		if p.Match(name) {
			return "matches -exclude " + strconv.Quote(p.String())
		}
	}
	if len(f.Include) == 0 {
		return ""
	}
	quoted := make([]string, len(f.Include))
	for i, p := range f.Include {
		if p.Match(name) {
			return ""
		}
		quoted[i] = strconv.Quote(p.String())
	}
	return "matches no -include (" + strings.Join(quoted, ", ") + ")"
}

// apply returns the families of fams that f keeps, in order, and the ones it leaves out with
// why. A runtime family that Import would leave out anyway for want of includeRuntime is kept
// here, so that it is counted with the other runtime families instead of listed one by one.
func (f Filter) apply(fams []*dto.MetricFamily, includeRuntime bool) ([]*dto.MetricFamily, []Skipped) {
	if len(f.Include) == 0 && len(f.Exclude) == 0 {
		return fams, nil
	}
	var kept []*dto.MetricFamily
	var left []Skipped
	for _, mf := range fams {
		name := mf.GetName()
		if !includeRuntime && catalog.RuntimeProvider(name) != "" {
			kept = append(kept, mf)
			continue
		}
		if reason := f.leftOut(name); reason != "" {
			left = append(left, Skipped{Family: name, Reason: reason})
			continue
		}
		kept = append(kept, mf)
	}
	return kept, left
}
