package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/scrape"
	"github.com/telediag/telediag/internal/tlsflags"
)

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

func isURL(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

// runImport is `instrumentgen import [flags] SOURCE`: it writes an instruments.yaml for what
// SOURCE serves (a URL, a file, or - for stdin) to stdout or -o FILE, names every family it
// leaves out on stderr, and exits 0 when it wrote a catalogue, 1 when it could not (unreachable,
// unparsable, nothing to import, -o in the way) and 2 on a usage error.
func runImport(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("instrumentgen import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var src sourceFlags
	src.register(fs)
	out := fs.String("o", "", "write the catalogue to `FILE` instead of stdout (never over an existing file)")
	runtime := fs.Bool("include-runtime", false, "also list the go_*, process_* and promhttp_* families, as provided_by entries (telemetry serves them itself)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: instrumentgen import [flags] SOURCE

Write an instruments.yaml for the metric families SOURCE serves: an http(s) URL of a /metrics
(Prometheus text format or OpenMetrics, negotiated as Prometheus does), a file, or - for stdin.
Families that cannot be imported are named on stderr with the reason.

Flags:`)
		fs.PrintDefaults()
	}
	if code, ok := parseArgs(fs, args, 1, "one SOURCE (flags go before it)", stderr); !ok {
		return code
	}
	source := fs.Arg(0)
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
	res, err := promimport.Import(exp.Families, promimport.Options{Source: exp.Source, IncludeRuntime: *runtime})
	if res != nil {
		for _, s := range res.Skipped {
			fmt.Fprintf(stderr, "instrumentgen import: left out %s\n", s)
		}
		if res.Runtime > 0 {
			fmt.Fprintf(stderr, "instrumentgen import: left out %d runtime families (go_*, process_*, promhttp_*): telemetry serves them itself; -include-runtime lists them\n", res.Runtime)
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

// writeNew writes data to path, which must not exist (O_EXCL, so that a file created since the
// check above is not overwritten either); a failed write removes what it wrote.
func writeNew(path string, data []byte) error {
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
