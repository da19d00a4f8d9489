package main

// What the subcommands share: argument parsing, loading a catalogue and reporting its
// problems, reading an exposition, and writing outputs. Each subcommand's file (main.go for
// generation, import.go, livecheck.go, diff.go, dashboard.go) depends on this file and on no
// other.
//
// Exit statuses: 0 when a subcommand did its job, 2 on a usage error (parseArgs, a bad flag or
// file), and 1 for anything else that stopped it (an invalid catalogue, an unreachable source,
// an output that cannot be written). diff and live-check are the exceptions, as their result
// is itself a verdict for CI: 1 is the verdict (a breaking change, a service that does not
// conform) and 2 means they could not reach one; their doc comments say so.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
	"github.com/telediag/telediag/internal/scrape"
	"github.com/telediag/telediag/internal/tlsflags"
)

// parseArgs parses a subcommand's flags and wants n arguments after them, described by want. It
// returns false, with the exit status, when the command is to stop: 0 after -h, 2 on a usage
// error (the flag package or the one line written here names it).
func parseArgs(fs *flag.FlagSet, args []string, n int, want string, stderr io.Writer) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, false
		}
		return 2, false
	}
	if fs.NArg() != n {
		fmt.Fprintf(stderr, "%s: want %s, got %d argument(s) %q; see %s -h\n", fs.Name(), want, fs.NArg(), fs.Args(), fs.Name())
		return 2, false
	}
	return 0, true
}

// report prints a load or generation error, one problem per line.
func report(stderr io.Writer, file string, err error) int {
	var problems catalog.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintln(stderr, p)
		}
		fmt.Fprintf(stderr, "%s: %d problem(s)\n", file, len(problems))
		return 1
	}
	fmt.Fprintln(stderr, err)
	return 1
}

// stdinName names the catalogue read from standard input ("-") in problems.
const stdinName = "stdin"

// loadChecked reads the catalogue at path ("-" reads stdin, named stdinName) and checks it as
// generation does (codegen.Build). Every subcommand loads its catalogue through it, so that
// each accepts exactly what -check accepts and reports the same problems.
func loadChecked(path string, stdin io.Reader) (*catalog.Catalog, error) {
	name, data, err := readSource(path, stdin)
	if err != nil {
		return nil, err
	}
	cat, _, err := codegen.Build(name, data, codegen.CheckOptions(name))
	return cat, err
}

// readSource reads path, or stdin for "-", and returns the name problems give it.
func readSource(path string, stdin io.Reader) (name string, data []byte, err error) {
	if path == "-" {
		if stdin == nil {
			return stdinName, nil, errors.New("instrumentgen: - (stdin) is not accepted here")
		}
		data, err = io.ReadAll(stdin)
		if err != nil {
			return stdinName, nil, fmt.Errorf("instrumentgen: read stdin: %w", err)
		}
		return stdinName, data, nil
	}
	data, err = os.ReadFile(path)
	if err != nil {
		return path, nil, fmt.Errorf("instrumentgen: read %s: %w", path, unwrapPath(err))
	}
	return path, data, nil
}

// unwrapPath drops the *os.PathError wrapping, whose "open FILE:" repeats the name.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// defaultFetchTimeout bounds a scrape by import and live-check: Prometheus's default
// scrape_timeout.
const defaultFetchTimeout = 10 * time.Second

// sourceFlags are the flags of the subcommands that read an exposition: -timeout and the TLS
// flags `telediag probe` has.
type sourceFlags struct {
	timeout  time.Duration
	textOnly bool
	tls      tlsflags.Client
	// url and client are check's for a URL source: the URL parsed, and the TLS files read, once.
	url    *url.URL
	client *http.Client
}

// register adds the flags to fs.
func (s *sourceFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&s.timeout, "timeout", defaultFetchTimeout, "give up on a URL after this long (connection, TLS, request and body)")
	fs.BoolVar(&s.textOnly, "text", false, "ask a URL for the Prometheus text format only, not OpenMetrics first as Prometheus does:\nexpfmt decodes OpenMetrics at about 1 ms a line, the text format ~400 times faster (units then come from the names)")
	s.tls.Register(fs)
}

// check validates the flags for source before anything is read: a usage error. For a URL it
// also builds the client open fetches it with, reading the TLS files now, so that a bad one is
// a usage error and not a failed scrape.
func (s *sourceFlags) check(source string) error {
	if s.timeout <= 0 {
		return fmt.Errorf("invalid value %v for flag -timeout: must be positive", s.timeout)
	}
	if !isURL(source) {
		if scheme, _, ok := strings.Cut(source, "://"); ok && !strings.ContainsAny(scheme, "/\\") {
			return fmt.Errorf("%q: unsupported scheme %q; SOURCE is an http or https URL, a file, or - for stdin", source, scheme)
		}
		if s.tls != (tlsflags.Client{}) {
			return fmt.Errorf("flags -ca, -cert, -key and -server-name apply to https URLs only, and %q is not a URL", source)
		}
		return nil
	}
	u, err := tlsflags.ParseURL(source)
	if err != nil {
		return err
	}
	client, err := s.tls.HTTPClient(u)
	if err != nil {
		return err
	}
	s.url, s.client = u, client
	return nil
}

// open reads source, which check accepted: a URL scraped as Prometheus does, a file, or "-"
// for stdin.
func (s *sourceFlags) open(source string, stdin io.Reader) (*scrape.Exposition, error) {
	if s.url == nil {
		return scrape.Open(source, stdin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	formats := scrape.PrometheusFormats
	if s.textOnly {
		formats = scrape.TextFormat
	}
	exp, err := scrape.Fetch(ctx, s.client, s.url, formats)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, fmt.Errorf("%w (no answer within -timeout %v)", err, s.timeout)
	}
	return exp, err
}

// isURL reports whether source is fetched over HTTP rather than read as a file.
func isURL(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

// relSlash is target relative to dir, with forward slashes, for headers and links that must not
// depend on where instrumentgen runs.
func relSlash(dir, target string) string {
	abs, err := filepath.Abs(target)
	if err != nil {
		return filepath.ToSlash(target)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(rel)
}

// writeNew writes data to path, which must not exist (O_EXCL, so that a file created since the
// check above is not overwritten either), creating the directories it needs: a catalogue is
// usually imported into a package that does not exist yet. A failed write removes what it wrote,
// the directories included.
func writeNew(path string, data []byte) (err error) {
	created, err := mkdirParents(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer func() {
		if err != nil && created != "" {
			os.RemoveAll(created)
		}
	}()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// mkdirParents creates dir and its missing parents, and returns the outermost directory it
// created ("" when dir existed), so that a failure after it can take them away again.
func mkdirParents(dir string) (string, error) {
	outermost := ""
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		outermost = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if outermost == "" {
		return "", nil
	}
	return outermost, os.MkdirAll(dir, 0o755)
}

// writeIfChanged leaves an up-to-date file untouched, so go generate does not disturb mtimes
// and build caches.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// patternFlags is a repeatable flag of family-name patterns (live-check's -ignore, import's
// -include and -exclude): each use adds a catalog.Pattern, an RE2 expression matched against
// whole family names. It is compiled as the flag is parsed, so that a bad one is a usage error
// that the flag package reports with the flag's name.
type patternFlags []catalog.Pattern

// String lists the patterns as given, for the flag package's defaults.
func (p *patternFlags) String() string {
	if p == nil {
		return ""
	}
	parts := make([]string, len(*p))
	for i, pat := range *p {
		parts[i] = pat.String()
	}
	return strings.Join(parts, ", ")
}

// Set adds one pattern.
func (p *patternFlags) Set(expr string) error {
	pat, err := catalog.CompilePattern(expr)
	if err != nil {
		return err
	}
	*p = append(*p, pat)
	return nil
}
