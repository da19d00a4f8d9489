package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

func TestParseGood(t *testing.T) {
	name63 := strings.Repeat("a", 63)
	for _, tc := range []struct {
		spec, name, scheme, host, url string
	}{
		{"db=tcp://127.0.0.1:5432", "db", "tcp", "127.0.0.1:5432", "tcp://127.0.0.1:5432"},
		{"db=tcp://127.0.0.1:5432/", "db", "tcp", "127.0.0.1:5432", "tcp://127.0.0.1:5432/"},
		{"v6=tcp://[::1]:5432", "v6", "tcp", "[::1]:5432", "tcp://[::1]:5432"},
		{"api=http://127.0.0.1:8080/healthz", "api", "http", "127.0.0.1:8080", "http://127.0.0.1:8080/healthz"},
		{"api.v2_x-y=https://api.internal/healthz?deep=1", "api.v2_x-y", "https", "api.internal", "https://api.internal/healthz?deep=1"},
		// The name ends at the first '=': the URL may contain more.
		{"q=http://h/x?a=b", "q", "http", "h", "http://h/x?a=b"},
		{"0=https://h", "0", "https", "h", "https://h"},
		{name63 + "=tcp://h:1", name63, "tcp", "h:1", "tcp://h:1"},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			c, err := parseCheck(tc.spec)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.spec, err)
			}
			if c.Name != tc.name || c.URL.Scheme != tc.scheme || c.URL.Host != tc.host || c.URL.String() != tc.url {
				t.Errorf("Parse(%q) = {Name:%q Scheme:%q Host:%q URL:%q}, want {%q %q %q %q}",
					tc.spec, c.Name, c.URL.Scheme, c.URL.Host, c.URL, tc.name, tc.scheme, tc.host, tc.url)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	const nameRule = "must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit"
	name64 := strings.Repeat("a", 64)
	for _, tc := range []struct {
		spec, want string
	}{
		// No '='.
		{"db", `check "db": want NAME=URL, e.g. db=tcp://127.0.0.1:5432`},
		{"tcp://127.0.0.1:5432", `check "tcp://127.0.0.1:5432": want NAME=URL, e.g. db=tcp://127.0.0.1:5432`},
		{"", `check "": want NAME=URL, e.g. db=tcp://127.0.0.1:5432`},
		// Bad names.
		{"=tcp://h:1", `check "=tcp://h:1": name "" ` + nameRule},
		{"-db=tcp://h:1", `check "-db=tcp://h:1": name "-db" ` + nameRule},
		{"a/b=tcp://h:1", `check "a/b=tcp://h:1": name "a/b" ` + nameRule},
		{"my db=tcp://h:1", `check "my db=tcp://h:1": name "my db" ` + nameRule},
		{name64 + "=tcp://h:1", `check "` + name64 + `=tcp://h:1": name "` + name64 + `" ` + nameRule},
		// Bad schemes.
		{"dns=udp://127.0.0.1:53", `check "dns=udp://127.0.0.1:53": scheme "udp" not supported: use tcp, http or https`},
		{"db=", `check "db=": scheme "" not supported: use tcp, http or https`},
		{"db=/var/run/db.sock", `check "db=/var/run/db.sock": scheme "" not supported: use tcp, http or https`},
		{"api=HTTP2://h", `check "api=HTTP2://h": scheme "http2" not supported: use tcp, http or https`},
		// tcp without host:port.
		{"db=tcp://127.0.0.1", `check "db=tcp://127.0.0.1": a tcp URL needs host:port, as tcp://127.0.0.1:5432`},
		{"db=tcp://:5432", `check "db=tcp://:5432": a tcp URL needs host:port, as tcp://127.0.0.1:5432`},
		{"db=tcp://127.0.0.1:", `check "db=tcp://127.0.0.1:": a tcp URL needs host:port, as tcp://127.0.0.1:5432`},
		{"db=tcp:127.0.0.1:5432", `check "db=tcp:127.0.0.1:5432": a tcp URL needs host:port, as tcp://127.0.0.1:5432`},
		{"db=tcp://h:1/path", `check "db=tcp://h:1/path": a tcp URL has no path or query`},
		{"db=tcp://h:1?x=y", `check "db=tcp://h:1?x=y": a tcp URL has no path or query`},
		// http(s) without a host.
		{"api=http:///healthz", `check "api=http:///healthz": URL has no host`},
		{"api=https://", `check "api=https://": URL has no host`},
		// Unparsable URLs.
		{"api=http://[::1", `check "api=http://[::1": parse "http://[::1": missing ']' in host`},
		{"db=127.0.0.1:5432", `check "db=127.0.0.1:5432": parse "127.0.0.1:5432": first path segment in URL cannot contain colon`},
		{"api=http://h:port/", `check "api=http://h:port/": parse "http://h:port/": invalid port ":port" after host`},
		{"api=http://h/%zz", `check "api=http://h/%zz": parse "http://h/%zz": invalid URL escape "%zz"`},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			c, err := parseCheck(tc.spec)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tc.spec, c, tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Parse(%q) error:\n got %s\nwant %s", tc.spec, got, tc.want)
			}
		})
	}
}

// TestParsedChecksProbe checks that a parsed flag probes what it names: the
// tcp form dials (and fails on a closed port), the http form GETs and wants
// a 2xx. The probing itself is tested in package probes.
func TestParsedChecksProbe(t *testing.T) {
	ln := testutil.TCPUpstream(t, "127.0.0.1:0")
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		spec    string
		wantErr string
	}{
		{"up=tcp://" + ln.Addr().String(), ""},
		{"down=tcp://" + closedAddr, "connection refused"},
		{"web=" + srv.URL + "/healthz", ""},
		{"sick=" + srv.URL + "/other", "HTTP 503"},
	} {
		c, err := parseCheck(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if c.Checker.Name() != c.Name {
			t.Errorf("%s: checker named %q", tc.spec, c.Checker.Name())
		}
		err = c.Checker.Check(ctx)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v, want nil", tc.spec, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: %v, want %q", tc.spec, err, tc.wantErr)
		}
		if tc.wantErr == "connection refused" && !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("%s: %v is not ECONNREFUSED", tc.spec, err)
		}
		if cl, ok := c.Checker.(interface{ CloseIdleConnections() }); ok {
			cl.CloseIdleConnections()
		}
	}
	if got := checkers(nil); len(got) != 0 {
		t.Errorf("Checkers(nil) = %v", got)
	}
}
