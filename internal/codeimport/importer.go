package codeimport

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/scrape"
)

// Options change an import.
type Options struct {
	// Source names the scrape, such as its URL; "" without one.
	Source string
	// Scrape are the options the families only the scrape has are imported with, as
	// promimport imports a scrape alone.
	Scrape promimport.Options
}

// Result is an import.
type Result struct {
	// YAML is the catalogue, accepted by `instrumentgen -check` as it is.
	YAML []byte
	// Metrics and Labels count what it declares; FromCode and FromScrape split Metrics into the
	// families the code defines and those only the scrape has.
	Metrics, Labels      int
	FromCode, FromScrape int
	// Notes are what to tell the person importing, a line each: what the code computes at run
	// time and what the import did instead, at FILE:LINE; the kinds the code's use decided
	// where it matters; the families the code defines that the scrape lacks, and those only the
	// scrape has; and every family left out, with the reason.
	Notes []string
}

// entry is one family of the catalogue being written: from the code (code is set), or from the
// scrape alone (node is promimport's rendering of it, written as it is).
type entry struct {
	name string
	keys []string // the exposed label keys, in the order the family declares them

	code        *Family
	kind        catalog.Kind
	observable  bool
	valueType   catalog.ValueType
	unit        string
	unitFound   bool
	help        string
	buckets     Buckets
	bucketsNote string          // the buckets' line comment
	native      *catalog.Native // a histogram's native buckets, nil for none
	summary     Summary
	comments    []string // the entry's head comment
	forceList   bool     // write buckets as a list: the generator form did not expand alike

	node *yaml.Node
}

// importer holds one import's state.
type importer struct {
	opts      Options
	scrape    map[string]*dto.MetricFamily // nil without a scrape
	notes     []Note
	lines     []string          // promimport's report on the scrape-only families, and the summaries
	leftOut   []string          // the scrape-only families the checker refused, with why
	scrapeID  map[string]string // promimport's label IDs, by key
	codeNames map[string]bool   // the names of the code's families
	units     promimport.Units  // built once: every family reads its unit through it
	// collected are the families of client_golang's collectors written under undeclared.
	collected []Collected
}

// Import writes the catalogue of code's families, merged with a scrape's families when fams is
// not nil (a decoded exposition, as internal/scrape returns it). The code decides names, kinds,
// label order and buckets; the scrape gives what the code computes at run time (help, label
// names, buckets, a summary's quantiles) and the families only it has, which are imported as
// promimport imports a scrape. The result is checked as `instrumentgen -check` checks a file:
// a family the catalogue cannot hold is left out and named in Result.Notes, which also holds
// code's own notes. Import fails only when nothing at all can be written, and then returns the
// notes that say why with the error.
func Import(code *Code, fams []*dto.MetricFamily, opts Options) (*Result, error) {
	if code == nil {
		return nil, errors.New("codeimport: no code to import")
	}
	im := &importer{opts: opts, units: promimport.NewUnits()}
	if fams != nil {
		im.scrape = map[string]*dto.MetricFamily{}
		for _, mf := range fams {
			if mf != nil {
				im.scrape[mf.GetName()] = mf
			}
		}
	}
	im.codeNames = map[string]bool{}
	for _, f := range code.Families {
		im.codeNames[f.Name] = true
	}
	var entries []*entry
	matched := map[string]bool{}
	for _, f := range code.Families {
		mf := im.match(f)
		if mf != nil {
			matched[mf.GetName()] = true
		}
		if reason := opts.Scrape.Filter.LeftOut(f.Name); reason != "" {
			im.leave(f, reason)
			continue
		}
		if e := im.codeEntry(f, mf); e != nil {
			entries = append(entries, e)
		}
	}
	for _, c := range code.Collected {
		if code.Family(c.Name) != nil {
			continue // the code defines a family of that name itself, which it records
		}
		if reason := opts.Scrape.Filter.LeftOut(c.Name); reason != "" {
			im.notes = append(im.notes, Note{Pos: c.Pos, Family: c.Name, Msg: "left out: " + reason})
			continue
		}
		matched[c.Name] = true
		im.collected = append(im.collected, c)
		im.notes = append(im.notes, Note{Pos: c.Pos, Family: c.Name, Msg: fmt.Sprintf(
			"served by %s, a collector of client_golang's: listed under undeclared, not generated; keep it on /metrics with telemetry.WithCollectors(%s())",
			c.Constructor, c.Constructor)})
	}
	fromScrape, err := im.scrapeEntries(fams, matched)
	if err != nil {
		return nil, err
	}
	entries = append(entries, fromScrape...)
	return im.write(code, entries)
}

// match is the scrape's family of f: its name, or a counter's name with _total, which an
// OpenMetrics exposition serves a counter named without it under.
func (im *importer) match(f *Family) *dto.MetricFamily {
	if im.scrape == nil {
		return nil
	}
	if mf := im.scrape[f.Name]; mf != nil {
		return mf
	}
	if f.Kind == catalog.KindCounter && !strings.HasSuffix(f.Name, "_total") {
		if mf := im.scrape[f.Name+"_total"]; mf != nil {
			im.notef(f, "the scrape serves it as "+mf.GetName()+" (OpenMetrics adds _total to a counter's samples): the code's name is written, which the OTel exporter serves it under; queries of "+mf.GetName()+" need it renamed")
			return mf
		}
	}
	return nil
}

// prefixed are the scrape's families that no family of the code is named and whose names end
// with f's (a counter's with _total after it): what f is served as when a registerer wrapped
// with prometheus.WrapRegistererWithPrefix registers it in a package the import did not load,
// where the code's options do not show the prefix.
func (im *importer) prefixed(f *Family) []string {
	endings := []string{f.Name}
	if f.Kind == catalog.KindCounter && !strings.HasSuffix(f.Name, "_total") {
		endings = append(endings, f.Name+"_total")
	}
	var out []string
	for served := range im.scrape {
		if im.codeNames[served] || im.codeNames[strings.TrimSuffix(served, "_total")] {
			continue
		}
		if slices.ContainsFunc(endings, func(end string) bool { return len(served) > len(end) && strings.HasSuffix(served, end) }) {
			out = append(out, served)
		}
	}
	slices.Sort(out)
	return out
}

func (im *importer) notef(f *Family, msg string) {
	im.notes = append(im.notes, Note{Pos: f.Pos, Family: f.Name, Msg: msg})
}

// computedNote names an option the code computes at f's definition, and what the import did.
func (im *importer) computedNote(f *Family, opt, did string) {
	c, ok := f.state.computed[opt]
	if !ok {
		return
	}
	im.notes = append(im.notes, Note{Pos: c.pos, Family: f.Name, Msg: fmt.Sprintf("%s computed at run time (%s): %s", opt, c.expr, did)})
}

// leave records a code family left out, with the reason.
func (im *importer) leave(f *Family, reason string) {
	im.notes = append(im.notes, Note{Pos: f.Pos, Family: f.Name, Msg: "left out: " + reason})
}

// codeEntry is the entry of a code family, with what the scrape adds; nil when it is left out
// (noted).
func (im *importer) codeEntry(f *Family, mf *dto.MetricFamily) *entry {
	if f.state == nil {
		return nil
	}
	st := f.state
	switch {
	case f.Name == catalog.TargetInfo:
		im.leave(f, "the OTel Resource's name, not a metric: telemetry serves it from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES")
		return nil
	case catalog.RuntimeProvider(f.Name) != "":
		im.leave(f, "a family telemetry serves itself (provided_by: "+catalog.RuntimeProvider(f.Name)+")")
		return nil
	}
	e := &entry{name: f.Name, code: f, kind: f.Kind, observable: f.Observable, valueType: f.ValueType}
	e.comments = append(e.comments, fmt.Sprintf("%s: %s", posString(f.Pos), f.Constructor))
	if st.kindGuessed && mf != nil {
		if k, obs, ok := scrapeKind(mf); ok {
			e.kind, e.observable = k, obs
			im.notef(f, fmt.Sprintf("kind %s from the scrape, which the code does not show", k))
		}
	}
	if im.scrape != nil && mf == nil {
		if served := im.prefixed(f); len(served) > 0 {
			list := strings.Join(served, ", ")
			e.comments = append(e.comments, "Not in the scrape, which serves "+list+": its name behind a prefix?")
			im.notef(f, fmt.Sprintf("not in the scrape, which serves %s, ending with its name: if a registerer wrapped with prometheus.WrapRegistererWithPrefix in a package the import did not load registers it, that is its exposed name, and the catalogue's %s would serve it under another name after a migration (queries of %s would find nothing). Write the full name in its options and register it on the registerer the wrapper wraps, then import again; %s is imported from the scrape alone meanwhile",
				list, f.Name, list, list))
		} else {
			e.comments = append(e.comments, "Not in the scrape: nothing has served it yet.")
			im.notef(f, "not in the scrape: written from the code (nothing has served it yet: a family with labels has no series before its first label set)")
		}
	}

	// Help.
	switch {
	case f.HelpKnown:
		e.help = f.Help
	case mf != nil && strings.TrimSpace(mf.GetHelp()) != "":
		e.help = mf.GetHelp()
		im.computedNote(f, optHelp, "the scrape's HELP is written")
	default:
		im.computedNote(f, optHelp, "a TODO description is written")
	}
	e.help = promimport.CleanHelp(e.help)
	if strings.TrimSpace(e.help) == "" {
		e.help = promimport.TODOPrefix + "describe " + f.Name + "; the code gives it no help."
	}

	// Labels: the code's order; the scrape's names, sorted, where the code computes them.
	scrapeKeys := labelKeys(mf)
	constNames := make([]string, 0, len(f.ConstLabels))
	for _, c := range f.ConstLabels {
		constNames = append(constNames, c.Name)
	}
	switch {
	case f.LabelsKnown:
		e.keys = slices.Clone(f.Labels)
	case mf != nil:
		for _, k := range scrapeKeys {
			if !slices.Contains(constNames, k) {
				e.keys = append(e.keys, k)
			}
		}
		im.computedNote(f, optLabels, fmt.Sprintf("the scrape's label names are written, sorted (%s): their order in the code is unknown, so check that the generated methods take them in the order the code passes the values", strings.Join(e.keys, ", ")))
	default:
		im.computedNote(f, optLabels, "left out, as the label names are unknown: give the service's URL too, or declare it by hand")
		return nil
	}
	switch {
	case f.ConstLabelsKnown:
		for _, c := range constNames {
			if !slices.Contains(e.keys, c) {
				e.keys = append(e.keys, c)
			}
		}
		if len(f.ConstLabels) > 0 {
			var kv []string
			for _, c := range f.ConstLabels {
				kv = append(kv, fmt.Sprintf("%s=%q", c.Name, c.Value))
			}
			e.comments = append(e.comments, "ConstLabels "+strings.Join(kv, ", ")+": the generated methods take them as labels; pass those values.")
		}
	case mf != nil:
		var extra []string
		for _, k := range scrapeKeys {
			if !slices.Contains(e.keys, k) {
				extra = append(extra, k)
			}
		}
		e.keys = append(e.keys, extra...)
		im.computedNote(f, optConstLabels, fmt.Sprintf("the scrape's other label names are written after the code's (%s)", strings.Join(extra, ", ")))
	default:
		im.computedNote(f, optConstLabels, "the labels they add are not declared: add them by hand, or give the service's URL too")
	}
	if mf != nil && len(mf.GetMetric()) > 0 && !sameSet(e.keys, scrapeKeys) {
		im.notef(f, fmt.Sprintf("the scrape serves labels [%s], the code declares [%s]: the code's are written", strings.Join(scrapeKeys, ", "), strings.Join(e.keys, ", ")))
	}

	unitWord := f.UnitWord
	if unitWord == "" && mf != nil {
		unitWord = mf.GetUnit()
	}
	e.unit, e.unitFound = im.units.Of(f.Name, unitWord, e.kind == catalog.KindCounter)
	if _, ok := st.computed[optUnit]; ok {
		im.computedNote(f, optUnit, "the unit is read from the name")
	}

	if e.kind == catalog.KindHistogram {
		scraped := scrapeBuckets(mf)
		e.native = f.Native
		if sn := scrapeNative(mf); e.native == nil && st.nativeComputed && sn != nil {
			e.native = sn
			im.notef(f, fmt.Sprintf("native: from the scrape (schema %d, zero threshold %s), as the code computes it; max_buckets and min_reset_duration are the defaults", sn.Schema, strconv.FormatFloat(sn.ZeroThreshold, 'g', -1, 64)))
		}
		switch {
		case f.Buckets.Known:
			e.buckets = f.Buckets
			if len(scraped) > 0 && !slices.Equal(scraped, f.Buckets.Values) {
				im.notef(f, fmt.Sprintf("the scrape serves other buckets (%s) than the code's (%s): the code's are written", floats(scraped), f.Buckets.Expr))
			}
		case st.nativeOnly && e.native != nil:
			// Native buckets alone, as client_golang serves a histogram without Buckets and
			// with a bucket factor.
			if len(scraped) > 0 {
				im.notef(f, fmt.Sprintf("the scrape serves classic buckets (%s) the code does not declare: none are written", floats(scraped)))
			}
		case st.nativeOnly:
			im.leave(f, "a const native histogram whose schema or zero threshold is computed at run time: give the service's URL too, or declare its native: by hand")
			return nil
		case len(scraped) > 0:
			e.buckets = Buckets{Known: true, Form: BucketsList, Values: scraped}
			e.bucketsNote = "from the scrape: the code computes them"
			im.computedNote(f, optBuckets, "the scrape's buckets are written")
		case e.native != nil && mf != nil:
			im.computedNote(f, optBuckets, "the scrape serves native buckets alone, so no classic buckets are written")
		default:
			im.computedNote(f, optBuckets, "left out, as its buckets are unknown: give the service's URL too, or declare it by hand")
			return nil
		}
		switch e.buckets.Form {
		case BucketsDefault, BucketsRange, BucketsConst:
			e.bucketsNote = e.buckets.Expr
		}
	}
	if e.kind == catalog.KindSummary {
		e.summary = f.Summary
		if !f.Summary.Known {
			qs := scrapeQuantiles(mf)
			switch {
			case mf == nil:
				im.computedNote(f, optObjectives, "left out, as its quantiles are unknown: give the service's URL too, or declare it by hand")
				return nil
			case len(qs) == 0:
				im.computedNote(f, optObjectives, "the scrape serves no quantile, so a summary of count and sum only is written")
			default:
				// /metrics shows the quantiles, not the errors allowed on them: the scrape
				// import's own choice, so that both importers write one summary alike.
				for _, q := range qs {
					e.summary.Objectives = append(e.summary.Objectives, Objective{Quantile: q, Error: promimport.DefaultError(q)})
				}
				im.computedNote(f, optObjectives, "the scrape's quantiles are written, each with the error min(q, 1-q)/10, which /metrics does not show: set the code's")
			}
		}
		im.computedNote(f, optMaxAge, "max_age is left to client_golang's default (10m)")
		im.computedNote(f, optAgeBuckets, "age_buckets is left to client_golang's default (5)")
	}
	if c := kindComment(f, e.kind); c != "" {
		e.comments = append(e.comments, c)
	}
	return e
}

// kindComment says why a gauge or up-down counter has its kind, for the entry's comment.
func kindComment(f *Family, k catalog.Kind) string {
	if f.Observable || (k != catalog.KindGauge && k != catalog.KindUpDownCounter) {
		return ""
	}
	setters, movers := map[string]bool{}, map[string]bool{}
	for _, u := range f.Uses {
		switch u.Method {
		case "Set", "SetToCurrentTime":
			setters[u.Method] = true
		default:
			movers[u.Method] = true
		}
	}
	list := func(m map[string]bool) string { return strings.Join(slices.Sorted(maps.Keys(m)), ", ") }
	switch {
	case k == catalog.KindUpDownCounter && len(movers) > 0:
		return "The code moves it (" + list(movers) + ") and never sets it: an updowncounter."
	case len(setters) > 0 && len(movers) > 0:
		return "The code sets it (" + list(setters) + ") and moves it (" + list(movers) + "): a gauge; see the note on stderr."
	case len(setters) > 0:
		return "The code sets it (" + list(setters) + "): a gauge."
	}
	return ""
}

// scrapeKind is the kind of a family whose code does not say, from its scrape.
func scrapeKind(mf *dto.MetricFamily) (catalog.Kind, bool, bool) {
	switch mf.GetType() {
	case dto.MetricType_COUNTER:
		return catalog.KindCounter, true, true
	case dto.MetricType_GAUGE:
		return catalog.KindGauge, true, true
	case dto.MetricType_HISTOGRAM:
		return catalog.KindHistogram, false, true
	case dto.MetricType_SUMMARY:
		return catalog.KindSummary, false, true
	}
	return "", false, false
}

// labelKeys are the label names a scraped family's series carry, sorted, without le and
// quantile.
func labelKeys(mf *dto.MetricFamily) []string {
	if mf == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, lp := range m.GetLabel() {
			k := lp.GetName()
			if k == "le" && mf.GetType() == dto.MetricType_HISTOGRAM || k == "quantile" && mf.GetType() == dto.MetricType_SUMMARY {
				continue
			}
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// scrapeNative is what a scraped histogram shows of its native buckets, as the scrape import
// reads it (the highest schema and the lowest zero threshold of its series, the defaults for
// the rest); nil when no series is native.
func scrapeNative(mf *dto.MetricFamily) *catalog.Native {
	if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM {
		return nil
	}
	var n *catalog.Native
	for _, m := range mf.GetMetric() {
		h := m.GetHistogram()
		if !scrape.IsNative(h) || h.GetSchema() < catalog.MinNativeSchema || h.GetSchema() > catalog.MaxNativeSchema {
			continue
		}
		if n == nil {
			n = &catalog.Native{Schema: h.GetSchema(), MaxBuckets: catalog.DefaultNativeMaxBuckets, ZeroThreshold: h.GetZeroThreshold()}
			continue
		}
		n.Schema, n.ZeroThreshold = max(n.Schema, h.GetSchema()), min(n.ZeroThreshold, h.GetZeroThreshold())
	}
	return n
}

// scrapeBuckets are the finite bucket boundaries a scraped histogram serves, the union of its
// series'.
func scrapeBuckets(mf *dto.MetricFamily) []float64 {
	if mf == nil || mf.GetType() != dto.MetricType_HISTOGRAM {
		return nil
	}
	var all []float64
	for _, m := range mf.GetMetric() {
		for _, b := range m.GetHistogram().GetBucket() {
			if ub := b.GetUpperBound(); !math.IsInf(ub, 0) && !math.IsNaN(ub) {
				all = append(all, ub)
			}
		}
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// scrapeQuantiles are the quantiles a scraped summary serves, strictly between 0 and 1.
func scrapeQuantiles(mf *dto.MetricFamily) []float64 {
	if mf == nil || mf.GetType() != dto.MetricType_SUMMARY {
		return nil
	}
	var qs []float64
	for _, m := range mf.GetMetric() {
		for _, q := range m.GetSummary().GetQuantile() {
			if v := q.GetQuantile(); v > 0 && v < 1 {
				qs = append(qs, v)
			}
		}
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// floats lists boundaries for a note.
func floats(vs []float64) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = formatFloat(v)
	}
	if len(parts) > 8 {
		return strings.Join(parts[:8], ", ") + fmt.Sprintf(", … %d in all", len(parts))
	}
	return strings.Join(parts, ", ")
}

// scrapeEntries imports the families only the scrape has, as promimport imports a scrape,
// and returns them as promimport rendered them.
func (im *importer) scrapeEntries(fams []*dto.MetricFamily, matched map[string]bool) ([]*entry, error) {
	var rest []*dto.MetricFamily
	for _, mf := range fams {
		if mf != nil && !matched[mf.GetName()] {
			rest = append(rest, mf)
		}
	}
	if len(rest) == 0 {
		return nil, nil
	}
	popts := im.opts.Scrape
	popts.Source = im.opts.Source
	res, err := promimport.Import(rest, popts)
	if res == nil {
		return nil, err
	}
	im.lines = append(im.lines, res.Report()...)
	if len(res.YAML) == 0 {
		return nil, nil // nothing of the service's own beyond the code's: promimport said why
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(res.YAML, &doc); err != nil || len(doc.Content) == 0 {
		return nil, fmt.Errorf("codeimport: read back the scrape's catalogue (a bug in instrumentgen): %v", err)
	}
	root := doc.Content[0]
	keyOf := map[string]string{}
	im.scrapeID = map[string]string{}
	if labels := mapValue(root, "labels"); labels != nil {
		for i := 0; i+1 < len(labels.Content); i += 2 {
			id := labels.Content[i].Value
			key := id
			if k := mapValue(labels.Content[i+1], "key"); k != nil {
				key = k.Value
			}
			keyOf[id] = key
			im.scrapeID[key] = id
		}
	}
	var out, names []string
	var entries []*entry
	if metrics := mapValue(root, "metrics"); metrics != nil {
		for _, item := range metrics.Content {
			name := mapValue(item, "name")
			if name == nil {
				continue
			}
			e := &entry{name: name.Value, node: item}
			if ids := mapValue(item, "labels"); ids != nil {
				for _, id := range ids.Content {
					e.keys = append(e.keys, keyOf[id.Value])
				}
			}
			entries = append(entries, e)
			names = append(names, name.Value)
		}
	}
	if len(names) > 0 {
		out = append(out, fmt.Sprintf("imported %s from the scrape alone, as a scrape import does: the packages loaded do not define %s (made in a package outside the patterns, or by a collector the importer does not read)",
			strings.Join(names, ", "), pronoun(len(names))))
	}
	im.lines = append(im.lines, out...)
	return entries, nil
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// mapValue is the value of key in a mapping node, nil when there is none.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// write renders entries, checks the catalogue as -check does, and leaves out what the checker
// refuses until it accepts.
func (im *importer) write(code *Code, entries []*entry) (*Result, error) {
	slices.SortFunc(entries, func(x, y *entry) int { return strings.Compare(x.name, y.name) })
	// Each round leaves out at least one entry or switches one generator form to a list, so
	// the loop ends; the bound is a second guard.
	for round := 0; round <= 2*len(entries)+1; round++ {
		if len(entries) == 0 {
			return im.result(code, nil, nil, nil), im.nothing(code)
		}
		data, labels, err := im.render(code, entries)
		if err != nil {
			return nil, err
		}
		cat, refused, err := validate(data, entries, labels)
		if err != nil {
			return nil, err
		}
		if len(refused) == 0 {
			if im.checkGenerators(cat, entries) {
				continue
			}
			return im.result(code, data, entries, labels), nil
		}
		kept := entries[:0]
		for _, e := range entries {
			if reason, ok := refused[e.name]; ok {
				reason += "; declare it by hand as the catalogue allows (docs/catalogue.md, Problems the loader reports)"
				if e.code != nil {
					im.leave(e.code, reason)
				} else {
					im.leftOut = append(im.leftOut, "left out "+e.name+": "+reason)
				}
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == len(entries) {
			return nil, fmt.Errorf("codeimport: the imported catalogue is invalid and its problems name no imported family (a bug in instrumentgen): %v", refused)
		}
		entries = kept
	}
	return nil, errors.New("codeimport: the imported catalogue did not settle (a bug in instrumentgen)")
}

// checkGenerators makes sure a linear or exponential form expands, as the catalogue computes
// it, to exactly client_golang's boundaries; an entry where it does not is switched to the list
// (reported true, to render again).
func (im *importer) checkGenerators(cat *catalog.Catalog, entries []*entry) bool {
	again := false
	for _, e := range entries {
		if e.code == nil || e.forceList || (e.buckets.Form != BucketsLinear && e.buckets.Form != BucketsExponential) {
			continue
		}
		if m := cat.Metric(e.name); m == nil || !slices.Equal(m.Buckets, e.buckets.Values) {
			e.forceList, again = true, true
		}
	}
	return again
}

// nothing says why no catalogue can be written.
func (im *importer) nothing(code *Code) error {
	if len(code.Families) == 0 && im.scrape == nil {
		err := fmt.Errorf("nothing to import: the packages %s define no client_golang metric", strings.Join(code.Patterns, " "))
		if len(code.Notes) > 0 {
			err = fmt.Errorf("%w the importer can read (see above)", err)
		}
		return err
	}
	return errors.New("nothing to import: every family is left out (see above)")
}

// result is the accepted catalogue (none when data is nil), with the notes in the order they
// are told: the code's and the import's by position, then the scrape's report and the scrape
// families left out.
func (im *importer) result(code *Code, data []byte, entries []*entry, labels []*labelDecl) *Result {
	res := &Result{YAML: data, Metrics: len(entries), Labels: len(labels)}
	for _, e := range entries {
		if e.code != nil {
			res.FromCode++
		} else {
			res.FromScrape++
		}
	}
	notes := append(slices.Clone(code.Notes), im.notes...)
	sortNotes(notes)
	for _, n := range notes {
		res.Notes = append(res.Notes, n.String())
	}
	res.Notes = append(res.Notes, im.lines...)
	res.Notes = append(res.Notes, im.leftOut...)
	return res
}

// validate loads data as `instrumentgen -check` does, and returns the catalogue, or the families
// to leave out with the checker's reason. A problem that names no family is a bug of the
// importer.
func validate(data []byte, entries []*entry, labels []*labelDecl) (*catalog.Catalog, map[string]string, error) {
	cat, _, err := codegen.Build("imported.yaml", data, codegen.CheckOptions("imported.yaml"))
	if err == nil {
		return cat, nil, nil
	}
	var problems catalog.Problems
	if !errors.As(err, &problems) {
		return nil, nil, fmt.Errorf("codeimport: the imported catalogue does not generate (a bug in instrumentgen): %w", err)
	}
	refused := map[string]string{}
	keyOf := map[string]string{}
	for _, l := range labels {
		keyOf[l.id] = l.key
	}
	for _, p := range problems {
		switch {
		case p.Subject == catalog.SubjectMetric && p.Metric != "":
			if _, seen := refused[p.Metric]; !seen {
				refused[p.Metric] = p.Msg
			}
		case (p.Subject == catalog.SubjectLabel || p.Subject == catalog.SubjectEnumValue) && keyOf[p.Label] != "":
			for _, e := range entries {
				if _, seen := refused[e.name]; !seen && slices.Contains(e.keys, keyOf[p.Label]) {
					refused[e.name] = fmt.Sprintf("label %q: %s", keyOf[p.Label], p.Msg)
				}
			}
		default:
			return nil, nil, fmt.Errorf("codeimport: the imported catalogue is invalid (a bug in instrumentgen): %s", p)
		}
	}
	if len(refused) == 0 {
		return nil, nil, fmt.Errorf("codeimport: the imported catalogue is invalid (a bug in instrumentgen): %w", err)
	}
	return nil, refused, nil
}

// labelDecl is one declared label: each exposed name once, whatever families use it.
type labelDecl struct {
	id, key string
	values  []string
}

// declareLabels gives every label name the entries use an ID: the scrape import's for the
// names it declared (the scrape-only families' nodes refer to them), the name made an ID
// otherwise (promimport.LabelID), numbered where two would collide.
func (im *importer) declareLabels(entries []*entry) []*labelDecl {
	keys := map[string]bool{}
	for _, e := range entries {
		for _, k := range e.keys {
			keys[k] = true
		}
	}
	taken := map[string]bool{}
	byKey := map[string]*labelDecl{}
	var out []*labelDecl
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if id, ok := im.scrapeID[k]; ok {
			d := &labelDecl{id: id, key: k}
			byKey[k], taken[id] = d, true
			out = append(out, d)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if byKey[k] != nil {
			continue
		}
		base := promimport.LabelID(k)
		id := base
		for n := 2; taken[id]; n++ {
			id = fmt.Sprintf("%s_%d", base, n)
		}
		d := &labelDecl{id: id, key: k}
		byKey[k], taken[id] = d, true
		out = append(out, d)
	}
	values := map[string]map[string]bool{}
	addValue := func(k, v string) {
		if values[k] == nil {
			values[k] = map[string]bool{}
		}
		values[k][v] = true
	}
	for _, mf := range im.scrape {
		for _, k := range labelKeys(mf) {
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k {
						addValue(k, lp.GetValue())
					}
				}
			}
		}
	}
	for _, d := range out {
		d.values = slices.Sorted(maps.Keys(values[d.key]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
