package promimport

// What other importers share with this one (internal/codeimport, which reads the families from
// a service's code and merges a scrape into them), so that a family, a label and a unit read
// from the code are written exactly as a scrape's would be. These wrap the unexported helpers
// rather than rename them, so that the scrape importer's own code stays as it is.

// LabelID is the catalogue ID the importer gives an exposed label name: the name itself when it
// is lower snake_case, else a lowered form ([a-z][a-z0-9]*(_[a-z0-9]+)*), which the label then
// declares with key: NAME.
func LabelID(key string) string { return labelID(key) }

// Units reads UCUM units back from unit words and name suffixes, as Import does. Build it once
// per import with NewUnits: the table behind it is some 250 unit words long.
type Units struct{ table unitTable }

// NewUnits builds the table.
func NewUnits() Units { return Units{newUnitTable()} }

// Of is the UCUM unit of the family called name: OpenMetrics' UNIT word (or client_golang's
// Opts.Unit) when it names one, else the name's suffix read back through otlptranslator, as
// Import reads it. found is false when neither says, and unit is then "1".
func (u Units) Of(name, unitWord string, counter bool) (unit string, found bool) {
	units := u.table
	if u, ok := units.fromUnit(unitWord); ok {
		return u, true
	}
	if u, ok := units.fromName(name, counter); ok {
		return u, true
	}
	return "1", false
}

// SeenComment is the comment Import puts above a label's declaration: the values seen, quoted
// and bounded, "" for none.
func SeenComment(values []string) string { return seenComment(values) }

// CleanHelp makes a HELP text or a help string from the code a description the catalogue
// accepts: valid UTF-8, control characters other than line breaks and tabs replaced.
func CleanHelp(help string) string { return cleanHelp(help) }

// LeftOut says why f leaves the family called name out (the flag and the pattern), "" when f
// keeps it: the code importer holds the families it reads from the code to the same -include
// and -exclude.
func (f Filter) LeftOut(name string) string { return f.leftOut(name) }

// DefaultError is the error Import allows on a summary's quantile q, which /metrics does not
// show: a tenth of its distance to 0 or 1, to three significant digits.
func DefaultError(q float64) float64 { return defaultError(q) }
