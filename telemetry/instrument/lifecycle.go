package instrument

// Stability is how firmly a catalogue promises a metric's name, type, labels and buckets:
// the stability key of instruments.yaml (docs/catalogue.md, "Lifecycle").
type Stability string

// The stability levels, from the least to the most promised.
const (
	StabilityDevelopment Stability = "development"
	StabilityAlpha       Stability = "alpha"
	StabilityBeta        Stability = "beta"
	StabilityStable      Stability = "stable"
)

// Lifecycle is what a catalogue declares about the life of one generated metric. A generated
// package exposes it for each metric type (its Lifecycle method) and for all of them (the
// package's Lifecycle function), so that the pipeline can honour it at run time without
// knowing the catalogue: serve the old names of a renamed metric from its cell, leave out
// hidden and disabled metrics unless the operator asks for them, and hold each metric to its
// series budget. docs/catalogue.md, "Lifecycle", is the contract; what of it the pipeline
// already does is said there.
//
// The fields are flat, and the generated literal always writes every one of them, so that
// the generated code names the same identifiers whatever the catalogue.
type Lifecycle struct {
	// Name is the metric's exposed name, its OTel instrument name.
	Name string
	// Stability is the declared level; stable when the catalogue declares none.
	Stability Stability
	// DeprecatedSince is the version that deprecated the metric; empty when it is not
	// deprecated. A deprecated metric's description (its HELP) already begins
	// "(Deprecated since VERSION) ".
	DeprecatedSince string
	// DeprecationNote says why, or what to use instead; may be empty.
	DeprecationNote string
	// ReplacedBy names the metric that replaces a deprecated one; may be empty.
	ReplacedBy string
	// Hidden metrics are deprecated ones that are not served unless the operator shows
	// hidden metrics.
	Hidden bool
	// Enabled is the metric's default state: a metric that is not enabled is not served
	// unless the operator enables it.
	Enabled bool
	// RenamedFrom are old names the metric keeps serving from the same cell, each with the
	// HELP RenamedHelp gives.
	RenamedFrom []string
	// MaxSeries is the metric's cardinality budget, its most series; 0 when the catalogue
	// declares none and the pipeline's limit applies.
	MaxSeries int
}

// Deprecated reports whether the metric is deprecated.
func (l Lifecycle) Deprecated() bool { return l.DeprecatedSince != "" }

// RenamedHelp is the HELP of an old name of the metric called newName, whose own HELP (its
// description) is help. It is internal/catalog's RenamedHelp, which live-check holds a service
// to; a test keeps the two the same.
func RenamedHelp(newName, help string) string {
	return "(Deprecated: renamed to " + newName + ") " + help
}
