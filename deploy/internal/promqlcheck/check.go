// Package promqlcheck checks the metric names in PromQL expressions against a catalogue
// (instruments.yaml): every name a rule or a dashboard query selects must be a declared family,
// or a series of one, queried the way its type allows:
//
//   - a counter only under rate(), irate() or increase(): its raw value says nothing;
//   - a histogram only through its series: NAME_bucket inside histogram_quantile() (under one of
//     those three functions), NAME_sum and NAME_count like counters; NAME itself selects nothing,
//     unless the histogram declares native buckets: then NAME is its native series, which a
//     Prometheus that scrapes native histograms stores, read as a counter histogram, under one
//     of those three functions and inside a histogram function (histogram_quantile(),
//     histogram_count(), histogram_sum(), …), which turns it into floats;
//   - a summary's NAME selects its quantiles (gauges), NAME_sum and NAME_count are counters;
//   - a gauge (and an up-down counter, a gauge on /metrics) anywhere but under those functions.
//
// It also checks that every label a selector matches on is one the family has (or a target
// label such as job and instance), which catches a typo that would select nothing.
//
// It parses with Prometheus's own PromQL parser, so an expression that does not parse, such as
// the availability formula in Teleport's metrics guide, is a problem too.
package promqlcheck

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/telediag/telediag/internal/catalog"
)

// counterFuncs are the functions that turn a counter into something worth reading.
var counterFuncs = []string{"rate", "irate", "increase"}

// DefaultTargetLabels are the labels Prometheus attaches to every scraped series; a selector may
// match on them whatever the family.
var DefaultTargetLabels = []string{"job", "instance"}

// Checker checks expressions against one catalogue. Create it with New.
type Checker struct {
	families     map[string]*catalog.Metric
	recorded     map[string]bool
	targetLabels []string
	parser       parser.Parser
}

// New returns a Checker for cat. recorded are the names that recording rules define: they may be
// selected anywhere, since their type is whatever the rule computes. Selectors may match on
// DefaultTargetLabels besides each family's own labels.
func New(cat *catalog.Catalog, recorded ...string) *Checker {
	c := &Checker{
		families:     map[string]*catalog.Metric{},
		recorded:     map[string]bool{},
		targetLabels: DefaultTargetLabels,
		parser:       parser.NewParser(parser.Options{}),
	}
	for _, m := range cat.Metrics {
		c.families[m.Name] = m
		// An old name that a renamed family still serves (renamed_from) is the family under
		// that name, so that the rules not moved yet pass while the catalogue keeps it.
		for _, r := range m.RenamedFrom {
			old := *m
			old.Name = r
			c.families[r] = &old
		}
	}
	for _, r := range recorded {
		c.recorded[r] = true
	}
	return c
}

// Use is one metric selected by an expression, resolved to its family.
type Use struct {
	// Series is the selected name, such as backend_read_seconds_bucket.
	Series string
	// Family is the declared family Series belongs to; nil for a recorded name.
	Family *catalog.Metric
	// Rate is true when the selector is the range argument of rate(), irate() or increase().
	Rate bool
	// Quantile is true when the selector is inside histogram_quantile().
	Quantile bool
	// HistogramFunc is true when the selector is inside a function that reads a native
	// histogram as floats: histogram_quantile(), histogram_count(), histogram_sum(), …
	HistogramFunc bool
}

// String describes how u reads its series: "NAME", "rate(NAME)" or
// "histogram_quantile(rate(NAME))" (rate standing for any of the counter functions).
func (u Use) String() string {
	s := u.Series
	if u.Rate {
		s = "rate(" + s + ")"
	}
	if u.Quantile {
		s = "histogram_quantile(" + s + ")"
	}
	return s
}

// Check parses expr and returns the metric names it selects, resolved, and one message per
// problem, each naming the metric and its offset in expr. An expression that does not parse
// has that one problem.
func (c *Checker) Check(expr string) ([]Use, []string) {
	root, err := c.parser.ParseExpr(expr)
	if err != nil {
		return nil, []string{fmt.Sprintf("does not parse: %v", err)}
	}
	var uses []Use
	var problems []string
	parser.Inspect(root, func(node parser.Node, path []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		at := fmt.Sprintf("at offset %d", vs.PositionRange().Start)
		name := selectedName(vs)
		if name == "" {
			problems = append(problems, fmt.Sprintf("%s: selector %s names no metric with =, so its type cannot be checked", at, vs))
			return nil
		}
		u := Use{Series: name, Rate: underCounterFunc(path), Quantile: underCall(path, "histogram_quantile"), HistogramFunc: underHistogramFunc(path)}
		msg, allowed := c.resolve(&u)
		if msg != "" {
			problems = append(problems, fmt.Sprintf("%s %s: %s", name, at, msg))
		}
		if u.Family != nil {
			for _, m := range vs.LabelMatchers {
				if m.Name != labels.MetricName && !slices.Contains(allowed, m.Name) {
					problems = append(problems, fmt.Sprintf("%s %s: matches on label %q, which %s does not have (it has %s)",
						name, at, m.Name, u.Family.Name, strings.Join(allowed, ", ")))
				}
			}
		}
		uses = append(uses, u)
		return nil
	})
	return uses, problems
}

// resolve finds u's family and says what is wrong with how u uses it, if anything; it also
// returns the labels a selector of u may match on.
func (c *Checker) resolve(u *Use) (problem string, allowed []string) {
	if c.recorded[u.Series] {
		return "", nil
	}
	if m := c.families[u.Series]; m != nil {
		u.Family = m
		allowed = c.allowed(m)
		switch m.PrometheusType() {
		case "counter":
			if !u.Rate {
				return fmt.Sprintf("counter %s must be read through rate(), irate() or increase()", m.Name), allowed
			}
		case "histogram":
			if m.Native == nil {
				return fmt.Sprintf("histogram %s has no series of that name: read %s_bucket in histogram_quantile(), or %s_sum and %s_count through rate()",
					m.Name, m.Name, m.Name, m.Name), allowed
			}
			if !u.Rate || !u.HistogramFunc {
				return fmt.Sprintf("native histogram %s must be read as histogram_quantile(q, rate(%s[...])), or histogram_count(), histogram_sum() … of its rate",
					m.Name, m.Name), allowed
			}
		default: // gauge, summary quantiles
			if u.Rate {
				return fmt.Sprintf("%s %s is not a counter: rate(), irate() and increase() would misread it", m.PrometheusType(), m.Name), allowed
			}
		}
		return "", allowed
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(u.Series, suffix)
		if !ok {
			continue
		}
		m := c.families[base]
		if m == nil {
			break
		}
		typ := m.PrometheusType()
		switch {
		case suffix == "_bucket" && typ == "histogram":
			u.Family = m
			allowed = append(c.allowed(m), "le")
			if !u.Quantile || !u.Rate {
				return fmt.Sprintf("buckets of histogram %s must be read as histogram_quantile(q, rate(%s[...]))", m.Name, u.Series), allowed
			}
			return "", allowed
		case suffix != "_bucket" && (typ == "histogram" || typ == "summary"):
			u.Family = m
			allowed = c.allowed(m)
			if !u.Rate {
				return fmt.Sprintf("%s of %s %s is a counter: read it through rate(), irate() or increase()", suffix[1:], typ, m.Name), allowed
			}
			return "", allowed
		}
		return fmt.Sprintf("%s %s has no %s series", typ, m.Name, suffix), nil
	}
	return "not declared in instruments.yaml", nil
}

// allowed is the labels a selector of m may match on.
func (c *Checker) allowed(m *catalog.Metric) []string {
	out := append(m.LabelKeys(), c.targetLabels...)
	if m.PrometheusType() == "summary" {
		out = append(out, "quantile")
	}
	sort.Strings(out)
	return out
}

// selectedName is the metric name vs selects: its name, or an equality matcher on __name__.
func selectedName(vs *parser.VectorSelector) string {
	if vs.Name != "" {
		return vs.Name
	}
	for _, m := range vs.LabelMatchers {
		if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}

// ancestors is path from the innermost ancestor out, without the nodes that only group.
func ancestors(path []parser.Node) []parser.Node {
	var out []parser.Node
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i].(type) {
		case parser.Expressions, *parser.ParenExpr, *parser.StepInvariantExpr:
			continue
		}
		out = append(out, path[i])
	}
	return out
}

// underCounterFunc reports whether the selector at the end of path is the range argument of
// rate(), irate() or increase(): Call → MatrixSelector → VectorSelector.
func underCounterFunc(path []parser.Node) bool {
	a := ancestors(path)
	if len(a) < 2 {
		return false
	}
	if _, ok := a[0].(*parser.MatrixSelector); !ok {
		return false
	}
	call, ok := a[1].(*parser.Call)
	return ok && slices.Contains(counterFuncs, call.Func.Name)
}

// underHistogramFunc reports whether any ancestor is a call of a function that reads a native
// histogram as floats: histogram_quantile() and the histogram_* functions Prometheus added with
// native histograms.
func underHistogramFunc(path []parser.Node) bool {
	for _, n := range path {
		if call, ok := n.(*parser.Call); ok && strings.HasPrefix(call.Func.Name, "histogram_") {
			return true
		}
	}
	return false
}

// underCall reports whether any ancestor is a call of fn.
func underCall(path []parser.Node, fn string) bool {
	for _, n := range path {
		if call, ok := n.(*parser.Call); ok && call.Func.Name == fn {
			return true
		}
	}
	return false
}
