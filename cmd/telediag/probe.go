package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/telediag/telediag/internal/tlsflags"
)

// defaultProbeTimeout bounds `telediag probe` unless --timeout says otherwise: Kubernetes'
// default probe timeout (timeoutSeconds: 1). Keep it below the probe's timeoutSeconds, so that
// telediag gives up, and says why, before the kubelet kills it.
const defaultProbeTimeout = time.Second

// probeConfig is the parsed command line of `telediag probe`.
type probeConfig struct {
	url     *url.URL
	timeout time.Duration
	// client fetches url: the TLS flags' files are read into it.
	client *http.Client
}

// parseProbeFlags reads `telediag probe [flags] URL`; flags may also follow the URL. It reads
// the TLS flags' files too, so that a bad flag or file is refused before anything is sent.
func parseProbeFlags(args []string, stderr io.Writer) (*probeConfig, error) {
	cfg := &probeConfig{}
	var tlsFlags tlsflags.Client
	fs := flag.NewFlagSet("telediag probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.timeout, "timeout", defaultProbeTimeout, "give up after this long (connection, TLS, request and answer)")
	tlsFlags.Register(fs)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stderr)
				fmt.Fprintln(stderr, "usage: telediag probe [flags] URL\n\nGET URL; exit 0 on HTTP 200, 1 otherwise, with one line saying why.")
				fs.PrintDefaults()
			}
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch len(rest) {
	case 0:
		return nil, errors.New("probe needs a URL, e.g. telediag probe http://127.0.0.1:3000/readyz")
	case 1:
	default:
		return nil, fmt.Errorf("probe takes one URL, got %d: %q", len(rest), rest)
	}
	u, err := tlsflags.ParseURL(rest[0])
	if err != nil {
		return nil, fmt.Errorf("probe %w", err)
	}
	cfg.url = u
	if cfg.timeout <= 0 {
		return nil, fmt.Errorf("invalid value %v for flag -timeout: must be positive", cfg.timeout)
	}
	if cfg.client, err = tlsFlags.HTTPClient(u); err != nil {
		return nil, err
	}
	// A probe reports a redirect (a login page, a moved endpoint) instead of judging wherever
	// it leads.
	cfg.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return cfg, nil
}

// runProbe is `telediag probe`: GET the URL, exit 0 on 200 and 1 otherwise, with one line
// saying why (stdout on success, stderr on failure). Bad flags or files exit 2 before anything
// is sent. Usable as a Kubernetes exec probe or a Docker HEALTHCHECK in an image without curl.
func runProbe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseProbeFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "telediag probe: %v (see telediag probe -h)\n", err)
		return 2
	}
	line, ok := probe(ctx, cfg.client, cfg.url, cfg.timeout)
	if ok {
		fmt.Fprintf(stdout, "telediag probe: %s\n", line)
		return 0
	}
	fmt.Fprintf(stderr, "telediag probe: %s\n", line)
	return 1
}

// probe sends one GET and returns the line to print and whether the answer was 200.
func probe(ctx context.Context, client *http.Client, u *url.URL, timeout time.Duration) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := "GET " + u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Sprintf("%s: %v", target, err), false
	}
	req.Header.Set("User-Agent", "telediag-probe")
	resp, err := client.Do(req)
	if err != nil {
		err = tlsflags.WithoutURL(err)
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("%s: no answer within %v (-timeout)", target, timeout), false
		}
		if errors.Is(err, io.EOF) && u.Scheme == "http" {
			return fmt.Sprintf("%s: connection closed without an answer (%v); does the server want https?", target, err), false
		}
		return fmt.Sprintf("%s: %v", target, err), false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil && resp.StatusCode == http.StatusOK {
		return fmt.Sprintf("%s: HTTP 200 but the body failed: %v", target, err), false
	}
	line := fmt.Sprintf("%s: HTTP %d", target, resp.StatusCode)
	if loc := resp.Header.Get("Location"); loc != "" {
		line += " (redirect to " + loc + ", not followed)"
	}
	if snippet := oneLine(body, 200); snippet != "" {
		line += ": " + snippet
	}
	return line, resp.StatusCode == http.StatusOK
}

// oneLine squeezes b's whitespace to single spaces and cuts it to at most n bytes, so that a
// body fits on the probe's one line.
func oneLine(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
