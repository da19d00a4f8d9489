// Package heartbeat turns telediag's --check NAME=URL flags into readiness components: each
// check probes its upstream every interval and reports the result to a probes.Monitor as a
// heartbeat, the way Teleport's services report theirs.
package heartbeat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/telediag/telediag/probes"
)

// nameRE keeps component names usable as a /readyz/{component} path segment.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Check is one upstream probe: a TCP dial (tcp://host:port) or an HTTP(S) GET that must answer
// 2xx.
type Check struct {
	// Name is the readiness component the check reports as.
	Name string
	// URL is the upstream.
	URL *url.URL
}

// Parse reads NAME=URL. The scheme must be tcp, http or https; a tcp URL needs host and port.
func Parse(spec string) (Check, error) {
	name, raw, ok := strings.Cut(spec, "=")
	if !ok {
		return Check{}, fmt.Errorf("check %q: want NAME=URL, e.g. db=tcp://127.0.0.1:5432", spec)
	}
	if !nameRE.MatchString(name) {
		return Check{}, fmt.Errorf("check %q: name %q must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", spec, name)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return Check{}, fmt.Errorf("check %q: %w", spec, err)
	}
	switch u.Scheme {
	case "tcp":
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" || port == "" {
			return Check{}, fmt.Errorf("check %q: a tcp URL needs host:port, as tcp://127.0.0.1:5432", spec)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return Check{}, fmt.Errorf("check %q: a tcp URL has no path or query", spec)
		}
	case "http", "https":
		if u.Host == "" {
			return Check{}, fmt.Errorf("check %q: URL has no host", spec)
		}
	default:
		return Check{}, fmt.Errorf("check %q: scheme %q not supported: use tcp, http or https", spec, u.Scheme)
	}
	return Check{Name: name, URL: u}, nil
}

// Prober runs checks. Its zero value is not usable; use NewProber.
type Prober struct {
	client *http.Client
	dialer *net.Dialer
}

// NewProber returns a prober whose HTTP checks do not follow redirects (a 3xx is not a 2xx)
// and ignore HTTP(S)_PROXY: a check measures the upstream itself, not the path through a proxy.
func NewProber() *Prober {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	return &Prober{
		client: &http.Client{
			Transport:     transport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		dialer: &net.Dialer{},
	}
}

// Probe runs c once. ctx bounds it.
func (p *Prober) Probe(ctx context.Context, c Check) error {
	switch c.URL.Scheme {
	case "tcp":
		conn, err := p.dialer.DialContext(ctx, "tcp", c.URL.Host)
		if err != nil {
			return fmt.Errorf("dial %s: %w", c.URL.Host, err)
		}
		return conn.Close()
	default:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL.String(), nil)
		if err != nil {
			return fmt.Errorf("GET %s: %w", c.URL.Redacted(), err)
		}
		resp, err := p.client.Do(req)
		if err != nil {
			return fmt.Errorf("GET %s: %w", c.URL.Redacted(), errors.Unwrap(err))
		}
		// Drain a little so the connection can be reused, without reading a huge body.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return fmt.Errorf("GET %s: HTTP %d", c.URL.Redacted(), resp.StatusCode)
		}
		return nil
	}
}

// Run probes every check now and then every interval, each on its own goroutine, and reports
// each result to m as a heartbeat of the check's component. A probe gets at most interval to
// answer: one slower than the heartbeat period is a failed heartbeat. Run returns when ctx is
// done and every probe has stopped.
func (p *Prober) Run(ctx context.Context, m *probes.Monitor, checks []Check, interval time.Duration) {
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				pctx, cancel := context.WithTimeout(ctx, interval)
				err := p.Probe(pctx, c)
				cancel()
				if ctx.Err() != nil {
					return // a probe cut short by shutdown is not a failed heartbeat
				}
				m.Heartbeat(c.Name, err)
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	wg.Wait()
	p.client.CloseIdleConnections() // no keep-alive goroutines outlive Run
}
