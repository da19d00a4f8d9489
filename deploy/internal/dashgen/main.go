// Command dashgen writes telediag's Grafana dashboard for Teleport's catalogue: the generic
// dashboard (internal/dashboard, also `instrumentgen dashboard`) plus Teleport's extension
// (teleportdash):
//
//	go run ./internal/dashgen -catalog ../instruments.yaml -out grafana/telediag.json
//
// deploy's `go generate` runs it. A catalogue it cannot use is reported as FILE:LINE: problem.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/telediag/telediag/deploy/internal/teleportdash"
	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/dashboard"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("dashgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	catPath := fs.String("catalog", "", "the catalogue, instruments.yaml")
	out := fs.String("out", "", "the dashboard JSON to write")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *catPath == "" || *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: dashgen -catalog instruments.yaml -out dashboard.json")
		return 2
	}
	if err := generate(*catPath, *out); err != nil {
		fmt.Fprintf(stderr, "dashgen: %v\n", err)
		return 1
	}
	return 0
}

// generate writes the dashboard for the catalogue at catPath to out, leaving out untouched
// (and its modification time with it) when its bytes would not change.
func generate(catPath, out string) error {
	cat, err := catalog.Load(catPath)
	if err != nil {
		return err
	}
	d, err := teleportdash.Build(cat)
	if err != nil {
		return err
	}
	b, err := dashboard.Marshal(d)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, b) {
		return nil
	}
	return os.WriteFile(out, b, 0o644)
}
