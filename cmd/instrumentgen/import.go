package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/telediag/telediag/internal/promimport"
)

// runImport is `instrumentgen import [flags] SOURCE...`: it writes an instruments.yaml for what
// SOURCE serves (a URL, a file, or - for stdin) to stdout or -o FILE, names every family it
// leaves out on stderr, and exits 0 when it wrote a catalogue, 1 when it could not (unreachable,
// unparsable, nothing to import, -o in the way) and 2 on a usage error. With Go package
// patterns among the SOURCEs, the code decides and a scrape fills in (runCodeImport).
func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src sourceFlags
	src.register(fs)
	out := fs.String("o", "", "write the catalogue to `FILE` instead of stdout (never over an existing file)")
	runtime := fs.Bool("include-runtime", false, "also list the families telemetry serves itself (client_golang's Go and process collectors', promhttp's, OTel's runtime ones), as provided_by entries")
	var filter promimport.Filter
	fs.Var((*patternFlags)(&filter.Include), "include", "import only the families whose whole name matches this RE2 `REGEX` (repeatable: any of them)")
	fs.Var((*patternFlags)(&filter.Exclude), "exclude", "leave out the families whose whole name matches this RE2 `REGEX` (repeatable), such as those the service makes at run time; wins over -include")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: instrumentgen import [flags] SOURCE...

Write an instruments.yaml for the metric families SOURCE serves: an http(s) URL of a /metrics
(Prometheus text format or OpenMetrics, negotiated as Prometheus does), a file, or - for stdin.
Families that cannot be imported, and those -include and -exclude leave out, are named on
stderr with the reason.

SOURCE may also be Go packages (./..., a directory, a .go file): the families the code defines
with client_golang, with the kinds its use decides, its labels in the order it declares them
and its buckets. Give a URL, file or - too, and the scrape fills in what the code computes at
run time and adds the families only it has:

  instrumentgen import ./... http://127.0.0.1:8080/metrics

Flags:`)
		fs.PrintDefaults()
	}
	srcs, code, ok := parseSources(fs, args, stderr)
	if !ok {
		return code
	}
	if len(srcs.patterns) > 0 {
		return runCodeImport(srcs, &src, *out, promimport.Options{IncludeRuntime: *runtime, Filter: filter}, stdin, stdout, stderr)
	}
	source := srcs.exposition
	if err := src.check(source); err != nil {
		fmt.Fprintf(stderr, "instrumentgen import: %v\n", err)
		return 2
	}
	if *out != "" {
		if _, err := os.Lstat(*out); err == nil {
			fmt.Fprintf(stderr, "instrumentgen import: -o %s exists; refusing to overwrite it (it may hold descriptions written since): remove it or choose another path\n", *out)
			return 1
		}
	}
	exp, err := src.open(source, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "instrumentgen import: %v\n", err)
		return 1
	}
	for _, note := range exp.Notes() {
		fmt.Fprintf(stderr, "instrumentgen import: %s\n", note)
	}
	res, err := promimport.Import(exp.Families, promimport.Options{Source: exp.Source, IncludeRuntime: *runtime, Filter: filter})
	if res != nil {
		for _, line := range res.Report() {
			fmt.Fprintf(stderr, "instrumentgen import: %s\n", line)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "instrumentgen import: %s: %v\n", exp.Source, err)
		return 1
	}
	dest := "stdout"
	if *out == "" {
		if _, err := stdout.Write(res.YAML); err != nil {
			fmt.Fprintf(stderr, "instrumentgen import: write stdout: %v\n", err)
			return 1
		}
	} else {
		if err := writeNew(*out, res.YAML); err != nil {
			fmt.Fprintf(stderr, "instrumentgen import: -o: %v\n", err)
			return 1
		}
		dest = *out
	}
	fmt.Fprintf(stderr, "instrumentgen import: %d metric(s) and %d label(s) from %s to %s; write the TODO descriptions, then run instrumentgen -check on it\n",
		res.Metrics, res.Labels, exp.Source, dest)
	return 0
}
