// Package codeimport reads the metric families a client_golang service defines from its Go code,
// and writes them as a first instruments.yaml, alone or merged with a scrape of the running
// service (internal/promimport, internal/scrape).
//
// A scrape cannot know what only the code says: the order the code declares a family's labels
// in (the catalogue keeps it, and the generated methods take the labels in that order, so a
// call site keeps its values in place when it is swapped), whether a gauge is moved with
// Inc/Dec (an up-down counter) or set, how the buckets were computed, and the families nothing
// has touched yet, which a scrape does not show. So the importer loads and type-checks the
// packages (golang.org/x/tools/go/packages), finds client_golang's constructors where they are
// called (prometheus.New*, promauto.New*, promauto.With(reg).New*, prometheus.V2.New*, and
// prometheus.NewDesc in custom collectors), evaluates their options where they are constants
// (go/types constant values; bucket generators by calling client_golang's own functions), and
// follows each metric from the variable or struct field that holds it to the methods the code
// calls on it, across the packages of the load, by types.Object identity. What the code computes
// at run time is named at its FILE:LINE with what the import did instead.
//
// Decisions, each said in Note where it matters:
//   - kind: a counter stays a counter; a gauge the code only moves (Inc, Dec, Add, Sub) is an
//     updowncounter, one it sets (Set, SetToCurrentTime) a gauge; *Func forms and collectors'
//     const metrics are observable, of the kind their ValueType says.
//   - value_type: int when every recording the importer sees adds or sets a whole number (Inc,
//     Dec, a whole constant, an integer converted to float64), double otherwise, and double for
//     histograms, summaries and observables, whose values are float64 in client_golang. A
//     metric with no recording found is double, client_golang's own number type.
//   - buckets: prometheus.LinearBuckets and ExponentialBuckets with constant arguments are
//     written as the catalogue's linear and exponential forms (which compute exactly as
//     client_golang does; the importer checks the expansion against client_golang's own
//     result), anything else as the list client_golang computes.
package codeimport

import (
	"fmt"
	"go/token"
	"time"

	"github.com/telediag/telediag/internal/catalog"
)

// The import paths of the client_golang packages whose constructors define families.
const (
	promPath       = "github.com/prometheus/client_golang/prometheus"
	promautoPath   = "github.com/prometheus/client_golang/prometheus/promauto"
	collectorsPath = "github.com/prometheus/client_golang/prometheus/collectors"
)

// Note is something the importer could not read from the code, or did differently from what
// the code says, at the place in the code it is about.
type Note struct {
	// Pos is where, relative to the directory the import ran in; Filename is empty when the
	// note is about no single place.
	Pos token.Position
	// Family is the metric family's name, "" when it is not known.
	Family string
	// Msg says what and what the import did instead.
	Msg string
}

// String is "FILE:LINE: metric NAME: message", leaving out what the note lacks.
func (n Note) String() string {
	s := ""
	if n.Pos.Filename != "" {
		s = fmt.Sprintf("%s:%d: ", n.Pos.Filename, n.Pos.Line)
	}
	if n.Family != "" {
		s += "metric " + n.Family + ": "
	}
	return s + n.Msg
}

// Family is one metric family the code defines, with what the importer could evaluate of it.
type Family struct {
	// Name is the fully qualified name, as prometheus.BuildFQName joins the options'.
	Name string
	// Pos is the constructor call.
	Pos token.Position
	// Constructor is how the code calls it: "promauto.NewGaugeVec", "promauto.With(…).NewCounter",
	// "prometheus.NewDesc".
	Constructor string
	// Kind is the catalogue kind the code's use decides.
	Kind catalog.Kind
	// Observable is true for the *Func forms and for collectors' const metrics.
	Observable bool
	// ValueType is int when every recording seen records whole numbers, else double.
	ValueType catalog.ValueType
	// Help is the help string, when HelpKnown.
	Help      string
	HelpKnown bool
	// UnitWord is Opts.Unit (OpenMetrics' UNIT), "" when unset or not a constant.
	UnitWord string
	// Labels are the variable label names in the order the code declares them, when
	// LabelsKnown.
	Labels      []string
	LabelsKnown bool
	// ConstLabels are ConstLabels, sorted by name, when ConstLabelsKnown.
	ConstLabels      []ConstLabel
	ConstLabelsKnown bool
	// Buckets are a histogram's.
	Buckets Buckets
	// Native is a histogram's native buckets as its NativeHistogram* options declare them,
	// defaults applied; nil when client_golang serves none (NativeHistogramBucketFactor not
	// above 1, or computed at run time).
	Native *catalog.Native
	// Summary holds a summary's objectives and window.
	Summary Summary
	// Uses are the recording methods the code calls on the metric, in source order.
	Uses []Use

	state *familyState
}

// ConstLabel is one of a family's ConstLabels.
type ConstLabel struct{ Name, Value string }

// Use is one call of a recording method on a metric (or of a method value taken from it).
type Use struct {
	Method string
	Pos    token.Position
	// Whole is true when the value recorded is a whole number: Inc or Dec, a whole constant,
	// an integer converted to float64.
	Whole bool
}

// The forms a histogram's buckets take in the code.
const (
	BucketsList        = "list"        // a []float64 literal of constants
	BucketsLinear      = "linear"      // prometheus.LinearBuckets(start, width, count)
	BucketsExponential = "exponential" // prometheus.ExponentialBuckets(start, factor, count)
	BucketsRange       = "range"       // prometheus.ExponentialBucketsRange(min, max, count)
	BucketsDefault     = "default"     // prometheus.DefBuckets, or no Buckets at all
	BucketsConst       = "const"       // a collector's const histogram's bucket map
)

// Buckets are a histogram's bucket boundaries as the code declares them.
type Buckets struct {
	// Known is false when the code computes them at run time.
	Known bool
	// Values are the boundaries client_golang computes, when Known.
	Values []float64
	// Form says how the code declares them: one of the Buckets* constants.
	Form string
	// Start, Step and Count are a generator's arguments: Step is linear's width, exponential's
	// factor, or the range's maximum.
	Start, Step float64
	Count       int
	// Expr is the declaration as written, for comments and notes.
	Expr string
}

// Summary is what the code sets of a summary: its quantiles with their allowed errors, and the
// sliding window of observations they are computed over.
type Summary struct {
	// Known is false when the code computes the objectives at run time.
	Known bool
	// Objectives are sorted by quantile; none is a summary of count and sum only.
	Objectives []Objective
	// MaxAge and AgeBuckets are zero when the code leaves them to client_golang's defaults.
	MaxAge     time.Duration
	AgeBuckets uint32
}

// Objective is one quantile and the absolute error allowed on its rank (SummaryOpts.Objectives).
type Objective struct{ Quantile, Error float64 }

// Collected is a family that one of client_golang's own collectors serves, which the code
// creates (collectors.NewBuildInfoCollector serves go_build_info): its series are the
// collector's to make, not the code's to record, so the catalogue lists it under undeclared and
// the service keeps the collector (telemetry.WithCollectors) rather than generating it.
type Collected struct {
	// Name is the family's name; Constructor the call, as "collectors.NewBuildInfoCollector".
	Name, Constructor string
	// Pos is the call.
	Pos token.Position
}

// collectedFamilies are client_golang's collectors whose families a service keeps as they are,
// by constructor in the collectors package: the one family each serves.
var collectedFamilies = map[string]string{
	"NewBuildInfoCollector": "go_build_info",
}

// Code is what the import found in the packages.
type Code struct {
	// Families are the families the code defines, in name order.
	Families []*Family
	// Collected are the families of client_golang's collectors the code creates, the first
	// call of each, in name order.
	Collected []Collected
	// Notes are what the importer could not read, or read differently, in position order.
	Notes []Note
	// Patterns are the package patterns loaded, for the catalogue's header.
	Patterns []string
}

// Family returns the family called name, or nil.
func (c *Code) Family(name string) *Family {
	for _, f := range c.Families {
		if f.Name == name {
			return f
		}
	}
	return nil
}
