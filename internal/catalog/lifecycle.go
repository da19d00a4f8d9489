package catalog

import (
	"fmt"
	"math"
	"path"
	"strings"

	"gopkg.in/yaml.v3"
)

// Stability is how firmly a family's name, type, labels and buckets are promised, in the
// levels of OTel's mdatagen and Kubernetes' metrics stability framework. It decides whether
// `instrumentgen diff` fails on a breaking change: development and alpha families may break
// (the change is reported, the diff exits 0), beta and stable ones may not.
type Stability string

// The stability levels, from the least to the most promised.
const (
	// StabilityDevelopment is a family still being designed: anything may change.
	StabilityDevelopment Stability = "development"
	// StabilityAlpha is a family in use whose shape may still change without notice.
	StabilityAlpha Stability = "alpha"
	// StabilityBeta is a family whose breaking changes go through deprecation.
	StabilityBeta Stability = "beta"
	// StabilityStable is a family that dashboards and alerts may rely on; the default.
	StabilityStable Stability = "stable"
)

// DefaultStability is the stability of an entry that declares none. It is stable so that a
// catalogue written before stability existed keeps every family's guarantee: each breaking
// change still fails `instrumentgen diff` as it did. A family is made weaker on purpose, by
// writing development or alpha, never by omission.
const DefaultStability = StabilityStable

// stabilities are the levels in increasing order of promise.
var stabilities = []string{string(StabilityDevelopment), string(StabilityAlpha), string(StabilityBeta), string(StabilityStable)}

// Level is s, or DefaultStability for the empty Stability of a Metric built by hand.
func (s Stability) Level() Stability {
	if s == "" {
		return DefaultStability
	}
	return s
}

// Rank orders the levels: 0 for development up to 3 for stable (the empty Stability is
// stable); -1 for an unknown level.
func (s Stability) Rank() int {
	for i, l := range stabilities {
		if string(s.Level()) == l {
			return i
		}
	}
	return -1
}

// Guaranteed reports whether a breaking change to a family of this stability must fail a
// diff: beta and stable, not development or alpha.
func (s Stability) Guaranteed() bool { return s.Rank() >= StabilityBeta.Rank() }

// Deprecation is a metric entry's deprecated mapping: the family is still served, with its HELP
// marked, and on its way out.
type Deprecation struct {
	// Since is the version that deprecated the family, as written (not blank).
	Since string
	// Note says why, or what to do instead; may be empty.
	Note string
	// ReplacedBy names the family of the catalogue that replaces it; may be empty.
	ReplacedBy string
	// Line is where the deprecated mapping begins.
	Line int
	// replacedByLine is where replaced_by is written, for its reference check.
	replacedByLine int
}

// Lifecycle is what a metric entry declares about its life: how firmly it is promised, whether
// it is deprecated or hidden, served by default, which old names it still answers to, and how
// many series it may have. Every field's zero value is what an entry without the key means,
// except Stability, whose zero value is read as DefaultStability (Stability.Level).
//
// The generator writes it into the generated package (each type's Lifecycle method and the
// package's Lifecycle function) for the pipeline to honour at run time; docs/catalogue.md,
// "Lifecycle", is the contract.
type Lifecycle struct {
	// Stability is the declared level; the loader sets DefaultStability when there is none.
	Stability Stability
	// Deprecated is set on a deprecated family: its HELP (the OTel description) begins
	// "(Deprecated since SINCE) ", and its generated Go type and field are marked Deprecated.
	Deprecated *Deprecation
	// Hidden families (deprecated ones only) are not served unless the operator asks for
	// hidden metrics.
	Hidden bool
	// Disabled is enabled: false: the family is not served unless the operator enables it.
	Disabled bool
	// RenamedFrom are the family's old names, which it keeps serving from the same cell, each
	// with the HELP RenamedHelp gives.
	RenamedFrom []string
	// MaxSeries is the family's cardinality budget: at most this many series; 0 when it
	// declares none (the pipeline's limit applies).
	MaxSeries int
	// renamedLines are the lines of the RenamedFrom entries, for the checks across entries.
	renamedLines []int
}

// Enabled reports whether the family is served when no operator switch says otherwise.
func (l *Lifecycle) Enabled() bool { return !l.Disabled }

// lifecycleKeys are the keys of a metric entry that make its Lifecycle; load.go's metricKeys
// include them.
var lifecycleKeys = []string{"stability", "deprecated", "hidden", "enabled", "renamed_from", "max_series"}

// deprecatedKeys are the keys of a deprecated mapping.
var deprecatedKeys = []string{"since", "note", "replaced_by"}

// maxSeriesLimit bounds max_series so that the budget fits the int of every platform the
// generated code compiles for.
const maxSeriesLimit = math.MaxInt32

// Help is the HELP the family is served with under its own name, also the description its
// OTel instrument is created with: the declared description, after "(Deprecated since SINCE) "
// when it is deprecated, as Kubernetes writes it.
func (m *Metric) Help() string {
	if m.Deprecated != nil {
		return DeprecatedHelp(m.Deprecated.Since, m.Description)
	}
	return m.Description
}

// DeprecatedHelp is the HELP of a family deprecated since the version given.
func DeprecatedHelp(since, description string) string {
	return "(Deprecated since " + since + ") " + description
}

// RenamedHelp is the HELP served under an old name of the family called newName, whose own HELP
// is help: the same text after "(Deprecated: renamed to NEWNAME) ", so that whoever reads the
// old family learns where it went. The pipeline serves exactly this (docs/catalogue.md).
func RenamedHelp(newName, help string) string {
	return "(Deprecated: renamed to " + newName + ") " + help
}

// HelpFor is the HELP the family is served with under name: its own name or one of its
// RenamedFrom.
func (m *Metric) HelpFor(name string) string {
	if name == m.Name {
		return m.Help()
	}
	return RenamedHelp(m.Name, m.Help())
}

// SeriesAs returns the names of the sample series m would be exposed as under name, as Series
// does under its own: an old name's series for a renamed family.
func (m *Metric) SeriesAs(name string) []string {
	c := *m
	c.Name = name
	return c.Series()
}

// RenamedSeries returns the series of every old name of m, in RenamedFrom order.
func (m *Metric) RenamedSeries() []string {
	var out []string
	for _, r := range m.RenamedFrom {
		out = append(out, m.SeriesAs(r)...)
	}
	return out
}

// MetricServing returns the family served under name, its own or an old one (RenamedFrom), or
// nil.
func (c *Catalog) MetricServing(name string) *Metric {
	if m := c.Metric(name); m != nil {
		return m
	}
	for _, m := range c.Metrics {
		for _, r := range m.RenamedFrom {
			if r == name {
				return m
			}
		}
	}
	return nil
}

// parseLifecycle reads the lifecycle keys of the metric entry m, whose fields are f. Checks
// that need the whole catalogue (replaced_by, collisions of old names) are checkLifecycle's.
func (p *parser) parseLifecycle(m *Metric, f map[string]*yaml.Node, about Problem) {
	m.Stability = DefaultStability
	if n, ok := f["stability"]; ok {
		if s := p.oneOf(n, about, "stability", stabilities); s != "" {
			m.Stability = Stability(s)
		}
	}
	// The pipeline cannot rename, hide, switch off or budget a family a collector serves, nor
	// change its HELP: those keys are for generated instruments. Only stability, which is a
	// promise about queries, applies to every family.
	unsupported := func(n *yaml.Node, key string) bool {
		if m.Generated() {
			return false
		}
		p.addf(n.Line, about, ProblemUnsupported, "%s has no effect on a provided_by metric: %s serves it as it makes it", key, m.ProvidedBy)
		return true
	}
	if n, ok := f["deprecated"]; ok && !unsupported(n, "deprecated") {
		m.Deprecated = p.deprecation(n, about)
	}
	if n, ok := f["hidden"]; ok {
		m.Hidden = p.boolean(n, about, "hidden")
		if m.Hidden && !unsupported(n, "hidden") && m.Deprecated == nil && f["deprecated"] == nil {
			p.addf(n.Line, about, ProblemValue, "hidden: true needs deprecated: only a deprecated family is hidden, on its way to removal; deprecate it first (deprecated: {since: VERSION})")
		}
	}
	if n, ok := f["enabled"]; ok {
		m.Disabled = !p.boolean(n, about, "enabled")
		if m.Disabled {
			unsupported(n, "enabled")
		}
	}
	if n, ok := f["renamed_from"]; ok && !unsupported(n, "renamed_from") {
		p.renamedFrom(m, n, about)
	}
	if n, ok := f["max_series"]; ok && !unsupported(n, "max_series") {
		if v, ok := p.number(n, about, "max_series"); ok {
			if v <= 0 || v != math.Trunc(v) || v > maxSeriesLimit {
				p.addf(n.Line, about, ProblemValue, "max_series must be a whole number from 1 to %d, not %s", maxSeriesLimit, n.Value)
			} else {
				m.MaxSeries = int(v)
			}
		}
	}
}

// deprecation reads a deprecated mapping.
func (p *parser) deprecation(n *yaml.Node, about Problem) *Deprecation {
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, about, ProblemSyntax, "deprecated must be a mapping with since, note and replaced_by, not a %s", kindName(n))
		return nil
	}
	f := p.fields(n, about, deprecatedKeys)
	d := &Deprecation{Line: n.Line}
	if s, ok := f["since"]; ok {
		d.Since = p.str(s, about, "deprecated.since")
		switch {
		case strings.TrimSpace(s.Value) == "":
			p.addf(s.Line, about, ProblemValue, "deprecated.since is empty: name the version that deprecated the family")
		case strings.ContainsAny(d.Since, " \t\r\n"):
			p.addf(s.Line, about, ProblemValue, "deprecated.since %q has white space: it is a version, written into the HELP as (Deprecated since VERSION)", d.Since)
		}
	} else {
		p.addf(n.Line, about, ProblemKey, "deprecated: missing required key since (the version that deprecated the family)")
	}
	if s, ok := f["note"]; ok {
		d.Note = p.str(s, about, "deprecated.note")
	}
	if s, ok := f["replaced_by"]; ok {
		d.ReplacedBy, d.replacedByLine = p.str(s, about, "deprecated.replaced_by"), s.Line
	}
	return d
}

// renamedFrom reads renamed_from: the family's old names, each one a name the exporter keeps
// verbatim and that the family does not already have.
func (p *parser) renamedFrom(m *Metric, n *yaml.Node, about Problem) {
	names := p.strList(n, about, "renamed_from")
	if n.Kind == yaml.SequenceNode && len(n.Content) == 0 {
		p.addf(n.Line, about, ProblemValue, "renamed_from is empty: leave it out if the family has no old name")
	}
	first := map[string]int{}
	for i, r := range names {
		line := n.Content[i].Line
		switch {
		case r == "":
			continue // not a string: reported
		case !metricNameRE.MatchString(r):
			p.addf(line, about, ProblemName, "renamed_from %q is not kept verbatim: the OTel SDK and the Prometheus exporter need [A-Za-z][A-Za-z0-9_]*, at most 255 characters", r)
			continue
		case r == m.Name:
			p.addf(line, about, ProblemValue, "renamed_from %q is the family's own name: list only the old names it still serves", r)
			continue
		}
		if l, dup := first[r]; dup {
			p.addf(line, about, ProblemDuplicate, "renamed_from %q repeated (first at line %d)", r, l)
			continue
		}
		first[r] = line
		m.RenamedFrom = append(m.RenamedFrom, r)
		m.renamedLines = append(m.renamedLines, line)
	}
}

// checkLifecycle runs the checks that need every metric: replaced_by names a family of the
// catalogue, and no old name (nor a series it would expose) is already a family's name or
// series, another family's old name, or a family telediag serves by itself.
func (p *parser) checkLifecycle() {
	byName := map[string]*Metric{}
	owner := map[string]string{} // series → what exposes it, for messages
	for _, m := range p.cat.Metrics {
		byName[m.Name] = m
		owner[m.Name] = fmt.Sprintf("metric %s (line %d)", m.Name, m.Line)
		for _, s := range m.Series() {
			owner[s] = fmt.Sprintf("metric %s (line %d)", m.Name, m.Line)
		}
	}
	for _, m := range p.cat.Metrics {
		about := metricProblem(m.Name)
		if d := m.Deprecated; d != nil && d.ReplacedBy != "" {
			switch r := byName[d.ReplacedBy]; {
			case r == m:
				p.addf(d.replacedByLine, about, ProblemValue, "deprecated.replaced_by names the family itself")
			case r == nil:
				p.addf(d.replacedByLine, about, ProblemReference, "deprecated.replaced_by %q names no metric of the catalogue", d.ReplacedBy)
			}
		}
		for i, r := range m.RenamedFrom {
			line := m.renamedLines[i]
			if prov := RuntimeProvider(r); prov != "" {
				p.addf(line, about, ProblemCollision, "renamed_from %q is a family telediag serves itself (%s)", r, prov)
				continue
			}
			collided := false
			for _, s := range append([]string{r}, m.SeriesAs(r)...) {
				if o, taken := owner[s]; taken {
					p.addf(line, about, ProblemCollision, "renamed_from %q would expose %s, which %s already exposes", r, s, o)
					collided = true
					break
				}
			}
			if collided {
				continue
			}
			for _, s := range append([]string{r}, m.SeriesAs(r)...) {
				owner[s] = fmt.Sprintf("the renamed_from %q of metric %s (line %d)", r, m.Name, line)
			}
		}
	}
}

// checkRenamedUndeclared reports an old name that an undeclared pattern matches: the family
// still serves it, so it is declared, and the pattern would tell live-check otherwise.
func (p *parser) checkRenamedUndeclared() {
	for _, m := range p.cat.Metrics {
		for i, r := range m.RenamedFrom {
			if u := p.cat.UndeclaredFor(r); u != nil {
				p.addf(m.renamedLines[i], metricProblem(m.Name), ProblemCollision,
					"renamed_from %q also matches the undeclared pattern %q (line %d): an old name the family serves is declared; narrow the pattern", r, u.Pattern, u.Line)
			}
		}
	}
}

// Glob is a shell pattern on whole family names (path.Match: *, ?, [a-z]), the form of the
// operator's switches: live-check's -enable and -disable, and the pipeline's, which mirror
// them.
type Glob struct{ expr string }

// CompileGlob checks expr, a path.Match pattern, and returns it as a Glob.
func CompileGlob(expr string) (Glob, error) {
	if expr == "" {
		return Glob{}, fmt.Errorf("empty glob: it would match no family name")
	}
	if _, err := path.Match(expr, ""); err != nil {
		return Glob{}, fmt.Errorf("glob %q: %w", expr, err)
	}
	return Glob{expr: expr}, nil
}

// Match reports whether name matches g as a whole. The zero Glob matches nothing.
func (g Glob) Match(name string) bool {
	if g.expr == "" {
		return false
	}
	ok, err := path.Match(g.expr, name)
	return ok && err == nil
}

// String is the glob as written.
func (g Glob) String() string { return g.expr }

// Switches are the operator's run-time choices about which families are served, which the
// pipeline will take as options and live-check takes as flags: Enable and Disable globs, and
// whether hidden families are shown.
type Switches struct {
	// Enable serves the disabled (enabled: false) families whose names match one glob.
	Enable []Glob
	// Disable stops serving the families whose names match one glob; it wins over Enable.
	Disable []Glob
	// ShowHidden serves hidden families.
	ShowHidden bool
}

// Served reports whether m is served under these switches: when enabled by default or by an
// Enable glob, matched by no Disable glob, and not hidden unless ShowHidden. The globs match the
// family's own name; its old names follow it.
func (s Switches) Served(m *Metric) bool {
	if MatchAny(s.Disable, m.Name) || (m.Disabled && !MatchAny(s.Enable, m.Name)) {
		return false
	}
	return !m.Hidden || s.ShowHidden
}

// MatchAny reports whether one of globs matches name.
func MatchAny(globs []Glob, name string) bool {
	for _, g := range globs {
		if g.Match(name) {
			return true
		}
	}
	return false
}
