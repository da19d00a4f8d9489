// Package promimport turns what a client_golang service serves on /metrics into a first
// instruments.yaml: every counter, gauge, histogram and summary family under the name PromQL
// queries, with its HELP, label names, buckets or quantiles, a native histogram's native:
// (read from protobuf, which it is asked for first) and a unit read from OpenMetrics'
// UNIT or the name's suffix. What one scrape cannot tell (what a label means, whether its values are a closed set)
// is left as a TODO placeholder or a comment for a person to write.
//
// The output is checked before it is returned: it loads with internal/catalog and renders with
// internal/codegen, exactly as `instrumentgen -check` does. A family the catalogue cannot hold
// (a name the exporter would rewrite, a reserved label, two families whose Go identifiers
// collide) is left out and reported, with the validator's own words, instead of producing a
// file that fails.
package promimport

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
	"github.com/telediag/telediag/internal/scrape"
)

// Options change what is imported.
type Options struct {
	// Source names the exposition in the file's header comment, such as its URL.
	Source string
	// IncludeRuntime imports the families telemetry serves itself (catalog.RuntimeFamilies),
	// as provided_by entries: listed, not generated, since telediag's own collectors serve
	// them.
	IncludeRuntime bool
	// Filter chooses families by name (-include, -exclude); the zero Filter takes them all.
	Filter Filter
}

// Skipped is a family that was not imported, and why.
type Skipped struct {
	Family string
	// Reason says why, and how to keep the family (a flag, what to declare by hand).
	Reason string
}

// String is "FAMILY: reason".
func (s Skipped) String() string { return s.Family + ": " + s.Reason }

// RuntimeFamily is a family left out because telemetry serves it itself.
type RuntimeFamily struct {
	Family string
	// Provider is the provided_by that -include-runtime would list it with.
	Provider string
}

// Result is an import.
type Result struct {
	// YAML is the catalogue, accepted by `instrumentgen -check` as it is.
	YAML []byte
	// Metrics and Labels count what it declares.
	Metrics, Labels int
	// Skipped are the families left out, in name order. Runtime families left out for want
	// of Options.IncludeRuntime are in Runtime instead.
	Skipped []Skipped
	// Runtime are the families left out because telemetry serves them itself
	// (catalog.RuntimeFamilies), in name order: without Options.IncludeRuntime, or with it when
	// the service has no family of its own to make a catalogue with.
	Runtime []RuntimeFamily
	// Gauges are the gauges imported with kind gauge, in name order: each may as well be an
	// up-down counter, which /metrics serves as a gauge too.
	Gauges []string
	// Notes say what the catalogue holds that the exposition did not show: the errors allowed
	// on a summary's quantiles, and its max_age. One per family, in name order; Report lists
	// them too.
	Notes []string
}

// Report is what to tell the person importing besides the catalogue, a line each: every
// family left out with its reason and how to keep it, the runtime families by provider, the
// gauges a scrape cannot tell from up-down counters, and the notes on what a summary's scrape
// does not show. Every family of the exposition is
// either in the catalogue or named here.
func (r *Result) Report() []string {
	var out []string
	for _, s := range r.Skipped {
		out = append(out, "left out "+s.String())
	}
	byProvider := map[string][]string{}
	for _, f := range r.Runtime {
		byProvider[f.Provider] = append(byProvider[f.Provider], f.Family)
	}
	for _, p := range slices.Sorted(maps.Keys(byProvider)) {
		names := byProvider[p]
		out = append(out, fmt.Sprintf("left out %s: %s, which telemetry serves itself; -include-runtime lists %s as provided_by: %s",
			strings.Join(names, ", "), providerText(p, len(names)), pronoun(len(names)), p))
	}
	if len(r.Gauges) > 0 {
		out = append(out, fmt.Sprintf("imported %s with kind gauge: a scrape cannot tell a gauge from an up-down counter, which /metrics serves as a gauge too; make a family kind updowncounter where its code adds and subtracts (Inc, Dec, Add, Sub) and never sets (Set)",
			strings.Join(r.Gauges, ", ")))
	}
	for _, n := range r.Notes {
		out = append(out, "note: "+n)
	}
	return out
}

// providerText names what serves n runtime families of provider p.
func providerText(p string, n int) string {
	what := map[string]string{
		catalog.ProvidedByGoCollector:      "client_golang's Go collector",
		catalog.ProvidedByProcessCollector: "client_golang's process collector",
		catalog.ProvidedByPromHTTP:         "promhttp's instrumentation of the /metrics handler",
		catalog.ProvidedByOTelRuntime:      "OTel's runtime instrumentation",
	}[p]
	if what == "" {
		what = p
	}
	if n == 1 {
		return "a family of " + what
	}
	return fmt.Sprintf("%d families of %s", n, what)
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// family is one family to import.
type family struct {
	name, help string
	kind       catalog.Kind
	provider   string // provided_by, for runtime families
	unit       string
	unitFound  bool
	keys       []string            // label names, sorted
	values     map[string][]string // label name → values seen, sorted, deduplicated
	buckets    []float64
	mixed      bool // series with different buckets: the union is declared
	noSeries   bool
	// quantiles are a summary's, as served; refusedQuantiles those no objective can declare.
	quantiles, refusedQuantiles []float64
	// native is what the series served of a native histogram (only protobuf shows it); nil
	// when no series was native.
	native *nativeSeen
}

// nativeSeen is what a scrape shows of a native histogram: the highest schema and the lowest
// zero threshold its series served. A series' schema goes down from the declared one only when
// its buckets would span too many, and client_golang widens a zero threshold only up to
// NativeHistogramMaxZeroThreshold, so these are the nearest to what the service declares.
// max_buckets and min_reset_duration never show.
type nativeSeen struct {
	schema        int32
	zeroThreshold float64
}

// Import builds the catalogue of fams (a decoded exposition, as internal/scrape returns it).
// It fails only when nothing at all can be imported; every family left out is in
// Result.Skipped with its reason.
func Import(fams []*dto.MetricFamily, opts Options) (*Result, error) {
	units := newUnitTable()
	res := &Result{}
	fams, res.Skipped = opts.Filter.apply(fams, opts.IncludeRuntime)
	var todo []*family
	for _, mf := range fams {
		f, reason := convert(mf, opts, units)
		switch {
		case reason == runtimeReason:
			res.Runtime = append(res.Runtime, RuntimeFamily{mf.GetName(), catalog.RuntimeProvider(mf.GetName())})
		case reason != "":
			res.Skipped = append(res.Skipped, Skipped{mf.GetName(), reason})
		default:
			todo = append(todo, f)
		}
	}
	slices.SortFunc(todo, func(a, b *family) int { return strings.Compare(a.name, b.name) })
	// Render, validate as -check does, and leave out what the validator refuses, until it
	// accepts. Every problem of the catalogue is reported in one pass, and the generator's
	// after it, so this ends in at most a few rounds; each round removes at least one family.
	for {
		if !slices.ContainsFunc(todo, func(f *family) bool { return f.provider == "" }) {
			// Runtime families alone (-include-runtime) would make a package with nothing to
			// generate, which the generator refuses.
			for _, f := range todo {
				res.Runtime = append(res.Runtime, RuntimeFamily{f.name, f.provider})
			}
			sortSkipped(res.Skipped)
			sortRuntime(res.Runtime)
			return res, errNothing(res, opts)
		}
		data, labels, err := render(todo, opts)
		if err != nil {
			return nil, err
		}
		refused, err := validate(data, todo, labels)
		if err != nil {
			return nil, err
		}
		if len(refused) == 0 {
			res.YAML, res.Metrics, res.Labels = data, len(todo), len(labels)
			for _, f := range todo {
				if f.kind == catalog.KindGauge && f.provider == "" {
					res.Gauges = append(res.Gauges, f.name)
				}
			}
			sortSkipped(res.Skipped)
			sortRuntime(res.Runtime)
			for _, f := range todo {
				if len(f.quantiles) > 0 && f.provider == "" {
					res.Notes = append(res.Notes, summaryNote(f))
				}
				if f.native != nil && f.provider == "" {
					res.Notes = append(res.Notes, nativeNote(f))
				}
			}
			return res, nil
		}
		kept := todo[:0]
		for _, f := range todo {
			if reason, ok := refused[f.name]; ok {
				res.Skipped = append(res.Skipped, Skipped{f.name, reason + refusedHint})
				continue
			}
			kept = append(kept, f)
		}
		if len(kept) == len(todo) {
			// The validator named families that are not there (a name the YAML round trip
			// changed): leaving nothing out would loop for ever.
			return nil, fmt.Errorf("import: the imported catalogue is invalid and the problems name no imported family (a bug in instrumentgen): %v", refused)
		}
		todo = kept
	}
}

const runtimeReason = "runtime"

// refusedHint follows the validator's reason for a family the catalogue cannot hold as it is
// served: telediag cannot serve it under that name or those labels, so keeping it means
// declaring it differently and moving its queries.
const refusedHint = "; telediag cannot serve it as it is served now: declare it by hand as the catalogue allows (telediag's docs/catalogue.md, Problems the loader reports) and move the queries that use it"

// errNothing says why no catalogue can be made: nothing of the service's own is left.
func errNothing(res *Result, opts Options) error {
	runtime := fmt.Sprintf("%d runtime families, which telemetry serves itself", len(res.Runtime))
	if opts.IncludeRuntime {
		runtime += " (a catalogue needs a metric of the service's own besides them)"
	} else {
		runtime += " (-include-runtime lists them)"
	}
	switch {
	case len(res.Skipped) > 0 && len(res.Runtime) > 0:
		return fmt.Errorf("nothing to import: %d families left out (see above) and %s", len(res.Skipped), runtime)
	case len(res.Skipped) > 0:
		return fmt.Errorf("nothing to import: all %d families left out (see above)", len(res.Skipped))
	case len(res.Runtime) > 0:
		return fmt.Errorf("nothing to import: only %s", runtime)
	}
	return errors.New("nothing to import: the exposition has no metric family")
}

func sortSkipped(s []Skipped) {
	slices.SortStableFunc(s, func(a, b Skipped) int { return strings.Compare(a.Family, b.Family) })
}

func sortRuntime(r []RuntimeFamily) {
	slices.SortFunc(r, func(a, b RuntimeFamily) int { return strings.Compare(a.Family, b.Family) })
}

// convert reads one family, or says why it is not imported.
func convert(mf *dto.MetricFamily, opts Options, units unitTable) (*family, string) {
	name := mf.GetName()
	f := &family{name: name, help: cleanHelp(mf.GetHelp()), values: map[string][]string{}}
	if name == catalog.TargetInfo {
		return nil, "the OTel Resource, not a metric: telemetry serves it from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (telemetry.WithTargetInfo)"
	}
	if provider := catalog.RuntimeProvider(name); provider != "" {
		if !opts.IncludeRuntime {
			return nil, runtimeReason
		}
		f.provider = provider
	}
	switch mf.GetType() {
	case dto.MetricType_COUNTER:
		f.kind = catalog.KindCounter
	case dto.MetricType_GAUGE:
		f.kind = catalog.KindGauge
	case dto.MetricType_HISTOGRAM:
		f.kind = catalog.KindHistogram
	case dto.MetricType_SUMMARY:
		f.kind = catalog.KindSummary
		if f.provider == "" {
			f.quantiles, f.refusedQuantiles = summaryQuantiles(mf)
		}
	case dto.MetricType_UNTYPED:
		return nil, "untyped: the exposition does not say whether it is a counter or a gauge; declare it by hand as the one it is"
	default:
		return nil, fmt.Sprintf("type %s has no OTel instrument; declare it by hand as the nearest kind (a gauge histogram as a histogram)", strings.ToLower(strings.ReplaceAll(mf.GetType().String(), "_", " ")))
	}
	reserved := map[catalog.Kind]string{catalog.KindHistogram: "le", catalog.KindSummary: "quantile"}[f.kind]
	seen := map[string]map[string]bool{}
	var bucketSets [][]float64
	for _, m := range mf.GetMetric() {
		if m == nil {
			continue
		}
		for _, lp := range m.GetLabel() {
			k := lp.GetName()
			if k == reserved {
				continue
			}
			if seen[k] == nil {
				seen[k] = map[string]bool{}
			}
			seen[k][lp.GetValue()] = true
		}
		if f.kind == catalog.KindHistogram {
			h := m.GetHistogram()
			var bounds []float64
			for _, b := range h.GetBucket() {
				if ub := b.GetUpperBound(); !math.IsInf(ub, 0) && !math.IsNaN(ub) {
					bounds = append(bounds, ub)
				}
			}
			if scrape.IsNative(h) {
				switch n := f.native; {
				case n == nil:
					f.native = &nativeSeen{schema: h.GetSchema(), zeroThreshold: h.GetZeroThreshold()}
				default:
					n.schema = max(n.schema, h.GetSchema())
					n.zeroThreshold = min(n.zeroThreshold, h.GetZeroThreshold())
				}
			}
			bucketSets = append(bucketSets, bounds)
		}
	}
	f.noSeries = len(mf.GetMetric()) == 0
	for k, vs := range seen {
		f.keys = append(f.keys, k)
		f.values[k] = slices.Sorted(maps.Keys(vs))
	}
	slices.Sort(f.keys)
	if f.kind == catalog.KindHistogram && f.provider == "" {
		f.buckets, f.mixed = unionBuckets(bucketSets)
		switch {
		case f.noSeries:
			return nil, "histogram without series: its buckets are unknown; declare it by hand"
		case f.native != nil && (f.native.schema < catalog.MinNativeSchema || f.native.schema > catalog.MaxNativeSchema):
			return nil, fmt.Sprintf("native histogram of schema %d, which Prometheus does not represent (%d to %d); declare it by hand", f.native.schema, catalog.MinNativeSchema, catalog.MaxNativeSchema)
		case f.native != nil:
			// Native buckets, with or without classic ones: both are declared as served.
		case len(f.buckets) == 0:
			return nil, "histogram with no finite bucket (only +Inf); declare its buckets by hand"
		}
	}
	f.unit, f.unitFound = units.fromUnit(mf.GetUnit())
	if !f.unitFound {
		f.unit, f.unitFound = units.fromName(name, f.kind == catalog.KindCounter)
	}
	if !f.unitFound {
		f.unit = "1"
	}
	return f, ""
}

// cleanHelp makes HELP a description: valid UTF-8, and control characters other than line
// breaks and tabs (a NUL, an escape sequence) replaced, as the generator writes descriptions
// into Go comments, where they cannot be.
func cleanHelp(help string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return '\uFFFD'
		}
		return r
	}, strings.ToValidUTF8(help, "\uFFFD"))
}

// unionBuckets merges the finite bounds of every series. Series of one client_golang family
// share their buckets; when they do not, the union is declared and flagged.
func unionBuckets(sets [][]float64) ([]float64, bool) {
	var all []float64
	mixed := false
	for i, s := range sets {
		if i > 0 && !slices.Equal(s, sets[0]) {
			mixed = true
		}
		all = append(all, s...)
	}
	slices.Sort(all)
	return slices.Compact(all), mixed
}

// validate loads data as `instrumentgen -check` does and returns the families to leave out,
// with the validator's reason. A problem that names no family is a bug of the importer.
func validate(data []byte, fams []*family, labels []*label) (map[string]string, error) {
	_, _, err := codegen.Build("imported.yaml", data, codegen.CheckOptions("imported.yaml"))
	if err == nil {
		return nil, nil
	}
	var problems catalog.Problems
	if !errors.As(err, &problems) {
		return nil, fmt.Errorf("import: the imported catalogue does not generate (a bug in instrumentgen): %w", err)
	}
	refused := map[string]string{}
	byID := map[string]*label{}
	for _, l := range labels {
		byID[l.id] = l
	}
	for _, p := range problems {
		if p.Subject == catalog.SubjectMetric && p.Metric != "" {
			if _, seen := refused[p.Metric]; !seen {
				refused[p.Metric] = p.Msg
			}
			continue
		}
		if l := byID[p.Label]; p.Subject == catalog.SubjectLabel && l != nil {
			for _, f := range fams {
				if slices.Contains(f.keys, l.key) {
					if _, seen := refused[f.name]; !seen {
						refused[f.name] = fmt.Sprintf("label %q: %s", l.key, p.Msg)
					}
				}
			}
			continue
		}
		return nil, fmt.Errorf("import: the imported catalogue is invalid (a bug in instrumentgen): %s", p)
	}
	if len(refused) == 0 {
		return nil, fmt.Errorf("import: the imported catalogue is invalid (a bug in instrumentgen): %w", err)
	}
	return refused, nil
}

// label is one declared label: each label name once, whatever families use it.
type label struct {
	id, key string
	values  []string // seen on any family, sorted
}

// labelsOf declares every label name fams use, with an ID the catalogue accepts (lower
// snake_case): the name itself when it is one, else a lowered form and key: the name.
func labelsOf(fams []*family) []*label {
	values := map[string]map[string]bool{}
	for _, f := range fams {
		for _, k := range f.keys {
			if values[k] == nil {
				values[k] = map[string]bool{}
			}
			for _, v := range f.values[k] {
				values[k][v] = true
			}
		}
	}
	keys := slices.Sorted(maps.Keys(values))
	ids := map[string]bool{}
	out := make([]*label, 0, len(keys))
	// Names that are IDs already claim theirs first, so that "Code" never takes "code" from
	// "code".
	for pass := 0; pass < 2; pass++ {
		for _, k := range keys {
			id := labelID(k)
			if (id == k) != (pass == 0) {
				continue
			}
			for n := 2; ids[id]; n++ {
				id = labelID(k) + "_" + strconv.Itoa(n)
			}
			ids[id] = true
			out = append(out, &label{id: id, key: k, values: slices.Sorted(maps.Keys(values[k]))})
		}
	}
	slices.SortFunc(out, func(a, b *label) int { return strings.Compare(a.id, b.id) })
	return out
}

// labelID lowers a label name to [a-z][a-z0-9]*(_[a-z0-9]+)*.
func labelID(key string) string {
	var b strings.Builder
	underscore := false
	for _, r := range strings.ToLower(key) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if underscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			underscore = false
			b.WriteRune(r)
		default:
			underscore = true
		}
	}
	id := b.String()
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		id = "label_" + id
	}
	return strings.TrimSuffix(id, "_")
}
