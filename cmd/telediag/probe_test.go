package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// runProbeCmd runs `telediag probe args...` through run, as main would.
func runProbeCmd(t *testing.T, args ...string) runResult {
	t.Helper()
	return runBounded(t, 30*time.Second, append([]string{"probe"}, args...)...)
}

// hungPort is a TCP listener that accepts connections and never answers: a process that is
// up but stuck.
func hungPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// checkProbe asserts the exit code and that exactly one line was printed, on stdout for 0 and
// on stderr otherwise, containing want.
func checkProbe(t *testing.T, r runResult, code int, want ...string) {
	t.Helper()
	out, other := r.stderr, r.stdout
	if code == 0 {
		out, other = r.stdout, r.stderr
	}
	if r.code != code {
		t.Errorf("exit %d, want %d (stdout %q, stderr %q)", r.code, code, r.stdout, r.stderr)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") || other != "" {
		t.Errorf("want one line on the right stream; stdout %q, stderr %q", r.stdout, r.stderr)
	}
	if !strings.HasPrefix(out, "telediag probe: ") {
		t.Errorf("line %q does not start with \"telediag probe: \"", out)
	}
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("line %q does not contain %q", out, w)
		}
	}
	t.Logf("exit %d after %v: %s", r.code, r.took.Round(time.Millisecond), strings.TrimSpace(out))
}

// TestProbeCommand: 200 exits 0; 503, a closed port, a hung port and a redirect exit 1 with one
// line saying why; the hung port is cut off by --timeout.
func TestProbeCommand(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok","pid":1}`))
	})
	mux.HandleFunc("/degraded", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("{\"status\":\"teleport is in a degraded state, check logs for details\",\n\"pid\":1}"))
	})
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/readyz", http.StatusFound) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	closed := testutil.ClosedAddr(t)
	hung := hungPort(t)

	t.Run("200", func(t *testing.T) {
		checkProbe(t, runProbeCmd(t, srv.URL+"/readyz"), 0, "GET "+srv.URL+"/readyz: HTTP 200", `{"status":"ok","pid":1}`)
	})
	t.Run("503", func(t *testing.T) {
		checkProbe(t, runProbeCmd(t, srv.URL+"/degraded"), 1, "HTTP 503", `teleport is in a degraded state, check logs for details", "pid":1}`)
	})
	t.Run("204 is not 200", func(t *testing.T) {
		checkProbe(t, runProbeCmd(t, srv.URL+"/nocontent"), 1, "HTTP 204")
	})
	t.Run("redirect not followed", func(t *testing.T) {
		checkProbe(t, runProbeCmd(t, srv.URL+"/moved"), 1, "HTTP 302", "redirect to /readyz, not followed")
	})
	t.Run("closed port", func(t *testing.T) {
		checkProbe(t, runProbeCmd(t, "--timeout", "30s", "http://"+closed+"/readyz"), 1, "GET http://"+closed+"/readyz: ", "connection refused")
	})
	t.Run("hung port", func(t *testing.T) {
		r := runProbeCmd(t, "--timeout", "300ms", "http://"+hung+"/readyz")
		checkProbe(t, r, 1, "no answer within 300ms (-timeout)")
		if r.took < 300*time.Millisecond || r.took > 3*time.Second {
			t.Errorf("took %v with --timeout 300ms", r.took)
		}
	})
	t.Run("hung port, default timeout", func(t *testing.T) {
		r := runProbeCmd(t, "http://"+hung+"/readyz")
		checkProbe(t, r, 1, "no answer within 1s")
		if r.took < time.Second || r.took > 4*time.Second {
			t.Errorf("took %v with the default 1s timeout", r.took)
		}
	})
	t.Run("flags after the URL", func(t *testing.T) {
		r := runProbeCmd(t, "http://"+hung+"/readyz", "--timeout=200ms")
		checkProbe(t, r, 1, "no answer within 200ms")
	})
	t.Run("password not printed", func(t *testing.T) {
		u := strings.Replace(srv.URL, "http://", "http://probe:s3cret@", 1) + "/degraded"
		r := runProbeCmd(t, u)
		checkProbe(t, r, 1, "HTTP 503")
		if strings.Contains(r.stderr, "s3cret") {
			t.Errorf("the password leaks: %s", r.stderr)
		}
	})
}

// TestProbeCommandOverMutualTLS probes a telediag that serves mutual TLS: --ca verifies the
// server, --cert/--key present the client certificate, and each missing piece is a failed
// probe that says why.
func TestProbeCommandOverMutualTLS(t *testing.T) {
	f := newTLSFiles(t)
	client := f.clientCA.Client(t, "probe")
	cert := testutil.WriteFile(t, f.dir, "probe.crt", client.CertPEM)
	key := testutil.WriteFile(t, f.dir, "probe.key", client.KeyPEM)
	serverCA := testutil.WriteFile(t, f.dir, "server-ca.crt", f.serverCA.PEM)
	otherCA := testutil.WriteFile(t, f.dir, "other-ca.crt", testutil.NewCA(t, "other").PEM)
	clientTLS := client.TLS(t)
	s := startRunWith(t, func(addr string) error {
		_, _, err := testutil.TLSGet(addr, "/healthz", f.serverCA.Pool(), clientTLS)
		return err
	}, "--diag-tls-cert", f.cert, "--diag-tls-key", f.key, "--diag-client-ca", f.ca, "--log-level", "error")
	url := "https://" + s.addr + "/livez"

	checkProbe(t, runProbeCmd(t, "--ca", serverCA, "--cert", cert, "--key", key, url), 0, "HTTP 200")
	// The certificate is for 127.0.0.1 and localhost; --server-name checks another name.
	checkProbe(t, runProbeCmd(t, "--ca", serverCA, "--cert", cert, "--key", key, "--server-name", "localhost", url), 0, "HTTP 200")
	checkProbe(t, runProbeCmd(t, "--ca", serverCA, "--cert", cert, "--key", key, "--server-name", "diag.example", url), 1, "certificate is valid for")
	checkProbe(t, runProbeCmd(t, "--ca", serverCA, url), 1, "certificate required")
	checkProbe(t, runProbeCmd(t, "--ca", otherCA, "--cert", cert, "--key", key, url), 1, "certificate signed by unknown authority")
	checkProbe(t, runProbeCmd(t, "--cert", cert, "--key", key, url), 1, "certificate signed by unknown authority") // system roots
	// Plain HTTP to the TLS port: the connection ends without an answer.
	checkProbe(t, runProbeCmd(t, "http://"+s.addr+"/livez"), 1, "GET http://"+s.addr+"/livez: connection closed without an answer", "https")
}

// TestProbeCommandBadUsage: bad flags, URLs and files exit 2 before anything is sent.
func TestProbeCommandBadUsage(t *testing.T) {
	dir := t.TempDir()
	garbage := testutil.WriteFile(t, dir, "garbage.pem", []byte("nope\n"))
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no URL", nil, "needs a URL"},
		{"two URLs", []string{"http://a/", "http://b/"}, "one URL, got 2"},
		{"scheme", []string{"ftp://127.0.0.1/"}, "want http:// or https://"},
		{"no host", []string{"http:///readyz"}, "has no host"},
		{"unparsable", []string{"http://[::1"}, "missing ']'"},
		{"unknown flag", []string{"--insecure", "https://127.0.0.1/"}, "-insecure"},
		{"zero timeout", []string{"--timeout", "0", "http://127.0.0.1/"}, "-timeout"},
		{"cert without key", []string{"--cert", garbage, "https://127.0.0.1/"}, "-cert and -key go together"},
		{"ca with http", []string{"--ca", garbage, "http://127.0.0.1/"}, "flag -ca applies to https URLs only"},
		{"missing ca", []string{"--ca", missing, "https://127.0.0.1/"}, "flag -ca: open " + missing},
		{"ca not PEM", []string{"--ca", garbage, "https://127.0.0.1/"}, "no PEM certificate found"},
		{"bad key pair", []string{"--cert", garbage, "--key", garbage, "https://127.0.0.1/"}, "flags -cert " + garbage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runProbeCmd(t, tc.args...)
			if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and one line containing %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
	r := runProbeCmd(t, "-h")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "usage: telediag probe [flags] URL") {
		t.Errorf("probe -h: exit %d, %q", r.code, r.stderr)
	}
}
