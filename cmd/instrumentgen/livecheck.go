package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/telediag/telediag/internal/livecheck"
)

// liveCheckReport is what -json prints: one object, so that a CI step can read it whole.
type liveCheckReport struct {
	Catalog  string              `json:"catalog"`
	Source   string              `json:"source"`
	Families int                 `json:"families"`
	Errors   int                 `json:"errors"`
	Warnings int                 `json:"warnings"`
	Findings []livecheck.Finding `json:"findings"`
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
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: instrumentgen live-check [flags] instruments.yaml URL

Scrape URL (a running service's /metrics; or a file, or - for stdin) and hold it to the
catalogue: declared families that are always served but missing, other types, label names or
buckets, label values outside an enum, and undeclared families are problems (exit 1); a HELP
other than the description is a warning. Exit 2: it could not check.

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
	findings := livecheck.Run(cat, exp.Families)
	rep := liveCheckReport{Catalog: file, Source: exp.Source, Families: len(exp.Families), Findings: findings}
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
		fmt.Fprintf(stdout, "live-check %s against %s: %d families served, %d problem(s), %d warning(s)\n",
			file, exp.Source, rep.Families, rep.Errors, rep.Warnings)
	}
	if livecheck.Failed(findings) {
		return 1
	}
	return 0
}
