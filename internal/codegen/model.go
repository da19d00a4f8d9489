package codegen

import (
	"fmt"
	"go/token"
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
	Enums      []enum
	Metrics    []metricModel // generated instruments, in file order
	Sections   []section     // every metric, for the docs
	Labels     []*catalog.Label
	Generated  int
	Provided   int
}

type enum struct {
	Type   string
	Label  *catalog.Label
	Values []enumValue
}

type enumValue struct{ Const, Value string }

type param struct {
	Name   string // Go parameter name
	Type   string // Go type: string or the enum type
	Key    string // exposed label key
	Enum   bool
	Sample string // a Go expression of a valid value, for the generated test
	Doc    string
}

type metricModel struct {
	*catalog.Metric
	Type       string // Go type name, e.g. BackendReadSeconds
	Inst       string // OTel API interface, e.g. Float64Histogram
	NoopInst   string // its no-op twin in metric/noop
	OptType    string // e.g. Float64HistogramOption
	ValType    string // int64 or float64
	Method     string // Add or Record
	ArgName    string // incr or val
	RecOpt     string // AddOption or RecordOption
	Observe    string // ObserveInt64 or ObserveFloat64
	Params     []param
	ParamList  string // "component string, op OpAttr"
	ArgList    string // "component, op"
	SampleArgs string // "\"example\", OpGet"
	Buckets    string // Go literal list, e.g. 0.001, 0.002
	Batched    bool   // a synchronous counter or up-down counter: instrument.Counter batches its adds
	Wrapper    string // the telemetry/instrument type behind a labelled instrument: Counter or Recorder
	KeyType    string // the series key, e.g. [2]string
	KeyArgs    string // the key's elements, e.g. component, string(op)
	Sample     string // a plausible sample value
	KindText   string // for doc comments
	DataKind   string // what an SDK reader collects: counter, updowncounter, gauge or histogram
	SortedKeys string // the exposed label keys, sorted and comma-separated
}

type section struct {
	Name    string
	Metrics []docMetric
}

type docMetric struct {
	*catalog.Metric
	Labels  string
	Buckets string
	Source  string
}

// reservedIdents are the identifiers every generated package declares besides its metrics'.
var reservedIdents = []string{"Instruments", "NewInstruments", "ScopeName"}

func newModel(c *catalog.Catalog, opts Options) (*model, error) {
	m := &model{Source: opts.Source, DocsSource: opts.DocsSource, Package: opts.Package, Scope: opts.Scope, Labels: c.Labels}
	var problems catalog.Problems
	idents := map[string]string{} // Go identifier → what declared it, to catch collisions
	for _, r := range reservedIdents {
		idents[r] = "the generated package itself"
	}
	// claim records that line/subject generates ident, reporting an identifier that is not
	// valid Go or that something else generates too.
	claim := func(ident string, line int, subject string) bool {
		where := fmt.Sprintf("%s:%d: %s", c.File, line, subject)
		if !token.IsIdentifier(ident) || !token.IsExported(ident) {
			problems = append(problems, catalog.Problem{File: c.File, Line: line, Subject: subject,
				Msg: fmt.Sprintf("gives %q, which is not an exported Go identifier; rename it", ident)})
			return false
		}
		if prev, ok := idents[ident]; ok {
			problems = append(problems, catalog.Problem{File: c.File, Line: line, Subject: subject,
				Msg: fmt.Sprintf("Go identifier %s is also generated for %s; rename one of them", ident, prev)})
			return false
		}
		idents[ident] = where
		return true
	}
	for _, l := range c.Labels {
		if len(l.Enum) == 0 {
			continue
		}
		e := enum{Type: enumTypeName(l), Label: l}
		subject := "label " + l.ID
		claim(e.Type, l.Line, subject)
		for _, v := range l.Enum {
			ev := enumValue{Const: enumConstName(l, v), Value: v}
			claim(ev.Const, l.Line, subject+" value "+strconv.Quote(v))
			e.Values = append(e.Values, ev)
		}
		m.Enums = append(m.Enums, e)
	}
	secIndex := map[string]int{}
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
		mm := metricOf(cm)
		for _, ident := range []string{mm.Type, "New" + mm.Type, mm.Type + "Bound", mm.Type + "Observer"} {
			if !claim(ident, cm.Line, "metric "+cm.Name) {
				break
			}
		}
		m.Metrics = append(m.Metrics, mm)
	}
	if len(problems) > 0 {
		sort.SliceStable(problems, func(i, j int) bool { return problems[i].Line < problems[j].Line })
		return nil, problems
	}
	return m, nil
}

func metricOf(cm *catalog.Metric) metricModel {
	mm := metricModel{Metric: cm, Type: exportedName(cm.Name)}
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
		mm.Inst, mm.Method, mm.ArgName, mm.RecOpt, mm.KindText = prefix+obs+"Counter", "Add", "incr", "AddOption", "counter"
	case catalog.KindUpDownCounter:
		mm.Inst, mm.Method, mm.ArgName, mm.RecOpt, mm.KindText = prefix+obs+"UpDownCounter", "Add", "incr", "AddOption", "up-down counter (exposed as a gauge)"
	case catalog.KindGauge:
		mm.Inst, mm.Method, mm.ArgName, mm.RecOpt, mm.KindText = prefix+obs+"Gauge", "Record", "val", "RecordOption", "gauge"
	case catalog.KindHistogram:
		mm.Inst, mm.Method, mm.ArgName, mm.RecOpt, mm.KindText = prefix+"Histogram", "Record", "val", "RecordOption", "histogram"
	}
	if cm.Observable {
		mm.KindText = "observable " + mm.KindText
	}
	mm.DataKind = string(cm.Kind)
	mm.NoopInst, mm.OptType = mm.Inst, mm.Inst+"Option"
	var names, args, samples []string
	for _, l := range cm.Labels {
		p := param{Name: paramName(l.ID), Type: "string", Key: l.Key, Sample: strconv.Quote("example"), Doc: l.Description}
		if len(l.Enum) > 0 {
			p.Type, p.Enum = enumTypeName(l), true
			p.Sample = enumConstName(l, l.Enum[0])
		}
		mm.Params = append(mm.Params, p)
		names = append(names, p.Name+" "+p.Type)
		args = append(args, p.Name)
		samples = append(samples, p.Sample)
	}
	mm.ParamList, mm.ArgList, mm.SampleArgs = strings.Join(names, ", "), strings.Join(args, ", "), strings.Join(samples, ", ")
	keys := cm.LabelKeys()
	sort.Strings(keys)
	mm.SortedKeys = strings.Join(keys, ",")
	if !cm.Observable {
		mm.Batched = cm.Kind == catalog.KindCounter || cm.Kind == catalog.KindUpDownCounter
		mm.Wrapper = "Recorder"
		if mm.Batched {
			mm.Wrapper = "Counter"
		}
		mm.KeyType = fmt.Sprintf("[%d]string", len(mm.Params))
		keys := make([]string, len(mm.Params))
		for i, p := range mm.Params {
			keys[i] = p.Name
			if p.Enum {
				keys[i] = "string(" + p.Name + ")"
			}
		}
		mm.KeyArgs = strings.Join(keys, ", ")
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
	return d
}
