package probes_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func checkCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustTCP(t *testing.T, name, addr string) probes.Checker {
	t.Helper()
	c, err := probes.NewTCPCheck(name, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustHTTP(t *testing.T, name, url string) probes.Checker {
	t.Helper()
	c, err := probes.NewHTTPCheck(name, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestValidateName(t *testing.T) {
	for _, good := range []string{"db", "0", "api.v2_x-y", strings.Repeat("a", 63)} {
		if err := probes.ValidateName(good); err != nil {
			t.Errorf("ValidateName(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "-db", ".x", "a/b", "my db", "ü", strings.Repeat("a", 64)} {
		err := probes.ValidateName(bad)
		if err == nil {
			t.Errorf("ValidateName(%q): nil, want an error", bad)
			continue
		}
		if want := `name "` + bad + `" must be 1-63 letters`; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("ValidateName(%q) = %q, want it to start with %q", bad, err, want)
		}
	}
}

func TestNewChecksRejectBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func() (probes.Checker, error)
		want string
	}{
		{"tcp bad name", func() (probes.Checker, error) { return probes.NewTCPCheck("a/b", "h:1") }, `name "a/b"`},
		{"tcp no port", func() (probes.Checker, error) { return probes.NewTCPCheck("db", "127.0.0.1") }, "want host:port"},
		{"tcp no host", func() (probes.Checker, error) { return probes.NewTCPCheck("db", ":5432") }, "want host:port"},
		{"http bad name", func() (probes.Checker, error) { return probes.NewHTTPCheck("", "http://h", nil) }, `name ""`},
		{"http scheme", func() (probes.Checker, error) { return probes.NewHTTPCheck("x", "ftp://h/", nil) }, `scheme "ftp"`},
		{"http no host", func() (probes.Checker, error) { return probes.NewHTTPCheck("x", "http:///healthz", nil) }, "has no host"},
		{"http unparsable", func() (probes.Checker, error) { return probes.NewHTTPCheck("x", "http://[::1", nil) }, "missing ']'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.make()
			if err == nil {
				t.Fatalf("got %v, want an error containing %q", c, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestTCPCheck(t *testing.T) {
	ln := testutil.TCPUpstream(t, "127.0.0.1:0")
	up := mustTCP(t, "up", ln.Addr().String())
	if up.Name() != "up" {
		t.Errorf("Name() = %q", up.Name())
	}
	if err := up.Check(checkCtx(t)); err != nil {
		t.Errorf("check of a listening port: %v, want nil", err)
	}

	addr := closedAddr(t)
	err := mustTCP(t, "down", addr).Check(checkCtx(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("check of a closed port: %v, want connection refused", err)
	}
	if want := "dial tcp " + addr + ": "; !strings.HasPrefix(err.Error(), want) || strings.Count(err.Error(), addr) != 1 {
		t.Errorf("error %q does not start with %q", err, want)
	}

	ln.Close()
	if err := up.Check(checkCtx(t)); err == nil {
		t.Error("check after the listener closed: nil, want an error")
	}
}

func TestHTTPCheck(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("fine")) })
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/target", http.StatusFound) })
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Far more than the check drains: it must still answer at once.
		chunk := []byte(strings.Repeat("x", 64<<10))
		for range 64 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for _, tc := range []struct {
		path    string
		wantErr string // "" for success
	}{
		{"/ok", ""},
		{"/nocontent", ""},
		{"/big", ""},
		{"/unavailable", "GET " + srv.URL + "/unavailable: HTTP 503"},
		{"/moved", "GET " + srv.URL + "/moved: HTTP 302"},
		{"/missing", "GET " + srv.URL + "/missing: HTTP 404"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c := mustHTTP(t, "api", srv.URL+tc.path)
			err := c.Check(checkCtx(t))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("%v, want nil", err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("nil, want %q", tc.wantErr)
			case tc.wantErr != "" && err.Error() != tc.wantErr:
				t.Errorf("\n got %v\nwant %s", err, tc.wantErr)
			}
			c.(interface{ CloseIdleConnections() }).CloseIdleConnections()
		})
	}
	if n := redirected.Load(); n != 0 {
		t.Errorf("the redirect target was fetched %d times: the check follows redirects", n)
	}
}

func TestHTTPCheckRedactsPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, url := range []string{"http://probe:s3cret@" + host + "/healthz", "http://probe:s3cret@" + closedAddr(t) + "/"} {
		c := mustHTTP(t, "api", url)
		err := c.Check(checkCtx(t))
		if err == nil {
			t.Fatalf("%s: nil, want an error", url)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error leaks the password: %v", err)
		}
		c.(interface{ CloseIdleConnections() }).CloseIdleConnections()
	}
}

func TestHTTPCheckConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	err := mustHTTP(t, "api", "http://"+addr+"/healthz").Check(checkCtx(t))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("check of a closed port: %v, want connection refused", err)
	}
	if want := "GET http://" + addr + "/healthz: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

// An https check verifies the upstream's certificate: a self-signed one is a
// failed heartbeat, not a silently trusted one; with a client that trusts it,
// the same upstream passes.
func TestHTTPSCheckVerifiesCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := mustHTTP(t, "api", srv.URL+"/")
	err := c.Check(checkCtx(t))
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("check of an untrusted certificate: %v, want a certificate error", err)
	}
	c.(interface{ CloseIdleConnections() }).CloseIdleConnections()

	trusting, err := probes.NewHTTPCheck("api", srv.URL+"/", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := trusting.Check(checkCtx(t)); err != nil {
		t.Errorf("check with a client that trusts the server: %v", err)
	}
	srv.Client().CloseIdleConnections()
}

// hang is an HTTP upstream that never answers until the client gives up; the
// counter tells how many requests have arrived.
func hang(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var arrived atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	return srv, &arrived
}

func TestHTTPCheckRespectsContext(t *testing.T) {
	srv, _ := hang(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	c := mustHTTP(t, "api", srv.URL)
	err := c.Check(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("check of a hanging upstream: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("check took %v with a 100ms context", d)
	}
	c.(interface{ CloseIdleConnections() }).CloseIdleConnections()
}

func TestNamedCheck(t *testing.T) {
	boom := errors.New("boom")
	c := probes.NamedCheck("fn", func(context.Context) error { return boom })
	if c.Name() != "fn" || !errors.Is(c.Check(context.Background()), boom) {
		t.Errorf("NamedCheck: name %q, Check %v", c.Name(), c.Check(context.Background()))
	}
}
