// Command instrumentgen validates instruments.yaml and generates the typed OTel instruments of
// package telemetry and the reference in docs/metrics.md from it.
//
// Usage:
//
//	instrumentgen [--root DIR] FILE   validate FILE and (re)write the generated files under DIR
//	instrumentgen --check FILE        validate only
//
// Problems are printed one per line as FILE:LINE: metric NAME: problem, all of them in one run,
// and the exit status is 1. A usage error exits 2. `go generate ./...` runs it through the
// directive in telemetry/doc.go.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "only validate FILE; exit 1 on any problem")
	root := fs.String("root", ".", "repository root the generated paths are relative to")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: instrumentgen [--check] [--root DIR] FILE")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	file := fs.Arg(0)
	cat, err := catalog.Load(file)
	if err != nil {
		var problems catalog.Problems
		if errors.As(err, &problems) {
			for _, p := range problems {
				fmt.Fprintln(stderr, p)
			}
			fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(problems))
		} else {
			fmt.Fprintln(stderr, err)
		}
		return 1
	}
	if *check {
		fmt.Fprintf(stdout, "%s: ok, %d metrics\n", file, len(cat.Metrics))
		return 0
	}
	// The source named in headers is relative to the root, so output does not depend on the
	// directory go generate runs in.
	source, err := filepath.Rel(*root, file)
	if err != nil {
		source = filepath.Base(file)
	}
	files, err := codegen.Generate(cat, filepath.ToSlash(source))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := writeIfChanged(filepath.Join(*root, filepath.FromSlash(p)), files[p]); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	return 0
}

// writeIfChanged leaves an up-to-date file untouched, so go generate does not disturb mtimes
// and build caches.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("instrumentgen: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("instrumentgen: %w", err)
	}
	return nil
}
