package catalogdiff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// Fails reports whether c fails the diff: a breaking change to a beta or stable family, or to
// none in particular. A breaking change to a development or alpha family is reported and
// allowed, since such a family promises nothing yet.
func (c Change) Fails() bool {
	return c.Severity == Breaking && (c.Stability == "" || c.Stability.Guaranteed())
}

// CountFailing returns how many of changes fail the diff (Fails).
func CountFailing(changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Fails() {
			n++
		}
	}
	return n
}

// severityText is the severity as a line prints it: a breaking change that does not fail says
// so, with the stability that allows it.
func (c Change) severityText() string {
	if c.Severity == Breaking && !c.Fails() {
		return fmt.Sprintf("%s (%s: allowed)", c.Severity, c.Stability)
	}
	return string(c.Severity)
}

// servedSeries are the series a breaking change to family o touches: those of its own name and
// of every old name it still serves from the same cell, and, for a histogram with native
// buckets, the native series of those names, which is what a Prometheus that scrapes native
// histograms stores instead (native.go).
func servedSeries(o *catalog.Metric) []string {
	out := append(o.Series(), o.RenamedSeries()...)
	if o.Native != nil {
		out = append(out, nativeSeries(o)...)
	}
	return out
}

// bucketSeries are the _bucket series of histogram o under every name it serves.
func bucketSeries(o *catalog.Metric) []string {
	out := []string{o.Name + "_bucket"}
	for _, r := range o.RenamedFrom {
		out = append(out, r+"_bucket")
	}
	return out
}

// declaredRenames maps each family of oldCat whose name is gone from newCat to the family of
// newCat that lists that name under renamed_from, if there is one.
func declaredRenames(oldCat, newCat *catalog.Catalog) map[*catalog.Metric]*catalog.Metric {
	out := map[*catalog.Metric]*catalog.Metric{}
	for _, o := range oldCat.Metrics {
		if newCat.Metric(o.Name) != nil {
			continue
		}
		if n := newCat.MetricServing(o.Name); n != nil {
			out[o] = n
		}
	}
	return out
}

// isRenameTarget reports whether n is the new family of a declared rename.
func isRenameTarget(declared map[*catalog.Metric]*catalog.Metric, n *catalog.Metric) bool {
	for _, t := range declared {
		if t == n {
			return true
		}
	}
	return false
}

// lifecycle compares what two versions of one family declare about its life: the old names it
// serves, its stability, deprecation, hidden and default states, and its series budget.
func (d *differ) lifecycle(o, n *catalog.Metric) {
	d.renamedFrom(o, n)
	d.stability(o, n)
	d.deprecation(o, n)
	switch {
	case !o.Hidden && n.Hidden:
		d.add(Breaking, o, n, "hidden", "false", "true",
			"now hidden: /metrics and OTLP serve it only where the operator shows hidden metrics, so queries of %s find nothing on a default deployment", strings.Join(servedSeries(o), ", "))
	case o.Hidden && !n.Hidden:
		d.add(Compatible, o, n, "hidden", "true", "false", "no longer hidden: served again by default; queries of it find new samples")
	}
	switch {
	case o.Enabled() && !n.Enabled():
		d.add(Breaking, o, n, "enabled", "true", "false",
			"now disabled by default: served only where the operator enables it, so queries of %s find nothing on a default deployment", strings.Join(servedSeries(o), ", "))
	case !o.Enabled() && n.Enabled():
		d.add(Compatible, o, n, "enabled", "false", "true", "now enabled by default: served without an operator's switch; queries of it find new samples")
	}
	if o.MaxSeries != n.MaxSeries {
		d.add(Compatible, o, n, "max_series", budgetText(o.MaxSeries), budgetText(n.MaxSeries), "%s", budgetChange(o.MaxSeries, n.MaxSeries))
	}
}

// renamedFrom reports the old names o served that n no longer serves, which breaks their
// queries, and the old names n serves anew.
func (d *differ) renamedFrom(o, n *catalog.Metric) {
	served := append([]string{n.Name}, n.RenamedFrom...)
	before := append([]string{o.Name}, o.RenamedFrom...)
	for _, r := range o.RenamedFrom {
		if slices.Contains(served, r) {
			continue
		}
		series := o.SeriesAs(r)
		if o.Native != nil {
			series = append(series, r) // the old name's native series
		}
		d.add(Breaking, o, n, "renamed_from", r, "",
			"old name %s no longer served: queries of %s find nothing; they must read %s", r, strings.Join(series, ", "), n.Name)
		d.changes[len(d.changes)-1].Series = series
	}
	for _, r := range n.RenamedFrom {
		if !slices.Contains(before, r) {
			d.add(Compatible, o, n, "renamed_from", "", r,
				"now also served under the old name %s, from the same series: queries of %s find samples again", r, r)
		}
	}
}

// stability reports a change of level. A promotion is compatible. A demotion takes back the
// promise that queries of the family rely on, so it is breaking at the old level: a stable
// family is deprecated, not demoted, and cannot escape the diff by a demotion in the same edit
// (the old level decides every change of the edit).
func (d *differ) stability(o, n *catalog.Metric) {
	ol, nl := o.Stability.Level(), n.Stability.Level()
	switch {
	case ol == nl:
	case nl.Rank() > ol.Rank():
		what := "a breaking change to it now fails the diff"
		if !nl.Guaranteed() {
			what = "a breaking change to it is still allowed"
		}
		d.add(Compatible, o, n, "stability", string(ol), string(nl), "promoted from %s to %s: %s; queries are unaffected", ol, nl, what)
	default:
		d.add(Breaking, o, n, "stability", string(ol), string(nl),
			"demoted from %s to %s: its name, labels and buckets are no longer promised to the queries that rely on them; deprecate a family instead of demoting it", ol, nl)
	}
}

// deprecation reports a family deprecated, no longer deprecated, or deprecated otherwise. None
// of it changes a series: only the HELP, the generated Go's Deprecated mark and the docs.
func (d *differ) deprecation(o, n *catalog.Metric) {
	od, nd := o.Deprecated, n.Deprecated
	switch {
	case od == nil && nd == nil:
	case od == nil:
		use := ""
		if nd.ReplacedBy != "" {
			use = "; move its queries to " + nd.ReplacedBy + " before it is hidden or removed"
		}
		d.add(Compatible, o, n, "deprecated", "", nd.Since,
			"deprecated since %s: still served, with the HELP %q; queries are unaffected, and Go code that still records it is flagged%s",
			nd.Since, truncate(n.Help()), use)
	case nd == nil:
		d.add(Compatible, o, n, "deprecated", od.Since, "", "no longer deprecated: the HELP is the description again; queries are unaffected")
	case *od != *nd:
		d.add(Compatible, o, n, "deprecated", deprecationText(od), deprecationText(nd),
			"deprecation changed: documentation and HELP only; queries are unaffected")
	}
}

func deprecationText(dep *catalog.Deprecation) string {
	parts := []string{"since " + dep.Since}
	if dep.ReplacedBy != "" {
		parts = append(parts, "replaced by "+dep.ReplacedBy)
	}
	if dep.Note != "" {
		parts = append(parts, "note "+strconv.Quote(dep.Note))
	}
	return strings.Join(parts, ", ")
}

func budgetText(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// budgetChange says what a new series budget does. It is compatible: the label sets past the
// budget fold into the otel_metric_overflow="true" series, so sums over the family stay right,
// and live-check reports a family near or past its budget.
func budgetChange(from, to int) string {
	const folded = `; label sets past it fold into the otel_metric_overflow="true" series, so sums stay right while selectors on the values past it find no new samples, which live-check reports`
	switch {
	case from == 0:
		return fmt.Sprintf("series budget of %d set (the pipeline's limit applied)%s", to, folded)
	case to == 0:
		return fmt.Sprintf("series budget of %d removed: the pipeline's limit applies", from)
	case to > from:
		return fmt.Sprintf("series budget raised from %d to %d: fewer label sets fold into the overflow series", from, to)
	default:
		return fmt.Sprintf("series budget lowered from %d to %d%s", from, to, folded)
	}
}

// truncate shortens a HELP for a message, on a rune boundary.
func truncate(s string) string {
	const max = 80
	if r := []rune(s); len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
