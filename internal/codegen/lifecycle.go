package codegen

import (
	"strconv"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// lifecycleModel is what the templates write of a metric's Lifecycle: the generated Lifecycle
// literal, the Deprecated paragraph of its Go type and field, and its cell in the reference.
type lifecycleModel struct {
	// StabilityConst is the telemetry/instrument constant of the level, e.g. StabilityStable.
	StabilityConst string
	// Since, Note and ReplacedBy are the deprecation's, empty when there is none.
	Since, Note, ReplacedBy string
	// Enabled is the default state.
	Enabled bool
	// RenamedFrom is the Go literal of the old names: nil or []string{…}.
	RenamedFrom string
	// Deprecated is the text of the "Deprecated:" paragraph, which gopls and staticcheck read
	// to flag the calls that remain; empty when the metric is not deprecated.
	Deprecated string
	// Doc is the metric's Lifecycle cell in the markdown reference.
	Doc string
}

// lifecycleOf decides what the templates write of cm's lifecycle. c resolves replaced_by to
// the replacement's Go type when it is generated, so that the paragraph links to it.
func lifecycleOf(c *catalog.Catalog, cm *catalog.Metric) lifecycleModel {
	level := cm.Stability.Level()
	lm := lifecycleModel{
		StabilityConst: "Stability" + strings.ToUpper(string(level[:1])) + string(level[1:]),
		Enabled:        cm.Enabled(),
		RenamedFrom:    "nil",
	}
	if len(cm.RenamedFrom) > 0 {
		quoted := make([]string, len(cm.RenamedFrom))
		for i, r := range cm.RenamedFrom {
			quoted[i] = strconv.Quote(r)
		}
		lm.RenamedFrom = "[]string{" + strings.Join(quoted, ", ") + "}"
	}
	doc := []string{string(level)}
	if d := cm.Deprecated; d != nil {
		lm.Since, lm.Note, lm.ReplacedBy = d.Since, d.Note, d.ReplacedBy
		text := []string{"Deprecated: " + cm.Name + " is deprecated since " + d.Since + "."}
		cell := "deprecated since " + d.Since
		if d.Note != "" {
			text = append(text, sentence(d.Note))
		}
		if r := c.Metric(d.ReplacedBy); r != nil {
			use := "Use " + r.Name + " instead."
			if r.Generated() {
				use = "Use [" + exportedName(r.Name) + "] (" + r.Name + ") instead."
			}
			text = append(text, use)
			cell += ", replaced by `" + r.Name + "`"
		}
		if cm.Hidden {
			text = append(text, "It is hidden: served only when the operator shows hidden metrics.")
		}
		lm.Deprecated = strings.Join(text, " ")
		if d.Note != "" {
			cell += ": " + d.Note
		}
		doc = append(doc, cell)
	}
	if cm.Hidden {
		doc = append(doc, "hidden: served only when hidden metrics are shown")
	}
	if cm.Disabled {
		doc = append(doc, "disabled by default: served only when enabled")
	}
	if len(cm.RenamedFrom) > 0 {
		doc = append(doc, "also served under its old "+plural(len(cm.RenamedFrom), "name", "names")+" `"+strings.Join(cm.RenamedFrom, "`, `")+"`")
	}
	if cm.MaxSeries > 0 {
		doc = append(doc, "at most "+strconv.Itoa(cm.MaxSeries)+" "+plural(cm.MaxSeries, "series", "series"))
	}
	lm.Doc = strings.Join(doc, "; ")
	return lm
}

// sentence ends s with a full stop unless it ends with punctuation already.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?") {
		return s
	}
	return s + "."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// addLifecycle decides the lifecycle of every metric of m, generated and documented.
func (m *model) addLifecycle(c *catalog.Catalog) {
	for i := range m.Metrics {
		m.Metrics[i].Life = lifecycleOf(c, m.Metrics[i].Metric)
	}
	for i := range m.Sections {
		for j := range m.Sections[i].Metrics {
			m.Sections[i].Metrics[j].Life = lifecycleOf(c, m.Sections[i].Metrics[j].Metric)
		}
	}
}
