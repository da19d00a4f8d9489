package codegen

import (
	"fmt"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// model is what the templates see: every name and type already decided, so the templates hold
// layout only.
type model struct {
	Source     string
	DocsSource string
	Package    string
	Scope      string
	Enums      []enum        // the enum labels of generated metrics, in file order
	Metrics    []metricModel // generated instruments, in file order
	Sections   []section     // every metric, for the docs
	Labels     []*catalog.Label
	Undeclared []*catalog.Undeclared // for the docs
	Generated  int
	Provided   int
	HasSummary bool // a generated summary, which needs a MeterProvider that serves summaries
}

type enum struct {
	Type   string
	Label  *catalog.Label
	Values []enumValue
}

type enumValue struct{ Const, Value string }

type param struct {
	Name string // Go parameter name
	Key  string // exposed label key
	Enum bool
	Doc  string
}

type metricModel struct {
	*catalog.Metric
	Type        string // Go type name, e.g. BackendReadSeconds
	New         string // its unexported constructor, e.g. newBackendReadSeconds
	Inst        string // OTel API interface, e.g. Float64Histogram; its no-op twin in metric/noop has the same name
	ValType     string // int64 or float64
	Method      string // Add or Record
	ArgName     string // incr or val
	Observe     string // ObserveInt64 or ObserveFloat64
	Params      []param
	ParamList   string // "component string, op OpAttr"
	SampleArgs  string // "\"example\", OpGet"
	Buckets     string // Go literal list, e.g. 0.001, 0.002
	Native      string // a native histogram's instrument.Native literal, "" for none
	NativeText  string // for doc comments: the native declaration, as catalog.Native.String says it
	Batched     bool   // a synchronous counter or up-down counter: instrument.Counter batches its adds
	Wrapper     string // the telemetry/instrument type behind a synchronous instrument with a series cache: Counter or Recorder
	Series      string // Wrapper with its type arguments, e.g. Counter[int64, [2]string]; empty without one
	KeyType     string // the series key, e.g. [2]string, or struct{} for a label-less counter
	KeyArgs     string // the key's elements, e.g. component, string(op)
	Sample      string // a plausible sample value
	KindText    string // for doc comments
	DataKind    string // what an SDK reader collects: counter, updowncounter, gauge, histogram or summary
	SortedKeys  string // the exposed label keys, sorted and comma-separated
	Summary     bool   // a summary: no OTel instrument, instrument.Summary keeps its series
	SummaryOpts string // the instrument.SummaryOptions literal of a summary
	Quantiles   string // for doc comments: "0.5 (±0.05), 0.99 (±0.001) over 10m0s in 5 age buckets"
	Life        lifecycleModel
	DeleteNote  string // for doc comments: what a deleted series of this kind leaves behind
}

type section struct {
	Name    string
	Metrics []docMetric
}

type docMetric struct {
	*catalog.Metric
	Labels  string
	Buckets string // a histogram's buckets, or a generated summary's quantiles
	Source  string
	Life    lifecycleModel
}

// newModel decides every name of the package generated from c. reserved is what the templates
// themselves declare and use (see probeTemplates); nil while probing them. Identifiers that are
// not valid Go or that collide are returned as catalog.Problems, all of them.
func newModel(c *catalog.Catalog, opts Options, reserved *templateNames) (*model, error) {
	m := &model{Source: opts.Source, DocsSource: opts.DocsSource, Package: opts.Package, Scope: opts.Scope, Labels: c.Labels, Undeclared: c.Undeclared}
	var problems catalog.Problems
	idents := map[string]string{} // package-level Go identifier → what declared it, to catch collisions
	if reserved != nil {
		for _, r := range reserved.pkg {
			idents[r] = "the generated package itself"
		}
	}
	// claim records that the declaration at line that about names generates ident, reporting
	// an identifier that is not valid Go or that something else generates too.
	claim := func(ident string, line int, about catalog.Problem) bool {
		about.File, about.Line = c.File, line
		if !token.IsIdentifier(ident) || !token.IsExported(ident) {
			about.Kind, about.Msg = catalog.ProblemName, fmt.Sprintf("gives %q, which is not an exported Go identifier; rename it", ident)
			problems = append(problems, about)
			return false
		}
		if prev, ok := idents[ident]; ok {
			about.Kind, about.Msg = catalog.ProblemCollision, fmt.Sprintf("Go identifier %s is also generated for %s; rename one of them", ident, prev)
			problems = append(problems, about)
			return false
		}
		idents[ident] = fmt.Sprintf("%s:%d: %s", c.File, line, about.About())
		return true
	}
	used := map[*catalog.Label]bool{} // labels of generated metrics: only they get enum types
	for _, cm := range c.Metrics {
		if cm.Generated() {
			for _, l := range cm.Labels {
				used[l] = true
			}
		}
	}
	for _, l := range c.Labels {
		if len(l.Enum) == 0 || !used[l] {
			continue
		}
		e := enum{Type: enumTypeName(l), Label: l}
		claim(e.Type, l.Line, catalog.Problem{Subject: catalog.SubjectLabel, Label: l.ID})
		for _, v := range l.Enum {
			ev := enumValue{Const: enumConstName(l, v), Value: v}
			claim(ev.Const, l.Line, catalog.Problem{Subject: catalog.SubjectEnumValue, Label: l.ID, Value: v})
			e.Values = append(e.Values, ev)
		}
		m.Enums = append(m.Enums, e)
	}
	secIndex := map[string]int{}
	var generated []*catalog.Metric
	for _, cm := range c.Metrics {
		name := cm.Section
		if name == "" {
			name = "Other"
		}
		i, ok := secIndex[name]
		if !ok {
			i = len(m.Sections)
			secIndex[name] = i
			m.Sections = append(m.Sections, section{Name: name})
		}
		m.Sections[i].Metrics = append(m.Sections[i].Metrics, docOf(cm))
		if !cm.Generated() {
			m.Provided++
			continue
		}
		m.Generated++
		generated = append(generated, cm)
		typ := exportedName(cm.Name)
		for _, ident := range []string{typ, typ + "Bound", typ + "Observer"} {
			if !claim(ident, cm.Line, catalog.Problem{Subject: catalog.SubjectMetric, Metric: cm.Name}) {
				break
			}
		}
	}
	if m.Generated == 0 && len(c.Metrics) > 0 { // no metric at all is the catalogue's own problem
		problems = append(problems, catalog.Problem{File: c.File, Line: c.Metrics[0].Line, Kind: catalog.ProblemUnsupported,
			Msg: "no metric to generate: every metric is provided_by another collector, so the Go package would be empty"})
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, problems
	}
	// Label parameters must shadow nothing a method body refers to: the templates' own
	// identifiers, Go's predeclared ones, and the package-level functions generated here.
	taken := func(string) bool { return false }
	if reserved != nil {
		unexported := map[string]bool{}
		for _, cm := range generated {
			unexported[constructorName(exportedName(cm.Name))] = true
		}
		taken = func(name string) bool {
			return token.IsKeyword(name) || reserved.used[name] || types.Universe.Lookup(name) != nil || unexported[name]
		}
	}
	for _, cm := range generated {
		m.Metrics = append(m.Metrics, metricOf(cm, taken))
		m.HasSummary = m.HasSummary || cm.Kind == catalog.KindSummary
	}
	m.addLifecycle(c)
	return m, nil
}

// constructorName is the unexported constructor of the metric type typ.
func constructorName(typ string) string { return "new" + typ }

// paramNames names the parameters of labels: the label ID in lowerCamelCase, suffixed with
// Value (then Value2, Value3, …) while that is a Go keyword, taken, or another label's.
func paramNames(labels []*catalog.Label, taken func(string) bool) []string {
	out := make([]string, len(labels))
	mine := map[string]bool{}
	for i, l := range labels {
		base := lowerCamel(l.ID)
		name := base
		for n := 1; token.IsKeyword(name) || taken(name) || mine[name]; n++ {
			name = base + "Value"
			if n > 1 {
				name += strconv.Itoa(n)
			}
		}
		mine[name] = true
		out[i] = name
	}
	return out
}

func metricOf(cm *catalog.Metric, taken func(string) bool) metricModel {
	mm := metricModel{Metric: cm, Type: exportedName(cm.Name)}
	mm.New = constructorName(mm.Type)
	prefix := "Int64"
	mm.ValType, mm.Observe, mm.Sample = "int64", "ObserveInt64", "1"
	if cm.ValueType == catalog.ValueDouble {
		prefix, mm.ValType, mm.Observe, mm.Sample = "Float64", "float64", "ObserveFloat64", "0.25"
	}
	obs := ""
	if cm.Observable {
		obs = "Observable"
	}
	switch cm.Kind {
	case catalog.KindCounter:
		mm.Inst, mm.Method, mm.ArgName, mm.KindText = prefix+obs+"Counter", "Add", "incr", "counter"
	case catalog.KindUpDownCounter:
		mm.Inst, mm.Method, mm.ArgName, mm.KindText = prefix+obs+"UpDownCounter", "Add", "incr", "up-down counter (exposed as a gauge)"
	case catalog.KindGauge:
		mm.Inst, mm.Method, mm.ArgName, mm.KindText = prefix+obs+"Gauge", "Record", "val", "gauge"
	case catalog.KindHistogram:
		mm.Inst, mm.Method, mm.ArgName, mm.KindText = prefix+"Histogram", "Record", "val", "histogram"
	case catalog.KindSummary:
		mm.Method, mm.ArgName, mm.KindText, mm.Summary = "Record", "val", "summary", true
		mm.SummaryOpts, mm.Quantiles = summaryOptions(cm)
	}
	if cm.Observable {
		mm.KindText = "observable " + mm.KindText
	}
	mm.DataKind = string(cm.Kind)
	var decls, samples, keyArgs []string
	for i, name := range paramNames(cm.Labels, taken) {
		l := cm.Labels[i]
		p := param{Name: name, Key: l.Key, Doc: l.Description}
		// typ is the parameter's type; sample a valid value of it, for the generated example.
		typ, keyArg, sample := "string", name, strconv.Quote("example")
		if len(l.Enum) > 0 {
			typ, p.Enum, keyArg = enumTypeName(l), true, "string("+name+")"
			sample = enumConstName(l, l.Enum[0])
		}
		mm.Params = append(mm.Params, p)
		decls = append(decls, p.Name+" "+typ)
		samples = append(samples, sample)
		keyArgs = append(keyArgs, keyArg)
	}
	mm.ParamList, mm.SampleArgs, mm.KeyArgs = strings.Join(decls, ", "), strings.Join(samples, ", "), strings.Join(keyArgs, ", ")
	keys := cm.LabelKeys()
	sort.Strings(keys)
	mm.SortedKeys = strings.Join(keys, ",")
	if !cm.Observable {
		mm.Batched = cm.Kind == catalog.KindCounter || cm.Kind == catalog.KindUpDownCounter
		switch {
		case mm.Summary:
			mm.Wrapper, mm.KeyType = "Summary", fmt.Sprintf("[%d]string", len(mm.Params))
			if len(mm.Params) == 0 {
				mm.KeyType = "struct{}"
			}
		case len(mm.Params) > 0 && mm.Batched:
			mm.Wrapper, mm.KeyType = "Counter", fmt.Sprintf("[%d]string", len(mm.Params))
		case len(mm.Params) > 0:
			mm.Wrapper, mm.KeyType = "Recorder", fmt.Sprintf("[%d]string", len(mm.Params))
		case mm.Batched:
			// One series, bound at creation.
			mm.Wrapper, mm.KeyType = "Counter", "struct{}"
		}
		if mm.Wrapper != "" {
			mm.Series = fmt.Sprintf("%s[%s, %s]", mm.Wrapper, mm.ValType, mm.KeyType)
		}
		switch {
		case mm.Summary:
			mm.DeleteNote = "The series leaves /metrics and every reader at the next collection, and its memory goes."
		case mm.Batched:
			mm.DeleteNote = "On telediag's fast path (telemetry's MeterProvider) the series leaves /metrics and every reader at the next collection, and its memory goes; on the SDK's path (any other provider) its memory goes but the SDK's cumulative streams keep the series at its last total (package instrument, Counter.Delete)."
		case cm.Kind == catalog.KindHistogram:
			mm.DeleteNote = "On telediag's fast path (telemetry's MeterProvider) the series leaves /metrics and every reader at the next collection, and its memory goes; on the SDK's path the SDK keeps its totals (package instrument, Recorder.Delete)."
		default:
			mm.DeleteNote = "On telediag's fast path (telemetry's MeterProvider) the series leaves /metrics and every reader at the next collection, and its memory goes; on the SDK's path the SDK keeps the gauge's last value in its cumulative streams (package instrument, Recorder.Delete)."
		}
	}
	if cm.Native != nil {
		mm.Native, mm.NativeText = nativeLiteral(cm.Native), cm.Native.String()
	}
	if len(cm.Buckets) > 0 {
		bs := make([]string, len(cm.Buckets))
		for i, b := range cm.Buckets {
			bs[i] = strconv.FormatFloat(b, 'g', -1, 64)
		}
		mm.Buckets = strings.Join(bs, ", ")
		// A sample inside the buckets' range lands in a real bucket, not only in +Inf.
		mm.Sample = strconv.FormatFloat(cm.Buckets[len(cm.Buckets)/2], 'g', -1, 64)
	}
	return mm
}

// nativeLiteral is a native histogram's instrument.Native as a Go literal (MinResetDuration in
// nanoseconds, so that the generated file needs no time import).
func nativeLiteral(n *catalog.Native) string {
	return fmt.Sprintf("instrument.Native{Schema: %d, MaxBuckets: %d, ZeroThreshold: %s, MinResetDuration: %d /* %s */}",
		n.Schema, n.MaxBuckets, strconv.FormatFloat(n.ZeroThreshold, 'g', -1, 64), int64(n.MinResetDuration), n.MinResetDuration)
}

// summaryOptions returns a summary's instrument.SummaryOptions as a Go literal (MaxAge in
// nanoseconds, so that the generated file needs no time import) and as text for comments.
func summaryOptions(cm *catalog.Metric) (literal, text string) {
	if len(cm.Objectives) == 0 {
		return "instrument.SummaryOptions{}", "none: count and sum only"
	}
	objs := make([]string, len(cm.Objectives))
	texts := make([]string, len(cm.Objectives))
	for i, o := range cm.Objectives {
		q, e := strconv.FormatFloat(o.Quantile, 'g', -1, 64), strconv.FormatFloat(o.Error, 'g', -1, 64)
		objs[i] = q + ": " + e
		texts[i] = q + " (±" + e + ")"
	}
	literal = fmt.Sprintf("instrument.SummaryOptions{Objectives: map[float64]float64{%s}, MaxAge: %d /* %s */, AgeBuckets: %d}",
		strings.Join(objs, ", "), int64(cm.MaxAge), cm.MaxAge, cm.AgeBuckets)
	text = fmt.Sprintf("%s over %s in %d age buckets", strings.Join(texts, ", "), cm.MaxAge, cm.AgeBuckets)
	return literal, text
}

func docOf(cm *catalog.Metric) docMetric {
	d := docMetric{Metric: cm, Source: "generated"}
	if !cm.Generated() {
		d.Source = "provided by " + cm.ProvidedBy
	}
	var ls []string
	for _, l := range cm.Labels {
		s := "`" + l.Key + "`"
		if len(l.Enum) > 0 {
			vals := append([]string(nil), l.Enum...)
			sort.Strings(vals)
			s += " (" + strings.Join(vals, ", ") + ")"
		}
		ls = append(ls, s)
	}
	d.Labels = strings.Join(ls, ", ")
	if len(cm.Buckets) > 0 {
		first := strconv.FormatFloat(cm.Buckets[0], 'g', -1, 64)
		last := strconv.FormatFloat(cm.Buckets[len(cm.Buckets)-1], 'g', -1, 64)
		d.Buckets = fmt.Sprintf("%s: %d buckets, %s … %s", cm.BucketsSpec, len(cm.Buckets), first, last)
	}
	if cm.Native != nil {
		if d.Buckets != "" {
			d.Buckets += "; "
		}
		d.Buckets += "native: " + cm.Native.String()
	}
	if cm.Kind == catalog.KindSummary && cm.Generated() {
		_, d.Buckets = summaryOptions(cm)
	}
	return d
}
