package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"

	"github.com/telediag/telediag/internal/migrate"
)

// runMigrate is `instrumentgen migrate [-fix] [-catalog FILE] PATTERN...`: it rewrites the
// client_golang metrics of the packages PATTERN names into the catalogue's generated
// instruments (package internal/migrate). Without -fix it prints what it would rewrite and
// what it refuses, one FILE:LINE:COL line each, and exits 1 when there is any, 0 when there is
// none. With -fix it applies the rewrites, writes the catalogue package's instruments_default.go
// when it needs it, prints what it refused, and exits 1 when anything was refused, 0 when
// nothing was. It exits 2 on bad usage, a catalogue it cannot use, or packages that do not load.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fix := fs.Bool("fix", false, "apply the rewrites, and print only what was refused")
	catFile := fs.String("catalog", "", "the catalogue (default: the instruments.yaml whose generated package the packages import, or the only one in their module)")
	genDir := fs.String("generated", "", "the directory of the package generated from the catalogue, as instrumentgen -o was given it (default: beside the catalogue, or where a //go:generate line of its module generates it)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: instrumentgen migrate [-fix] [-catalog FILE [-generated DIR]] PATTERN...

Rewrite the client_golang metrics of the packages PATTERN names (as go build takes them) into
the catalogue's generated instruments: definitions, WithLabelValues and With with the labels in
the catalogue's order, Inc/Dec/Add/Sub/Observe/Set into Add and Record, kept children into Bind,
DeleteLabelValues/Delete/DeletePartialMatch/Reset into their generated counterparts,
prometheus.NewTimer into time.Now and Record, the types that carry them, and the registry and promhttp wiring into telemetry.New and
tel.Handler(). What it cannot rewrite it prints with the reason, and leaves on client_golang.
Exit 1: something to rewrite or refused (with -fix: refused); 2: it could not run.

Flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%s: want one or more package patterns, such as ./...; see %s -h\n", fs.Name(), fs.Name())
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "instrumentgen migrate: %v\n", err)
		return 2
	}
	pkgs, err := migrate.Load("", nil, fs.Args()...)
	if err != nil {
		return fail(err)
	}
	file := *catFile
	if file == "" {
		if file, err = migrate.FindCatalogue(pkgs); err != nil {
			return fail(err)
		}
	}
	cat, err := loadChecked(file, nil)
	if err != nil {
		report(stderr, file, err)
		return fail(fmt.Errorf("%s is not a valid catalogue; nothing rewritten", file))
	}
	var target *migrate.Target
	if *genDir != "" {
		target, err = migrate.TargetIn(cat, *genDir, nil)
	} else {
		target, err = migrate.TargetFor(cat, nil)
	}
	if err != nil {
		return fail(err)
	}
	plan, err := migrate.NewPlan(target, pkgs)
	if err != nil {
		return fail(err)
	}
	a, err := migrate.New(target, plan)
	if err != nil {
		return fail(err)
	}
	graph, err := checker.Analyze([]*analysis.Analyzer{a}, pkgs, nil)
	if err != nil {
		return fail(err)
	}
	var diags []analysis.Diagnostic
	seen := map[string]bool{}
	fset := pkgs[0].Fset
	for _, act := range graph.Roots {
		if act.Err != nil {
			return fail(fmt.Errorf("%s: %w", act.Package.PkgPath, act.Err))
		}
		for _, d := range act.Diagnostics {
			// A package and its test variant share files: one diagnostic each.
			k := fmt.Sprintf("%s %s", fset.Position(d.Pos), d.Message)
			if !seen[k] {
				seen[k] = true
				diags = append(diags, d)
			}
		}
	}
	sort.SliceStable(diags, func(i, j int) bool {
		pi, pj := fset.Position(diags[i].Pos), fset.Position(diags[j].Pos)
		if pi.Filename != pj.Filename {
			return pi.Filename < pj.Filename
		}
		return pi.Offset < pj.Offset
	})
	line := func(d analysis.Diagnostic) string {
		p := fset.Position(d.Pos)
		return fmt.Sprintf("%s:%d:%d: %s", relPath(p.Filename), p.Line, p.Column, d.Message)
	}
	if !*fix {
		for _, d := range diags {
			fmt.Fprintln(stdout, line(d))
		}
		if len(diags) > 0 {
			return 1
		}
		return 0
	}
	var refused, dropped []string
	fixes := 0
	for _, d := range diags {
		switch {
		case len(d.SuggestedFixes) == 0:
			refused = append(refused, line(d))
		case d.Category == migrate.CategoryDropped:
			dropped = append(dropped, line(d))
			fixes++
		default:
			fixes++
		}
	}
	if fixes > 0 {
		support, err := migrate.EnsureSupportFile(target)
		if err != nil {
			return fail(err)
		}
		if support != "" {
			fmt.Fprintf(stderr, "instrumentgen migrate: wrote %s (Default and SetDefault)\n", relPath(support))
		}
		fixed, err := migrate.ApplyFixes(fset, diags, os.ReadFile)
		if err != nil {
			return fail(err)
		}
		files := make([]string, 0, len(fixed.Files))
		for f := range fixed.Files {
			files = append(files, f)
		}
		sort.Strings(files)
		for _, f := range files {
			if err := os.WriteFile(f, fixed.Files[f], 0o644); err != nil {
				return fail(err)
			}
		}
		for _, s := range fixed.Skipped {
			refused = append(refused, s+" (overlaps another rewrite: run migrate -fix again)")
		}
		// A rewrite that drops what the catalogue cannot carry is said even here, where no
		// other rewrite is.
		for _, d := range dropped {
			fmt.Fprintf(stderr, "instrumentgen migrate: %s\n", d)
		}
		fmt.Fprintf(stderr, "instrumentgen migrate: %d rewrite(s) in %d file(s)\n", fixes-len(fixed.Skipped), len(files))
	}
	for _, r := range refused {
		fmt.Fprintln(stdout, r)
	}
	if len(refused) > 0 {
		fmt.Fprintf(stderr, "instrumentgen migrate: %d left on client_golang, with the reasons above\n", len(refused))
		return 1
	}
	return 0
}

// relPath is path relative to the working directory when it is below it.
func relPath(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
