package probes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
)

// Checker is one named health check, in the spirit of kube-apiserver's
// healthz.HealthChecker. A [Runner] calls it every heartbeat interval and
// reports the result to a [Monitor] as a heartbeat of the component named
// Name; a [Liveness] calls it on every /livez request.
//
// Unlike healthz.HealthChecker, Check takes a context rather than the HTTP
// request: a heartbeat has no request, and the context carries the timeout
// that bounds the check.
type Checker interface {
	// Name identifies the check: the readiness component it reports as,
	// or its entry in /livez?verbose. See ValidateName.
	Name() string
	// Check returns nil when the checked thing is healthy and an error
	// saying what is wrong otherwise. It must return promptly once ctx is
	// done: a check that ignores ctx holds up its heartbeat loop.
	Check(ctx context.Context) error
}

// nameRE keeps names usable as one path segment (/readyz/{component},
// /livez/{check}) and in logs without quoting.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// ValidateName reports whether name can name a check: 1 to 63 letters,
// digits, '.', '_' or '-', starting with a letter or digit, so that it is
// one path segment of /readyz/{component} or /livez/{check}.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("name %q must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// NamedCheck adapts a function to a Checker, as kube-apiserver's
// healthz.NamedCheck does. The name is validated where the check is used
// (NewRunner, NewLiveness), so that this adapter cannot fail.
func NamedCheck(name string, check func(ctx context.Context) error) Checker {
	return funcCheck{name: name, fn: check}
}

type funcCheck struct {
	name string
	fn   func(context.Context) error
}

func (c funcCheck) Name() string { return c.name }
func (c funcCheck) Check(ctx context.Context) error {
	if c.fn == nil {
		return errors.New("probes: NamedCheck was given a nil function")
	}
	return c.fn(ctx)
}

// NewTCPCheck returns a check that succeeds when a TCP connection to
// address (host:port) can be opened, and closes it at once. It fails if
// name or address is malformed.
func NewTCPCheck(name, address string) (Checker, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("probes: tcp check: %w", err)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("probes: tcp check %q: address %q: want host:port, as 127.0.0.1:5432", name, address)
	}
	return &tcpCheck{name: name, addr: address}, nil
}

type tcpCheck struct {
	name   string
	addr   string
	dialer net.Dialer
}

func (c *tcpCheck) Name() string { return c.name }

func (c *tcpCheck) Check(ctx context.Context) error {
	conn, err := c.dialer.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err // already "dial tcp ADDR: …": wrapping would name the address twice
	}
	return conn.Close()
}

// NewHTTPCheck returns a check that sends GET rawURL (http or https) and
// succeeds on a 2xx answer. It fails if name or rawURL is malformed.
//
// With a nil client the check uses its own: it verifies https certificates
// against the system roots, ignores HTTP(S)_PROXY and does not follow
// redirects, because a heartbeat measures the upstream itself, not the way
// to it through a proxy, and a 3xx is not a 2xx. Its idle connections are
// closed when the Runner that drives it stops. A non-nil client is used
// as it is.
func NewHTTPCheck(name, rawURL string, client *http.Client) (Checker, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("probes: http check: %w", err)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("probes: http check %q: %w", name, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("probes: http check %q: scheme %q: want http or https", name, u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("probes: http check %q: URL %s has no host", name, u.Redacted())
	}
	if client == nil {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.Proxy = nil
		client = &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &httpCheck{name: name, url: u, client: client}, nil
}

type httpCheck struct {
	name   string
	url    *url.URL
	client *http.Client
}

func (c *httpCheck) Name() string { return c.name }

func (c *httpCheck) Check(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url.String(), nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", c.url.Redacted(), err)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		// client.Do wraps the cause in a *url.Error that repeats the URL,
		// password included; keep our redacted prefix and the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("GET %s: %w", c.url.Redacted(), err)
	}
	// Drain a little so that the connection can be reused, without reading
	// a huge body.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("GET %s: HTTP %d", c.url.Redacted(), resp.StatusCode)
	}
	return nil
}

// CloseIdleConnections closes the kept-alive connections of the check's
// client; the Runner calls it when it stops, so that no connection
// outlives the heartbeats.
func (c *httpCheck) CloseIdleConnections() { c.client.CloseIdleConnections() }

// checkNames validates the names of checks and that no two are the same.
func checkNames(what string, checks []Checker) error {
	seen := make(map[string]bool, len(checks))
	var errs []error
	for i, c := range checks {
		if c == nil {
			errs = append(errs, fmt.Errorf("%s %d is nil", what, i))
			continue
		}
		name := c.Name()
		if err := ValidateName(name); err != nil {
			errs = append(errs, fmt.Errorf("%s %d: %w", what, i, err))
			continue
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("%s name %q given twice", what, name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}
