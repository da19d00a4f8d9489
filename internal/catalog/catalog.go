// Package catalog loads and validates an instruments.yaml: the one declaration of the metric
// families a service serves, those generated from it and those the telemetry pipeline provides.
//
// The loader is strict in the way OTel Collector's mdatagen is: unknown keys, missing fields,
// invalid units, duplicate or colliding names, names the Prometheus exporter would rewrite,
// bad buckets and undeclared or unused labels are all problems, and every problem of a file is
// reported in one run as "FILE:LINE: metric NAME: problem", and carries its metric, label and
// kind as fields for programs. It is the catalogue knowledge every tool shares: the generator
// (internal/codegen), import, live-check, diff and dashboard, deploy's checks of the rules and
// the dashboard, and tests. It is internal: a library user imports generated catalogues, never
// this package.
package catalog

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the instrument kind of a metric family.
type Kind string

// The kinds a metric may declare. A generated summary is served by telediag's pipeline as
// client_golang serves one (the OTel API has no summary instrument; see telemetry/instrument's
// Summary); a provided one by its collector.
const (
	KindCounter       Kind = "counter"
	KindUpDownCounter Kind = "updowncounter"
	KindGauge         Kind = "gauge"
	KindHistogram     Kind = "histogram"
	KindSummary       Kind = "summary"
)

// ValueType is the number type a generated instrument records.
type ValueType string

// The value types of generated instruments.
const (
	ValueInt    ValueType = "int"
	ValueDouble ValueType = "double"
)

// Catalog is a validated instruments.yaml.
type Catalog struct {
	// File is the path the catalogue was read from, as given to Load or Parse.
	File string
	// Labels are the declared labels, in file order.
	Labels []*Label
	// Metrics are the declared metric families, in file order.
	Metrics []*Metric
	// Undeclared are the patterns of families the service serves without declaring them
	// (made at run time, named after what it sees), in file order.
	Undeclared []*Undeclared
}

// Label is a declared label. Metrics refer to it by ID; it is exposed as Key.
type Label struct {
	// ID names the label in the catalogue and in generated Go identifiers.
	ID string
	// Key is the exposed label name; two labels may share a key (Teleport's "type" means a
	// resource type on one metric and a tunnel type on another).
	Key string
	// Description documents the label.
	Description string
	// Enum, when set, is the fixed set of values; the generator makes it a typed string.
	Enum []string
	// Line is where the label is declared.
	Line int
}

// Metric is one declared metric family.
type Metric struct {
	// Name is the exposed name, verbatim: also the OTel instrument name.
	Name string
	// Section groups the metric in the generated documentation.
	Section string
	// Kind is the instrument kind.
	Kind Kind
	// ValueType is int or double; empty for provided metrics.
	ValueType ValueType
	// Observable instruments are read by a callback at collection time.
	Observable bool
	// Unit is a UCUM unit, such as s, By, 1 or {request}.
	Unit string
	// Description is the documented help text.
	Description string
	// Labels are the metric's labels, resolved, in the declared order.
	Labels []*Label
	// Buckets are the explicit histogram bucket boundaries, expanded.
	Buckets []float64
	// BucketsSpec is the bucket declaration as written, for documentation.
	BucketsSpec string
	// Native is a generated histogram's native buckets (native.go), nil when it declares
	// none. A histogram declares buckets, native, or both.
	Native *Native
	// Objectives are a generated summary's quantiles with the absolute error allowed on each
	// rank (client_golang's SummaryOpts.Objectives), sorted by quantile; none means a summary
	// of count and sum only, as in client_golang.
	Objectives []Objective
	// MaxAge is how long an observation counts towards a generated summary's quantiles, and
	// AgeBuckets the number of buckets that window slides by (client_golang's MaxAge and
	// AgeBuckets). Both are the effective values: client_golang's defaults, DefMaxAge and
	// DefAgeBuckets, when the entry does not set them; zero on anything but a generated summary
	// with objectives.
	MaxAge     time.Duration
	AgeBuckets uint32
	// ProvidedBy names the client_golang collector that serves the family; empty for
	// generated instruments.
	ProvidedBy string
	// Line is where the metric's entry begins.
	Line int
	// Lifecycle is what the entry declares about the family's life (lifecycle.go).
	Lifecycle
}

// Objective is one quantile of a summary and the absolute error allowed on its rank: the value
// reported for Quantile is the φ-quantile for some φ within Quantile ± Error.
type Objective struct {
	Quantile, Error float64
}

// The defaults a generated summary with objectives takes when its entry leaves max_age or
// age_buckets out: client_golang's prometheus.DefMaxAge and prometheus.DefAgeBuckets, so that a
// summary moved from client_golang keeps its window. (This package does not import
// client_golang; TestSummaryDefaults holds the two equal.)
const (
	DefaultMaxAge     = 10 * time.Minute
	DefaultAgeBuckets = 5
)

// Quantiles returns the quantiles of m's objectives, in increasing order.
func (m *Metric) Quantiles() []float64 {
	qs := make([]float64, len(m.Objectives))
	for i, o := range m.Objectives {
		qs[i] = o.Quantile
	}
	return qs
}

// Generated reports whether the generator writes an instrument for m.
func (m *Metric) Generated() bool { return m.ProvidedBy == "" }

// PrometheusType is the "# TYPE" the family has on /metrics: up-down counters and gauges are
// both Prometheus gauges.
func (m *Metric) PrometheusType() string {
	switch m.Kind {
	case KindUpDownCounter:
		return string(KindGauge)
	default:
		return string(m.Kind)
	}
}

// Series returns the names of the sample series m is exposed as, which queries select: a
// histogram's _bucket, _sum and _count, a summary's own name, _sum and _count, else its name.
func (m *Metric) Series() []string {
	switch m.Kind {
	case KindHistogram:
		return []string{m.Name + "_bucket", m.Name + "_sum", m.Name + "_count"}
	case KindSummary:
		return []string{m.Name, m.Name + "_sum", m.Name + "_count"}
	default:
		return []string{m.Name}
	}
}

// LabelKeys returns the exposed label names of m in declared order.
func (m *Metric) LabelKeys() []string {
	keys := make([]string, len(m.Labels))
	for i, l := range m.Labels {
		keys[i] = l.Key
	}
	return keys
}

// Metric returns the family called name, or nil.
func (c *Catalog) Metric(name string) *Metric {
	for _, m := range c.Metrics {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Problem is one validation finding, located in the file. Its typed fields say what it is
// about and which rule it breaks, so that a program acts on it (the importer leaves out the
// family a problem names) without reading Msg, which is for people.
type Problem struct {
	File string
	Line int
	// Subject is what the problem is about: the file, one metric entry or one declared label.
	Subject Subject
	// Metric is the name of the metric entry a SubjectMetric problem is about; empty when the
	// entry has no usable name.
	Metric string
	// Label is the ID of the label a SubjectLabel or SubjectEnumValue problem is about.
	Label string
	// Value is the enum value a SubjectEnumValue problem is about.
	Value string
	// Kind is the rule the problem breaks.
	Kind ProblemKind
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Subject is what a Problem is about.
type Subject int

// The subjects of problems.
const (
	// SubjectFile is the file as a whole, or its labels or metrics section.
	SubjectFile Subject = iota
	// SubjectMetric is one entry of metrics, named by Problem.Metric.
	SubjectMetric
	// SubjectLabel is one declared label, named by Problem.Label.
	SubjectLabel
	// SubjectEnumValue is one value of a label's enum (the Go constant generated for it),
	// named by Problem.Label and Problem.Value.
	SubjectEnumValue
	// SubjectUndeclared is one entry of undeclared, named by its pattern in Problem.Value
	// (empty when the entry has none).
	SubjectUndeclared
)

// ProblemKind classifies problems by the rule they break.
type ProblemKind string

// The kinds of problems. Every problem has one; the loader's and the generator's share them.
const (
	// ProblemSyntax: the file is not YAML, or a value is not the mapping, list, string,
	// number or boolean its place wants.
	ProblemSyntax ProblemKind = "syntax"
	// ProblemKey: a key is unknown, repeated, or missing where it is required.
	ProblemKey ProblemKind = "key"
	// ProblemValue: a value is not one its key allows: an unknown kind, an invalid unit, an
	// empty description or enum, a control character, buckets that are not increasing.
	ProblemValue ProblemKind = "value"
	// ProblemName: a metric name, label ID or label key is not kept verbatim by the OTel SDK
	// and the Prometheus exporter, Prometheus reserves it, or it gives no exported Go
	// identifier.
	ProblemName ProblemKind = "name"
	// ProblemDuplicate: a metric, a label or an enum value is declared twice.
	ProblemDuplicate ProblemKind = "duplicate"
	// ProblemCollision: two declarations would be exposed or generated under one name: a
	// series, a label key on one metric, a Go identifier.
	ProblemCollision ProblemKind = "collision"
	// ProblemReference: a metric uses a label that is not declared, or a declared label is
	// used by no metric.
	ProblemReference ProblemKind = "reference"
	// ProblemUnsupported: the declaration is well formed but nothing can serve it: an
	// observable histogram or summary, buckets, objectives or value_type where they do
	// nothing, a catalogue with nothing to generate.
	ProblemUnsupported ProblemKind = "unsupported"
)

// About is the problem's subject as String prints it: "metric NAME", "label ID", `label ID
// value "V"`, `undeclared "PATTERN"`, "metric" or "undeclared" for an entry without a name or
// pattern, or "" for the file.
func (p Problem) About() string {
	switch p.Subject {
	case SubjectMetric:
		if p.Metric == "" {
			return "metric"
		}
		return "metric " + p.Metric
	case SubjectLabel:
		return "label " + p.Label
	case SubjectEnumValue:
		return "label " + p.Label + " value " + strconv.Quote(p.Value)
	case SubjectUndeclared:
		if p.Value == "" {
			return "undeclared"
		}
		return "undeclared " + strconv.Quote(p.Value)
	default:
		return ""
	}
}

// String formats the problem as "FILE:LINE: SUBJECT: problem".
func (p Problem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	if about := p.About(); about != "" {
		b.WriteString(about)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one file, in line order. It is the error Load and Parse
// return when the catalogue is invalid.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
