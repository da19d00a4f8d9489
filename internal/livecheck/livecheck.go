// Package livecheck holds a running service's /metrics to its instruments.yaml: what
// `instrumentgen live-check` runs in a service's CI against its own binary, so that a change
// that would break a dashboard or an alert (a renamed label, a retyped family, new buckets) fails
// there instead of in production. It is the Prometheus-side counterpart of OTel Weaver's
// `registry live-check`, which reads OTLP.
package livecheck

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// Check names what a finding is about.
type Check string

// The checks, one per kind of finding.
const (
	// Missing: a declared family whose series always exist is not served.
	Missing Check = "missing"
	// Type: served with another type than declared.
	Type Check = "type"
	// Labels: served with other label names than declared.
	Labels Check = "labels"
	// Buckets: a histogram served with other buckets than declared.
	Buckets Check = "buckets"
	// Enum: a label value outside the label's enum.
	Enum Check = "enum"
	// Undeclared: a served family the catalogue does not declare (runtime families, and
	// those an undeclared or ignore pattern matches, aside).
	Undeclared Check = "undeclared"
	// Help: a HELP other than the declared description; a warning.
	Help Check = "help"
	// Overflow: series folded into the SDK's otel_metric_overflow series by the cardinality
	// limit; a warning, since the service still serves the family.
	Overflow Check = "overflow"
	// Native: a histogram's native buckets differ from its native: declaration (native.go); a
	// warning when the exposition's format cannot show them.
	Native Check = "native"
)

// Severity says whether a finding fails the check.
type Severity string

// The severities: errors fail the check (exit 1), warnings are printed only.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
)

// Finding is one difference between the service and its catalogue.
type Finding struct {
	// Family is the metric family's name.
	Family string `json:"family"`
	// Check is what kind of difference it is.
	Check Check `json:"check"`
	// Severity is error or warning.
	Severity Severity `json:"severity"`
	// Message says what differs, with the declared and the served side.
	Message string `json:"message"`
	// Line is where the catalogue declares the family; 0 for an undeclared one.
	Line int `json:"line,omitempty"`
}

// overflowLabel marks the series the OTel SDK folds new label sets into past the cardinality
// limit.
const overflowLabel = "otel_metric_overflow"

// maxListed bounds the values a finding lists.
const maxListed = 8

// Result is what Run finds.
type Result struct {
	// Findings are sorted by family, then check.
	Findings []Finding
	// Ignored has one entry per pattern, the catalogue's undeclared ones first, then the
	// ignore patterns given to Run, in order; each with the undeclared families it left alone.
	Ignored []Ignored
	// Budgets has one entry per served family that declares max_series, in catalogue order.
	Budgets []Budget
}

// Failed reports whether any finding is an error.
func (r *Result) Failed() bool { return Failed(r.Findings) }

// Where an Ignored pattern comes from.
const (
	// FromCatalogue: an entry of the catalogue's undeclared list.
	FromCatalogue = "undeclared"
	// FromIgnore: a pattern given to Run, such as live-check's -ignore.
	FromIgnore = "ignore"
)

// Ignored is one pattern of families that Run does not report as undeclared, and the served
// families it matched.
type Ignored struct {
	// Pattern is the regular expression as written.
	Pattern string `json:"pattern"`
	// From is FromCatalogue or FromIgnore.
	From string `json:"from"`
	// Line is where the catalogue lists the pattern; 0 for an ignore pattern.
	Line int `json:"line,omitempty"`
	// Families are the served families it matched that the catalogue does not declare,
	// sorted; a family two patterns match is counted by the first. Empty (not nil) when it
	// matched none, which may mean the pattern is stale.
	Families []string `json:"families"`
}

// Run holds the served families to the catalogue. A served family the catalogue does not
// declare is an Undeclared finding unless it is a runtime family, target_info, or matches one
// of the catalogue's undeclared patterns or of ignore: those are counted in Result.Ignored
// instead. A declared family is checked whether or not a pattern matches it, so that ignore
// patterns never hide a declared family that went missing or changed.
func Run(cat *catalog.Catalog, fams []*dto.MetricFamily, ignore ...catalog.Pattern) *Result {
	return RunWith(cat, fams, Options{Ignore: ignore})
}

// RunWith is Run with the operator's switches too: a family the switches leave out (disabled
// by default and not enabled, disabled, hidden and not shown) is expected absent, and is a
// finding when served. A renamed family is checked under each name it is served as, its old
// names' HELP marked (catalog.RenamedHelp); a family with a series budget is counted against
// it (Result.Budgets).
func RunWith(cat *catalog.Catalog, fams []*dto.MetricFamily, opts Options) *Result {
	ignore := opts.Ignore
	res := &Result{}
	for _, u := range cat.Undeclared {
		res.Ignored = append(res.Ignored, Ignored{Pattern: u.Pattern.String(), From: FromCatalogue, Line: u.Line, Families: []string{}})
	}
	for _, p := range ignore {
		res.Ignored = append(res.Ignored, Ignored{Pattern: p.String(), From: FromIgnore, Families: []string{}})
	}
	patterns := make([]catalog.Pattern, 0, len(res.Ignored))
	for _, u := range cat.Undeclared {
		patterns = append(patterns, u.Pattern)
	}
	patterns = append(patterns, ignore...)

	served := make(map[string]*dto.MetricFamily, len(fams))
	for _, f := range fams {
		served[f.GetName()] = f
	}
	var out []Finding
	for _, m := range cat.Metrics {
		// The family under its own name, then under each old name it still serves.
		var found []*dto.MetricFamily
		for _, name := range append([]string{m.Name}, m.RenamedFrom...) {
			if f, ok := served[name]; ok {
				found = append(found, f)
			}
		}
		expected := opts.Switches.Served(m)
		if len(found) == 0 {
			if alwaysServed(m) && expected {
				out = append(out, Finding{Family: m.Name, Check: Missing, Severity: Error, Line: m.Line,
					Message: fmt.Sprintf("not served: %s without labels is on /metrics from the moment it is created", withArticle(kindText(m)))})
			}
			continue
		}
		if !expected {
			for _, f := range found {
				out = append(out, unexpected(m, f.GetName(), opts.Switches))
			}
			continue
		}
		for _, f := range found {
			out = append(out, compare(m, f, opts)...)
		}
		if b, finding := budget(m, found[0]); b != nil {
			res.Budgets = append(res.Budgets, *b)
			if finding != nil {
				out = append(out, *finding)
			}
		}
	}
	for _, f := range fams {
		name := f.GetName()
		if cat.MetricServing(name) != nil || catalog.RuntimeProvider(name) != "" || name == catalog.TargetInfo {
			continue
		}
		if i := slices.IndexFunc(patterns, func(p catalog.Pattern) bool { return p.Match(name) }); i >= 0 {
			res.Ignored[i].Families = append(res.Ignored[i].Families, name)
			continue
		}
		out = append(out, Finding{Family: name, Check: Undeclared, Severity: Error,
			Message: fmt.Sprintf("served as %s but not declared in %s", withArticle(strings.ToLower(f.GetType().String())), cat.File)})
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		if c := strings.Compare(a.Family, b.Family); c != 0 {
			return c
		}
		return strings.Compare(string(a.Check), string(b.Check))
	})
	for i := range res.Ignored {
		slices.Sort(res.Ignored[i].Families)
	}
	res.Findings = out
	return res
}

// ListFamilies names the families ig matched, at most a few, for one line of text.
func (ig Ignored) ListFamilies() string {
	shown := ig.Families[:min(len(ig.Families), maxListed)]
	s := strings.Join(shown, ", ")
	if more := len(ig.Families) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// alwaysServed reports whether m's series exist from the moment its instrument is created:
// label-less counters, up-down counters and summaries, which telediag creates at 0 as
// client_golang does, and label-less observables, whose callback runs at every collection. A synchronous
// gauge or histogram has no series before its first Record, a labelled family none before its
// first label set, and a provided family depends on its collector and the environment
// (go_memory_limit needs GOMEMLIMIT), so their absence proves nothing.
func alwaysServed(m *catalog.Metric) bool {
	if !m.Generated() || len(m.Labels) > 0 {
		return false
	}
	return m.Observable || m.Kind == catalog.KindCounter || m.Kind == catalog.KindUpDownCounter || m.Kind == catalog.KindSummary
}

func kindText(m *catalog.Metric) string {
	k := string(m.Kind)
	if m.Kind == catalog.KindUpDownCounter {
		k = "up-down counter"
	}
	if m.Observable {
		k = "observable " + k
	}
	return k
}

// compare checks one declared family against what is served under its name or one of its old
// names (f's name).
func compare(m *catalog.Metric, f *dto.MetricFamily, opts Options) []Finding {
	var out []Finding
	add := func(c Check, sev Severity, format string, args ...any) {
		out = append(out, Finding{Family: f.GetName(), Check: c, Severity: sev, Line: m.Line, Message: fmt.Sprintf(format, args...)})
	}
	served := strings.ToLower(f.GetType().String())
	if want := m.PrometheusType(); served != want {
		add(Type, Error, "declared %s (served as a Prometheus %s), served as a %s", kindText(m), want, served)
		// Labels and buckets of another type say nothing more.
		return out
	}
	// A provided family's HELP is its collector's, which changes with client_golang's version
	// and which the service cannot choose: only the service's own descriptions are held.
	if want, h := m.HelpFor(f.GetName()), f.GetHelp(); h != want && m.Generated() {
		add(Help, Warning, "HELP differs from the declared description: declared %q, served %q", want, h)
	}
	reserved := map[string]bool{"le": m.Kind == catalog.KindHistogram, "quantile": m.Kind == catalog.KindSummary}
	declared := map[string]*catalog.Label{}
	for _, l := range m.Labels {
		declared[l.Key] = l
	}
	seenKeys := map[string]bool{}
	outside := map[string]map[string]bool{} // label key → values outside its enum
	overflow := 0
	var bucketsSeen []float64
	bucketsDiffer := false
	nat := nativeSeen{}
	for _, s := range f.GetMetric() {
		if isOverflow(s) {
			overflow++
			continue
		}
		for _, lp := range s.GetLabel() {
			k, v := lp.GetName(), lp.GetValue()
			if reserved[k] {
				continue
			}
			seenKeys[k] = true
			if l := declared[k]; l != nil && len(l.Enum) > 0 && !slices.Contains(l.Enum, v) {
				if outside[k] == nil {
					outside[k] = map[string]bool{}
				}
				outside[k][v] = true
			}
		}
		if m.Kind == catalog.KindHistogram && m.Generated() && !bucketsDiffer {
			b := finiteBounds(s.GetHistogram())
			if !equalBounds(b, m.Buckets) {
				bucketsSeen, bucketsDiffer = b, true
			}
		}
		if m.Kind == catalog.KindHistogram && m.Generated() {
			nat.add(s.GetHistogram())
		}
	}
	var extra, absent []string
	for k := range seenKeys {
		if declared[k] == nil {
			extra = append(extra, k)
		}
	}
	for k := range declared {
		if !seenKeys[k] && len(f.GetMetric()) > overflow {
			absent = append(absent, k)
		}
	}
	if len(extra)+len(absent) > 0 {
		slices.Sort(extra)
		slices.Sort(absent)
		add(Labels, Error, "label names differ: declared [%s], served [%s]%s", strings.Join(m.LabelKeys(), ", "), strings.Join(slices.Sorted(maps.Keys(seenKeys)), ", "), diffText(extra, absent))
	}
	for _, l := range m.Labels {
		if vs := outside[l.Key]; len(vs) > 0 {
			add(Enum, Error, "label %s has values outside its enum [%s]: %s", l.Key, strings.Join(l.Enum, ", "), listQuoted(slices.Sorted(maps.Keys(vs))))
		}
	}
	switch {
	case bucketsDiffer && m.Native != nil && len(m.Buckets) == 0:
		add(Buckets, Error, "declared native buckets alone, served classic buckets %s too", boundsText(bucketsSeen))
	case bucketsDiffer:
		add(Buckets, Error, "buckets differ: declared %s, served %s", boundsText(m.Buckets), boundsText(bucketsSeen))
	}
	if m.Kind == catalog.KindHistogram && m.Generated() {
		for _, n := range nat.findings(m, opts) {
			add(Native, n.sev, "%s", n.msg)
		}
	}
	if q, ok := quantileFinding(m, f); ok {
		out = append(out, q)
	}
	if overflow > 0 && m.MaxSeries == 0 { // with a budget, budget() reports it, as an error
		add(Overflow, Warning, "the cardinality limit was reached: label sets past it are folded into the %s=\"true\" series", overflowLabel)
	}
	return out
}

func isOverflow(s *dto.Metric) bool {
	for _, lp := range s.GetLabel() {
		if lp.GetName() == overflowLabel && lp.GetValue() == "true" {
			return true
		}
	}
	return false
}

func finiteBounds(h *dto.Histogram) []float64 {
	var out []float64
	for _, b := range h.GetBucket() {
		if ub := b.GetUpperBound(); !math.IsInf(ub, 0) && !math.IsNaN(ub) {
			out = append(out, ub)
		}
	}
	return out
}

// equalBounds compares bucket boundaries exactly: both sides are the shortest decimal that
// reads back as the same float64, so any difference is a real one.
func equalBounds(a, b []float64) bool { return slices.Equal(a, b) }

func boundsText(b []float64) string {
	if len(b) == 0 {
		return "no finite bucket"
	}
	parts := make([]string, len(b))
	for i, v := range b {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func diffText(extra, absent []string) string {
	var parts []string
	if len(extra) > 0 {
		parts = append(parts, "undeclared "+strings.Join(extra, ", "))
	}
	if len(absent) > 0 {
		parts = append(parts, "missing "+strings.Join(absent, ", "))
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func listQuoted(vs []string) string {
	shown := vs[:min(len(vs), maxListed)]
	parts := make([]string, len(shown))
	for i, v := range shown {
		parts[i] = strconv.Quote(v)
	}
	s := strings.Join(parts, ", ")
	if more := len(vs) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// Failed reports whether any finding is an error.
func Failed(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == Error })
}

// withArticle puts "a" or "an" before a kind: "an untyped", "an observable gauge", "a counter".
func withArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}
