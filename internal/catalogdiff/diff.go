// Package catalogdiff compares two versions of a metric catalogue (instruments.yaml) field by
// field and classifies every change the way a PromQL query sees it.
//
// A catalogue's exposed names are a contract: dashboards and alert rules select families by
// name, match and group on label keys, read histograms through their le buckets and select
// enum values. A change that alters any of these is Breaking; everything else (a family
// added, a description reworded, a value type or unit that changes only what OTLP carries) is
// Compatible, and each Change says in one sentence what it means. OTel Weaver's
// `registry diff`, the nearest tool, reports only families added and removed.
//
// Families are matched by name. A family whose name is gone but that a new family lists under
// renamed_from is renamed compatibly: the new family keeps serving the old name. A family that
// disappears while exactly one new family appears with the same type, label keys, buckets, unit
// and description is reported as renamed, breaking; any other disappearance is a removal,
// breaking too. Dropping an old name from renamed_from breaks the queries of that name.
//
// Each Change carries the family's Stability. A breaking change fails the diff (Fails) only
// on a beta or stable family: a development or alpha one is reported and allowed
// (lifecycle.go, with the changes of the lifecycle keys themselves).
package catalogdiff

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/otlptranslator"

	"github.com/telediag/telediag/internal/catalog"
)

// Severity classifies a change by what it does to existing queries.
type Severity string

// The two severities. A catalogue edit with a Breaking change must not merge silently.
const (
	// Breaking changes make existing queries select nothing or misread what they select.
	Breaking Severity = "breaking"
	// Compatible changes leave every existing query reading what it read before.
	Compatible Severity = "compatible"
)

// Change is one field-level difference between two catalogues.
type Change struct {
	Severity Severity `json:"severity"`
	// Metric is the family's name in the old catalogue (in the new one for an added family);
	// empty for a change to a label declaration itself, such as its description.
	Metric string `json:"metric,omitempty"`
	// Label is the label ID a label-level change is about.
	Label string `json:"label,omitempty"`
	// Undeclared is the pattern of an entry of the catalogue's undeclared list that a change
	// is about.
	Undeclared string `json:"undeclared,omitempty"`
	// Field is what changed: metric, name, kind, provided_by, value_type, observable, unit,
	// description, section, buckets, native, objectives, max_age, labels, labels.ID,
	// labels.ID.key, labels.ID.enum, or undeclared.
	Field string `json:"field"`
	// Old and New are the field's values before and after, as written in the catalogue.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Message says what changed and what it means to a query, in one sentence.
	Message string `json:"message"`
	// File and Line locate the change: the entry in the new catalogue, or in the old one for a
	// family that is gone.
	File string `json:"file"`
	Line int    `json:"line"`
	// Series are the exposed series names, as the old catalogue exposes them, whose queries a
	// breaking change affects; empty for compatible changes.
	Series []string `json:"series,omitempty"`
	// Stability is the family's level in the old catalogue (the promise its queries were
	// written against; the new one's for an added family); empty for a change that is about no
	// family. A breaking change fails the diff only on a beta or stable family (Fails).
	Stability catalog.Stability `json:"stability,omitempty"`
}

// String formats c as one line: "FILE:LINE: SEVERITY: SUBJECT: FIELD: message", where
// SUBJECT is metric NAME, label ID or undeclared "PATTERN".
func (c Change) String() string {
	subject := "metric " + c.Metric
	switch {
	case c.Metric != "":
	case c.Undeclared != "":
		subject = "undeclared " + strconv.Quote(c.Undeclared)
	default:
		subject = "label " + c.Label
	}
	return fmt.Sprintf("%s:%d: %s: %s: %s: %s", c.File, c.Line, c.severityText(), subject, c.Field, c.Message)
}

// CountBreaking returns how many of changes are breaking.
func CountBreaking(changes []Change) int {
	n := 0
	for _, c := range changes {
		if c.Severity == Breaking {
			n++
		}
	}
	return n
}

// Compare returns every change from oldCat to newCat: first those of the old catalogue's
// families in its file order (removed, renamed or edited), then the families added, in the new
// catalogue's order, then changes to label declarations that belong to no single family.
func Compare(oldCat, newCat *catalog.Catalog) []Change {
	d := &differ{old: oldCat, new: newCat}
	oldByName := map[string]*catalog.Metric{}
	newByName := map[string]*catalog.Metric{}
	for _, m := range oldCat.Metrics {
		oldByName[m.Name] = m
	}
	for _, m := range newCat.Metrics {
		newByName[m.Name] = m
	}
	// A family that lists the old name under renamed_from still serves it: a declared rename,
	// taken before the guesses by shape.
	declared := declaredRenames(oldCat, newCat)
	var removed, added []*catalog.Metric
	for _, m := range oldCat.Metrics {
		if newByName[m.Name] == nil && declared[m] == nil {
			removed = append(removed, m)
		}
	}
	for _, m := range newCat.Metrics {
		if oldByName[m.Name] == nil && !isRenameTarget(declared, m) {
			added = append(added, m)
		}
	}
	renamedTo := renames(removed, added)
	renamedFrom := map[*catalog.Metric]bool{}
	for _, o := range oldCat.Metrics {
		if n := newByName[o.Name]; n != nil {
			d.metric(o, n)
			continue
		}
		if n := declared[o]; n != nil {
			renamedFrom[n] = true
			d.add(Compatible, o, n, "name", o.Name, n.Name,
				"renamed to %s, which keeps serving %s from the same series (renamed_from): queries of %s read what they read before; move them to %s before %s leaves renamed_from",
				n.Name, o.Name, o.Name, n.Name, o.Name)
			d.metric(o, n)
			continue
		}
		if n := renamedTo[o]; n != nil {
			renamedFrom[n] = true
			d.add(Breaking, o, n, "name", o.Name, n.Name,
				"renamed to %s: queries of %s find nothing (%s has the same type, labels, unit and description, so it is taken for a rename; list %s under its renamed_from to keep serving the old name)",
				n.Name, o.Name, n.Name, o.Name)
			d.metric(o, n)
			continue
		}
		gone := o.Series()
		if o.Native != nil {
			gone = append(gone, o.Name) // the native series
		}
		d.add(Breaking, o, nil, "metric", o.Name, "", "removed: every query of %s finds nothing", strings.Join(gone, ", "))
	}
	for _, n := range added {
		if !renamedFrom[n] {
			d.add(Compatible, n, n, "metric", "", n.Name, "added (%s): new series that no existing query reads", n.PrometheusType())
		}
	}
	d.labelDeclarations()
	d.undeclared()
	return d.changes
}

// undeclared reports the undeclared patterns added, removed or reworded. None of it changes
// what /metrics serves or what a query reads: the list only tells live-check which served
// families the catalogue knowingly leaves out, so every change to it is compatible. A family
// removed from metrics is breaking whether or not a pattern now covers it.
func (d *differ) undeclared() {
	oldByPattern := map[string]*catalog.Undeclared{}
	newByPattern := map[string]*catalog.Undeclared{}
	for _, u := range d.old.Undeclared {
		oldByPattern[u.Pattern.String()] = u
	}
	for _, u := range d.new.Undeclared {
		newByPattern[u.Pattern.String()] = u
	}
	add := func(file string, u *catalog.Undeclared, field, oldVal, newVal, msg string) {
		d.changes = append(d.changes, Change{
			Severity: Compatible, Undeclared: u.Pattern.String(), Field: field, Old: oldVal, New: newVal,
			Message: msg, File: file, Line: u.Line,
		})
	}
	for _, o := range d.old.Undeclared {
		if newByPattern[o.Pattern.String()] == nil {
			add(d.old.File, o, "undeclared", o.Pattern.String(), "",
				"pattern removed: live-check reports the served families it matched as undeclared again; /metrics and queries are unaffected")
		}
	}
	for _, n := range d.new.Undeclared {
		o := oldByPattern[n.Pattern.String()]
		switch {
		case o == nil:
			add(d.new.File, n, "undeclared", "", n.Pattern.String(),
				"pattern added: live-check no longer reports the served families it matches as undeclared; /metrics and queries are unaffected")
		case o.Description != n.Description:
			add(d.new.File, n, "description", o.Description, n.Description, "reworded: documentation only; live-check, /metrics and queries are unaffected")
		}
	}
}

// differ collects the changes of one comparison.
type differ struct {
	old, new *catalog.Catalog
	changes  []Change
}

// add records a change of family o (old) whose new version is n; n is nil for a removed family,
// which is then located in the old file.
func (d *differ) add(sev Severity, o, n *catalog.Metric, field, oldVal, newVal, format string, args ...any) {
	c := Change{Severity: sev, Metric: o.Name, Field: field, Old: oldVal, New: newVal, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		c.File, c.Line = d.new.File, n.Line
	} else {
		c.File, c.Line = d.old.File, o.Line
	}
	if sev == Breaking {
		c.Series = servedSeries(o)
	}
	c.Stability = o.Stability.Level()
	d.changes = append(d.changes, c)
}

// metric compares the two versions of one family, field by field.
func (d *differ) metric(o, n *catalog.Metric) {
	ot, nt := o.PrometheusType(), n.PrometheusType()
	switch {
	case d.summaryHistogram(o, n):
	case ot != nt:
		d.add(Breaking, o, n, "kind", string(o.Kind), string(n.Kind), "exposed type changed from %s to %s: %s", ot, nt, typeConsequence(o.Name, ot, nt))
	case o.Kind != n.Kind:
		d.add(Compatible, o, n, "kind", string(o.Kind), string(n.Kind),
			"kind changed from %s to %s: /metrics still exposes a %s, so queries are unaffected; over OTLP it is a %s instead of a %s%s",
			o.Kind, n.Kind, nt, otlpType(n.Kind), otlpType(o.Kind), suffixNote(o, n))
	}
	if o.ProvidedBy != n.ProvidedBy {
		d.add(Compatible, o, n, "provided_by", o.ProvidedBy, n.ProvidedBy, "%s; the family keeps its exposed name", providerChange(o.ProvidedBy, n.ProvidedBy))
	}
	if o.ValueType != "" && n.ValueType != "" && o.ValueType != n.ValueType {
		otlp := fmt.Sprintf("over OTLP its data points carry as_%s instead of as_%s, which a backend that keeps the two apart may store as a new stream", n.ValueType, o.ValueType)
		if o.Kind == catalog.KindHistogram && n.Kind == catalog.KindHistogram {
			otlp = "OTLP histogram points carry double sums either way"
		}
		d.add(Compatible, o, n, "value_type", string(o.ValueType), string(n.ValueType),
			"value type changed from %s to %s: /metrics exposes the same series; %s; the generated methods take %s instead of %s",
			o.ValueType, n.ValueType, otlp, goType(n.ValueType), goType(o.ValueType))
	}
	if o.Generated() && n.Generated() && o.Observable != n.Observable {
		what := "now observable, read by a callback at each collection: the generated type offers Register instead of Add or Record"
		if !n.Observable {
			what = "no longer observable: the generated type offers Add or Record instead of Register"
		}
		d.add(Compatible, o, n, "observable", strconv.FormatBool(o.Observable), strconv.FormatBool(n.Observable),
			"%s; the exposed series and their OTLP type are the same", what)
	}
	switch {
	case o.Unit == n.Unit:
	case !o.Generated() && !n.Generated():
		d.add(Compatible, o, n, "unit", o.Unit, n.Unit,
			"unit changed from %s to %s: documentation only, since %s serves the family with its own name and unit; queries are unaffected",
			o.Unit, n.Unit, n.ProvidedBy)
	default:
		d.add(Compatible, o, n, "unit", o.Unit, n.Unit,
			"unit changed from %s to %s: the name on /metrics is verbatim and does not change, and OTLP carries the new unit%s; if the recorded values change scale with it, thresholds that compare them need the same change",
			o.Unit, n.Unit, suffixNote(o, n))
	}
	d.labels(o, n)
	if o.Kind == catalog.KindHistogram && n.Kind == catalog.KindHistogram {
		d.histogram(o, n)
	}
	d.objectives(o, n)
	if o.Description != n.Description {
		d.add(Compatible, o, n, "description", o.Description, n.Description, "reworded: the HELP text changes; queries are unaffected")
	}
	if o.Section != n.Section {
		d.add(Compatible, o, n, "section", o.Section, n.Section,
			"moved from section %q to %q: the reference and the generated dashboard show it in another row; queries are unaffected", o.Section, n.Section)
	}
	d.lifecycle(o, n)
}

// labels compares a family's labels. A label is matched by ID first, then, for an ID that is
// gone, by exposed key: a label whose ID changed but whose key did not is the same to a query.
func (d *differ) labels(o, n *catalog.Metric) {
	newByID := map[string]*catalog.Label{}
	newByKey := map[string]*catalog.Label{}
	for _, l := range n.Labels {
		newByID[l.ID] = l
		newByKey[l.Key] = l
	}
	matched := map[*catalog.Label]bool{}
	var pairs [][2]*catalog.Label
	for _, ol := range o.Labels {
		nl := newByID[ol.ID]
		if nl == nil {
			if byKey := newByKey[ol.Key]; byKey != nil && !slices.ContainsFunc(o.Labels, func(l *catalog.Label) bool { return l.ID == byKey.ID }) {
				nl = byKey
				d.add(Compatible, o, n, "labels."+ol.ID, ol.ID, nl.ID,
					"label renamed to %s in the catalogue (its Go identifiers change); the exposed key %s is the same, so queries are unaffected", nl.ID, nl.Key)
			}
		}
		if nl == nil {
			d.add(Breaking, o, n, "labels."+ol.ID, ol.Key, "",
				"label %s removed: selectors that match on %s find nothing, and by (%s) groupings and legends lose it", ol.Key, ol.Key, ol.Key)
			continue
		}
		matched[nl] = true
		pairs = append(pairs, [2]*catalog.Label{ol, nl})
		if ol.Key != nl.Key {
			d.add(Breaking, o, n, "labels."+ol.ID+".key", ol.Key, nl.Key,
				"exposed key changed from %s to %s: selectors and by () clauses that name %s find nothing", ol.Key, nl.Key, ol.Key)
		}
		d.enum(o, n, ol, nl)
	}
	for _, nl := range n.Labels {
		if !matched[nl] {
			d.add(Compatible, o, n, "labels."+nl.ID, "", nl.Key,
				"label %s added: new series appear, one per value of %s; aggregations that name their labels (sum by (...)) are unaffected", nl.Key, nl.Key)
		}
	}
	// Same labels, other order: no query sees it, but the generated methods take the labels
	// positionally, and two string labels swapped still compile.
	if len(pairs) == len(o.Labels) && len(pairs) == len(n.Labels) {
		oldOrder, newOrder := o.LabelKeys(), n.LabelKeys()
		var mapped []string
		for _, p := range pairs {
			mapped = append(mapped, p[1].Key)
		}
		if !slices.Equal(mapped, newOrder) {
			d.add(Compatible, o, n, "labels", strings.Join(oldOrder, ", "), strings.Join(newOrder, ", "),
				"labels reordered: queries are unaffected, but the generated methods take them in the new order, and call sites that pass two string labels still compile with them swapped")
		}
	}
}

// enum compares the declared values of one label of a family.
func (d *differ) enum(o, n *catalog.Metric, ol, nl *catalog.Label) {
	field := "labels." + ol.ID + ".enum"
	switch {
	case len(ol.Enum) == 0 && len(nl.Enum) == 0:
		return
	case len(ol.Enum) == 0:
		d.add(Breaking, o, n, field, "", strings.Join(nl.Enum, ", "),
			"label %s is now restricted to [%s]: values outside it, which the open label allowed, are no longer recorded, and selectors on them find no new samples",
			nl.Key, strings.Join(nl.Enum, ", "))
		return
	case len(nl.Enum) == 0:
		d.add(Compatible, o, n, field, strings.Join(ol.Enum, ", "), "",
			"label %s is no longer an enum: any value may appear; selectors on its old values are unaffected", nl.Key)
		return
	}
	for _, v := range ol.Enum {
		if !slices.Contains(nl.Enum, v) {
			d.add(Breaking, o, n, field, v, "", "enum value %q removed: selectors on %s=%q find no new samples", v, nl.Key, v)
		}
	}
	for _, v := range nl.Enum {
		if !slices.Contains(ol.Enum, v) {
			d.add(Compatible, o, n, field, "", v, "enum value %q added: series with %s=%q appear; selectors on other values are unaffected", v, nl.Key, v)
		}
	}
}

// buckets compares the boundaries of a histogram.
func (d *differ) buckets(o, n *catalog.Metric) {
	if slices.Equal(o.Buckets, n.Buckets) {
		if o.BucketsSpec != n.BucketsSpec {
			d.add(Compatible, o, n, "buckets", o.BucketsSpec, n.BucketsSpec,
				"declared as %s instead of %s, with the same boundaries: queries are unaffected", n.BucketsSpec, o.BucketsSpec)
		}
		return
	}
	var gone, came []float64
	for _, b := range o.Buckets {
		if !slices.Contains(n.Buckets, b) {
			gone = append(gone, b)
		}
	}
	for _, b := range n.Buckets {
		if !slices.Contains(o.Buckets, b) {
			came = append(came, b)
		}
	}
	var what []string
	if len(gone) > 0 {
		what = append(what, "le "+abbreviate(gone)+" removed")
	}
	if len(came) > 0 {
		what = append(what, "le "+abbreviate(came)+" added")
	}
	d.add(Breaking, o, n, "buckets", formatBounds(o.Buckets), formatBounds(n.Buckets),
		"boundaries changed (%s): selectors on le find other buckets or none, and histogram_quantile() over a range that spans the change mixes two layouts",
		strings.Join(what, ", "))
	// Only the buckets change: _sum and _count read as before, under every name served.
	d.changes[len(d.changes)-1].Series = bucketSeries(o)
}

// labelDeclarations reports a reworded label description once, at the label, rather than on
// every family that uses it.
func (d *differ) labelDeclarations() {
	oldLabels := map[string]*catalog.Label{}
	for _, l := range d.old.Labels {
		oldLabels[l.ID] = l
	}
	for _, nl := range d.new.Labels {
		if ol := oldLabels[nl.ID]; ol != nil && ol.Description != nl.Description {
			d.changes = append(d.changes, Change{
				Severity: Compatible, Label: nl.ID, Field: "description", Old: ol.Description, New: nl.Description,
				Message: "reworded: documentation only; queries are unaffected", File: d.new.File, Line: nl.Line,
			})
		}
	}
}

// renames pairs removed and added families that differ only in name (and perhaps section, value
// type or observability): same exposed type, label keys, buckets, unit and description. A
// shape shared by more than one removed or added family is ambiguous and pairs nothing.
func renames(removed, added []*catalog.Metric) map[*catalog.Metric]*catalog.Metric {
	shape := func(m *catalog.Metric) string {
		keys := m.LabelKeys()
		sort.Strings(keys)
		return strings.Join([]string{m.PrometheusType(), strings.Join(keys, ","), formatBounds(m.Buckets), m.Unit, m.Description}, "\x00")
	}
	oldByShape := map[string][]*catalog.Metric{}
	newByShape := map[string][]*catalog.Metric{}
	for _, m := range removed {
		oldByShape[shape(m)] = append(oldByShape[shape(m)], m)
	}
	for _, m := range added {
		newByShape[shape(m)] = append(newByShape[shape(m)], m)
	}
	out := map[*catalog.Metric]*catalog.Metric{}
	for s, olds := range oldByShape {
		if news := newByShape[s]; len(olds) == 1 && len(news) == 1 {
			out[olds[0]] = news[0]
		}
	}
	return out
}

// typeConsequence says what a change of exposed type does to the queries of family name.
func typeConsequence(name, from, to string) string {
	switch {
	case from == "histogram":
		return fmt.Sprintf("%s_bucket, %s_sum and %s_count disappear, so histogram_quantile() and rate() over them find nothing", name, name, name)
	case to == "histogram":
		return fmt.Sprintf("%s itself is no longer a series (only %s_bucket, %s_sum and %s_count are), so every query of it finds nothing", name, name, name, name)
	case from == "summary":
		return fmt.Sprintf("its quantile series, %s_sum and %s_count disappear", name, name)
	case to == "summary":
		return fmt.Sprintf("%s now carries a quantile label and reads as quantiles, so queries that read it as a %s misread it", name, from)
	case from == "counter":
		return "rate(), irate() and increase() over it now misread a value that can go down"
	default:
		return "queries that read its value as a level now see a running total that only rate() makes sense of"
	}
}

// otlpType names the OTLP data type an instrument of kind k is pushed as.
func otlpType(k catalog.Kind) string {
	switch k {
	case catalog.KindCounter:
		return "monotonic Sum"
	case catalog.KindUpDownCounter:
		return "non-monotonic Sum"
	case catalog.KindGauge:
		return "Gauge"
	case catalog.KindHistogram:
		return "Histogram"
	default:
		return "Summary"
	}
}

// translatorType is otlpType in otlptranslator's terms.
func translatorType(k catalog.Kind) otlptranslator.MetricType {
	switch k {
	case catalog.KindCounter:
		return otlptranslator.MetricTypeMonotonicCounter
	case catalog.KindUpDownCounter:
		return otlptranslator.MetricTypeNonMonotonicCounter
	case catalog.KindGauge:
		return otlptranslator.MetricTypeGauge
	case catalog.KindHistogram:
		return otlptranslator.MetricTypeHistogram
	default:
		return otlptranslator.MetricTypeSummary
	}
}

// suffixNote says whether a family pushed over OTLP gets another name downstream of a Collector
// whose Prometheus exporter adds type and unit suffixes, as its default translation strategy
// (UnderscoreEscapingWithSuffixes) does. /metrics and a Collector configured like telediag's
// README (UnderscoreEscapingWithoutSuffixes) keep the name verbatim.
//
// Only generated instruments carry the catalogue's name and unit over OTLP: a provided family
// keeps whatever its provider gives it.
func suffixNote(o, n *catalog.Metric) string {
	if !o.Generated() || !n.Generated() {
		return ""
	}
	namer := otlptranslator.NewMetricNamer("", otlptranslator.UnderscoreEscapingWithSuffixes)
	before, err1 := namer.Build(otlptranslator.Metric{Name: o.Name, Unit: o.Unit, Type: translatorType(o.Kind)})
	after, err2 := namer.Build(otlptranslator.Metric{Name: n.Name, Unit: n.Unit, Type: translatorType(n.Kind)})
	if err1 != nil || err2 != nil || before == after {
		return ""
	}
	return fmt.Sprintf("; a Collector that exports it to Prometheus with suffixes (its default translation strategy) renames it from %s to %s", before, after)
}

// providerChange describes a change of provided_by.
func providerChange(from, to string) string {
	switch {
	case from == "":
		return "now served by " + to + " instead of a generated instrument"
	case to == "":
		return "now a generated instrument instead of served by " + from
	default:
		return "now served by " + to + " instead of " + from
	}
}

func goType(v catalog.ValueType) string {
	if v == catalog.ValueInt {
		return "int64"
	}
	return "float64"
}

func formatBounds(bs []float64) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = strconv.FormatFloat(b, 'g', -1, 64)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// abbreviate formats up to four boundaries and counts the rest.
func abbreviate(bs []float64) string {
	const shown = 4
	if len(bs) <= shown {
		return strings.Trim(formatBounds(bs), "[]")
	}
	return fmt.Sprintf("%s and %d more", strings.Trim(formatBounds(bs[:shown]), "[]"), len(bs)-shown)
}
