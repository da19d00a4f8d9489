package main

// import's SOURCE arguments, told apart, and the import from a service's code (alone or with
// a scrape), which runImport hands over to as soon as one SOURCE is a Go package pattern.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/codeimport"
	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/tlsflags"
)

// sources are import's SOURCE arguments: Go package patterns, and at most one exposition (a
// URL, a file, or - for stdin).
type sources struct {
	patterns   []string
	exposition string
}

// parseSources parses import's flags and its SOURCE arguments, one or more. It returns false,
// with the exit status, when the command is to stop, as parseArgs does.
func parseSources(fs *flag.FlagSet, args []string, stderr io.Writer) (sources, int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return sources{}, 0, false
		}
		return sources{}, 2, false
	}
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "%s: want one SOURCE or more: a URL, a file, - or Go packages such as ./... (flags go before them); see %s -h\n", fs.Name(), fs.Name())
		return sources{}, 2, false
	}
	var s sources
	for _, arg := range fs.Args() {
		if len(arg) > 1 && arg[0] == '-' {
			fmt.Fprintf(stderr, "%s: %s after SOURCE: flags go before it; see %s -h\n", fs.Name(), arg, fs.Name())
			return sources{}, 2, false
		}
		if !isPackagePattern(arg) {
			if s.exposition != "" {
				fmt.Fprintf(stderr, "%s: two expositions, %q and %q: give one URL, file or -, with as many package patterns as you like; see %s -h\n", fs.Name(), s.exposition, arg, fs.Name())
				return sources{}, 2, false
			}
			s.exposition = arg
			continue
		}
		s.patterns = append(s.patterns, arg)
	}
	return s, 0, true
}

// isPackagePattern tells a Go package pattern from an exposition: a pattern with "...", a
// directory, or a .go file. Anything else is read as an exposition, as import always has, so a
// missing file is reported as one.
func isPackagePattern(arg string) bool {
	if isURL(arg) || arg == "-" {
		return false
	}
	if strings.Contains(arg, "...") || strings.HasSuffix(arg, ".go") {
		return true
	}
	info, err := os.Stat(arg)
	return err == nil && info.IsDir()
}

// runCodeImport is import with package patterns: the families the code defines, with what the
// scrape of the exposition adds when one is given too (codeimport.Import). The exit statuses are
// import's.
func runCodeImport(srcs sources, src *sourceFlags, out string, scrapeOpts promimport.Options, stdin io.Reader, stdout, stderr io.Writer) int {
	const name = "instrumentgen import"
	if srcs.exposition != "" {
		if err := src.check(srcs.exposition); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 2
		}
	} else if src.tls != (tlsflags.Client{}) {
		fmt.Fprintf(stderr, "%s: flags -ca, -cert, -key and -server-name apply to an https URL, and no URL is given\n", name)
		return 2
	}
	if out != "" {
		if _, err := os.Lstat(out); err == nil {
			fmt.Fprintf(stderr, "%s: -o %s exists; refusing to overwrite it (it may hold descriptions written since): remove it or choose another path\n", name, out)
			return 1
		}
	}
	code, err := codeimport.Load(context.Background(), "", srcs.patterns)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	var fams []*dto.MetricFamily
	from := strings.Join(srcs.patterns, " ")
	opts := codeimport.Options{Scrape: scrapeOpts}
	if srcs.exposition != "" {
		exp, err := src.open(srcs.exposition, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", name, err)
			return 1
		}
		for _, note := range exp.Notes() {
			fmt.Fprintf(stderr, "%s: %s\n", name, note)
		}
		// A scrape without families is still a scrape: every family of the code is then
		// named as one nothing has served yet.
		fams = append([]*dto.MetricFamily{}, exp.Families...)
		opts.Source = exp.Source
		from += " and " + exp.Source
	}
	res, err := codeimport.Import(code, fams, opts)
	if res != nil {
		for _, line := range res.Notes {
			fmt.Fprintf(stderr, "%s: %s\n", name, line)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %s: %v\n", name, from, err)
		return 1
	}
	dest := "stdout"
	if out == "" {
		if _, err := stdout.Write(res.YAML); err != nil {
			fmt.Fprintf(stderr, "%s: write stdout: %v\n", name, err)
			return 1
		}
	} else {
		if err := writeNew(out, res.YAML); err != nil {
			fmt.Fprintf(stderr, "%s: -o: %v\n", name, err)
			return 1
		}
		dest = out
	}
	fmt.Fprintf(stderr, "%s: %d metric(s) (%d from the code, %d from the scrape alone) and %d label(s) from %s to %s; write the TODO descriptions, then run instrumentgen -check on it\n",
		name, res.Metrics, res.FromCode, res.FromScrape, res.Labels, from, dest)
	return 0
}
