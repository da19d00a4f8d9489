package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/livecheck"
	"github.com/telediag/telediag/internal/scrape"
)

// liveCheckReport is what -json prints: one object, so that a CI step can read it whole.
type liveCheckReport struct {
	Catalog  string              `json:"catalog"`
	Source   string              `json:"source"`
	Families int                 `json:"families"`
	Errors   int                 `json:"errors"`
	Warnings int                 `json:"warnings"`
	Findings []livecheck.Finding `json:"findings"`
	// Ignored has one entry per undeclared pattern of the catalogue and per -ignore.
	Ignored []livecheck.Ignored `json:"ignored"`
	// Budgets has one entry per served family that declares max_series.
	Budgets []livecheck.Budget `json:"budgets"`
}

// runLiveCheck is `instrumentgen live-check [flags] instruments.yaml URL`: it scrapes URL (or
// reads a file, or - for stdin) and holds it to the catalogue. It prints one line per finding
// naming the family (or one JSON object with -json), and exits 0 when the service conforms
// (warnings allowed), 1 on problems, and 2 when it could not check: usage, an invalid
// catalogue, an unreachable URL, an unparsable answer.
func runLiveCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen live-check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src sourceFlags
	src.register(fs)
	asJSON := fs.Bool("json", false, "print the findings as one JSON object on stdout")
	var ignore patternFlags
	fs.Var(&ignore, "ignore", "do not report served families whose whole name matches this RE2 `REGEX` as undeclared (repeatable); declared families are checked regardless")
	var switches catalog.Switches
	fs.Var((*globFlags)(&switches.Enable), "enable", "the service runs with the enabled: false families whose name matches this `GLOB` enabled (repeatable): check them instead of expecting them absent")
	fs.Var((*globFlags)(&switches.Disable), "disable", "the service runs with the families whose name matches this `GLOB` disabled (repeatable): expect them absent; wins over -enable")
	fs.BoolVar(&switches.ShowHidden, "show-hidden", false, "the service runs with hidden metrics shown: check hidden families instead of expecting them absent")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: instrumentgen live-check [flags] instruments.yaml URL

Scrape URL (a running service's /metrics; or a file, or - for stdin) and hold it to the
catalogue: declared families that are always served but missing, other types, label names or
buckets, native buckets other than native: declares, label values outside an enum, and
undeclared families are problems (exit 1); a HELP other than the description is a warning.
Exit 2: it could not check.

Native histograms show in protobuf only, which live-check asks for first: when the service
answers a text format, native: is not compared, and a warning says so.

Families the service makes at run time are not undeclared when they match one of the
catalogue's undeclared patterns or an -ignore; each pattern's line says which families it
matched.

A renamed family may be served under its name and its renamed_from names. A family disabled
by default (enabled: false) or hidden is expected absent, and served is a problem, unless
-enable or -show-hidden says the service runs with it; -disable expects a family absent. A
family with max_series has its series counted: a warning from 80 % of the budget, a problem
past it.

Flags:`)
		fs.PrintDefaults()
	}
	if code, ok := parseArgs(fs, args, 2, "instruments.yaml and a URL (flags go before them)", stderr); !ok {
		return code
	}
	file, source := fs.Arg(0), fs.Arg(1)
	if err := src.check(source); err != nil {
		fmt.Fprintf(stderr, "instrumentgen live-check: %v\n", err)
		return 2
	}
	cat, err := loadChecked(file, nil)
	if err != nil {
		report(stderr, file, err) // as -check reports it
		fmt.Fprintf(stderr, "instrumentgen live-check: nothing checked\n")
		return 2
	}
	exp, err := src.open(source, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "instrumentgen live-check: could not check: %v\n", err)
		return 2
	}
	for _, note := range exp.Notes() {
		fmt.Fprintf(stderr, "instrumentgen live-check: %s\n", note)
	}
	res := livecheck.RunWith(cat, exp.Families, livecheck.Options{Ignore: ignore, Switches: switches,
		ClassicOnly: !scrape.CarriesNative(exp.Format), Format: string(exp.Format)})
	findings := res.Findings
	rep := liveCheckReport{Catalog: file, Source: exp.Source, Families: len(exp.Families), Findings: findings, Ignored: res.Ignored, Budgets: res.Budgets}
	for _, f := range findings {
		if f.Severity == livecheck.Error {
			rep.Errors++
		} else {
			rep.Warnings++
		}
	}
	if rep.Findings == nil {
		rep.Findings = []livecheck.Finding{} // [] in JSON, not null
	}
	if rep.Ignored == nil {
		rep.Ignored = []livecheck.Ignored{}
	}
	if rep.Budgets == nil {
		rep.Budgets = []livecheck.Budget{}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "instrumentgen live-check: write stdout: %v\n", err)
			return 2
		}
	} else {
		for _, f := range findings {
			where := exp.Source
			if f.Line > 0 {
				where = fmt.Sprintf("%s:%d", file, f.Line)
			}
			prefix := ""
			if f.Severity == livecheck.Warning {
				prefix = "warning: "
			}
			fmt.Fprintf(stdout, "%s: %s%s: %s: %s\n", where, prefix, f.Family, f.Check, f.Message)
		}
		for _, b := range res.Budgets {
			fmt.Fprintln(stdout, budgetLine(file, b))
		}
		ignored := 0
		for _, ig := range res.Ignored {
			fmt.Fprintln(stdout, ignoredLine(file, ig))
			ignored += len(ig.Families)
		}
		fmt.Fprintf(stdout, "live-check %s against %s: %d families served, %d problem(s), %d warning(s)",
			file, exp.Source, rep.Families, rep.Errors, rep.Warnings)
		if len(res.Ignored) > 0 {
			fmt.Fprintf(stdout, ", %d ignored", ignored)
		}
		fmt.Fprintln(stdout)
	}
	if res.Failed() {
		return 1
	}
	return 0
}

// ignoredLine says what one pattern left alone, located where it is written: the catalogue's
// FILE:LINE for an undeclared entry, the flag for an -ignore.
func ignoredLine(file string, ig livecheck.Ignored) string {
	where := fmt.Sprintf("-ignore %q", ig.Pattern)
	if ig.From == livecheck.FromCatalogue {
		where = fmt.Sprintf("%s:%d: undeclared %q", file, ig.Line, ig.Pattern)
	}
	switch len(ig.Families) {
	case 0:
		return where + ": matched no served family the catalogue leaves undeclared"
	case 1:
		return where + ": ignored 1 family: " + ig.ListFamilies()
	default:
		return fmt.Sprintf("%s: ignored %d families: %s", where, len(ig.Families), ig.ListFamilies())
	}
}
