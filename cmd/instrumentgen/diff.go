package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/catalogdiff"
)

// The exit statuses of `instrumentgen diff`, for CI: a breaking change fails the job, and a
// side that is not a catalogue is told apart from both outcomes.
const (
	diffNoBreaking = 0
	diffBreaking   = 1
	diffInvalid    = 2
)

// diffReport is what `instrumentgen diff -json` prints.
type diffReport struct {
	Old        string `json:"old"`
	New        string `json:"new"`
	Breaking   int    `json:"breaking"`
	Compatible int    `json:"compatible"`
	// Allowed counts the breaking changes that do not fail: those to development or alpha
	// families.
	Allowed int                    `json:"allowed"`
	Changes []catalogdiff.Change   `json:"changes"`
	Queries []catalogdiff.QueryUse `json:"queries,omitempty"`
}

// runDiff is `instrumentgen diff [-json] [-queries DIR] OLD NEW`: every change from OLD to NEW,
// one per line, classified as a query sees it. It exits 0 when nothing breaks (or only
// development and alpha families do), 1 when a beta or stable family breaks, and 2 when a side
// is not a valid catalogue (its problems as -check prints them) or the arguments are wrong.
func runDiff(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object instead of lines")
	queries := fs.String("queries", "", "also list the queries in this directory's rule and dashboard files (.yaml, .yml, .json) that name a family a breaking change touches")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: instrumentgen diff [-json] [-queries DIR] OLD NEW   (- reads one side from stdin)")
		fs.PrintDefaults()
	}
	if code, ok := parseArgs(fs, args, 2, "OLD and NEW catalogues (flags go before them)", stderr); !ok {
		return code
	}
	oldPath, newPath := fs.Arg(0), fs.Arg(1)
	if oldPath == "-" && newPath == "-" {
		fmt.Fprintln(stderr, "instrumentgen diff: only one of OLD and NEW can be - (stdin)")
		return diffInvalid
	}
	if *queries != "" {
		if fi, err := os.Stat(*queries); err != nil || !fi.IsDir() {
			fmt.Fprintf(stderr, "instrumentgen diff: -queries %s: not a directory\n", *queries)
			return diffInvalid
		}
	}
	oldCat, ok := loadSide(oldPath, stdin, stderr)
	newCat, ok2 := loadSide(newPath, stdin, stderr)
	if !ok || !ok2 {
		return diffInvalid
	}

	changes := catalogdiff.Compare(oldCat, newCat)
	rep := diffReport{Old: oldCat.File, New: newCat.File, Changes: changes, Breaking: catalogdiff.CountBreaking(changes)}
	rep.Compatible = len(changes) - rep.Breaking
	rep.Allowed = rep.Breaking - catalogdiff.CountFailing(changes)
	if *queries != "" {
		var touched []string
		for _, c := range changes {
			for _, s := range c.Series {
				if !slices.Contains(touched, s) {
					touched = append(touched, s)
				}
			}
		}
		uses, skipped, err := catalogdiff.FindQueries(*queries, touched)
		if err != nil {
			fmt.Fprintln(stderr, "instrumentgen diff:", err)
			return diffInvalid
		}
		for _, s := range skipped {
			fmt.Fprintln(stderr, s)
		}
		rep.Queries = uses
	}

	if *asJSON {
		if rep.Changes == nil {
			rep.Changes = []catalogdiff.Change{} // [] rather than null: consumers iterate it
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "instrumentgen diff:", err)
			return diffInvalid
		}
	} else {
		for _, c := range changes {
			fmt.Fprintln(stdout, c)
		}
		for _, u := range rep.Queries {
			fmt.Fprintf(stdout, "%s, which a breaking change touches\n", u)
		}
		allowed := ""
		if rep.Allowed > 0 {
			allowed = fmt.Sprintf(" (%d allowed: to development or alpha families)", rep.Allowed)
		}
		fmt.Fprintf(stdout, "%s → %s: %d breaking%s, %d compatible change(s)\n", rep.Old, rep.New, rep.Breaking, allowed, rep.Compatible)
	}
	if rep.Breaking > rep.Allowed {
		return diffBreaking
	}
	return diffNoBreaking
}

// loadSide reads and validates one side of a diff ("-" is stdin), as -check does. Problems go
// to stderr one per line as FILE:LINE: SUBJECT: problem.
func loadSide(path string, stdin io.Reader, stderr io.Writer) (*catalog.Catalog, bool) {
	cat, err := loadChecked(path, stdin)
	if err != nil {
		name := path
		if path == "-" {
			name = stdinName
		}
		report(stderr, name, err)
		return nil, false
	}
	return cat, true
}
