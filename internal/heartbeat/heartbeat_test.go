package heartbeat_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/heartbeat"
	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
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
			c, err := heartbeat.Parse(tc.spec)
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
			c, err := heartbeat.Parse(tc.spec)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error %q", tc.spec, c, tc.want)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("Parse(%q) error:\n got %s\nwant %s", tc.spec, got, tc.want)
			}
		})
	}
}

func mustParse(t *testing.T, spec string) heartbeat.Check {
	t.Helper()
	c, err := heartbeat.Parse(spec)
	if err != nil {
		t.Fatalf("Parse(%q): %v", spec, err)
	}
	return c
}

// listen returns a loopback listener that accepts and closes connections
// until it is closed (at the latest by t.Cleanup).
func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	return testutil.TCPUpstream(t, addr)
}

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

func probeCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestProbeTCP(t *testing.T) {
	p := heartbeat.NewProber()
	ln := listen(t, "127.0.0.1:0")
	up := mustParse(t, "up=tcp://"+ln.Addr().String())
	if err := p.Probe(probeCtx(t), up); err != nil {
		t.Errorf("Probe of a listening port: %v, want nil", err)
	}

	addr := closedAddr(t)
	err := p.Probe(probeCtx(t), mustParse(t, "down=tcp://"+addr))
	if err == nil {
		t.Fatalf("Probe of a closed port %s: nil, want an error", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Probe of a closed port: %v, want connection refused", err)
	}
	if want := "dial " + addr + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Probe error %q does not start with %q", err, want)
	}

	// The listener itself going away turns the same check into an error.
	ln.Close()
	if err := p.Probe(probeCtx(t), up); err == nil {
		t.Errorf("Probe after the listener closed: nil, want an error")
	}
}

func TestProbeHTTP(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("fine")) })
	mux.HandleFunc("/nocontent", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/unavailable", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/target", http.StatusFound)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		w.Write([]byte("you followed a redirect"))
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// Far more than the prober drains: it must still answer at once.
		chunk := []byte(strings.Repeat("x", 64<<10))
		for i := 0; i < 64; i++ {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	p := heartbeat.NewProber()
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
			err := p.Probe(probeCtx(t), mustParse(t, "api="+srv.URL+tc.path))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("Probe %s: %v, want nil", tc.path, err)
			case tc.wantErr != "" && err == nil:
				t.Errorf("Probe %s: nil, want %q", tc.path, tc.wantErr)
			case tc.wantErr != "" && err.Error() != tc.wantErr:
				t.Errorf("Probe %s:\n got %v\nwant %s", tc.path, err, tc.wantErr)
			}
		})
	}
	if n := redirected.Load(); n != 0 {
		t.Errorf("the redirect target was fetched %d times: the prober follows redirects", n)
	}
}

func TestProbeHTTPRedactsPassword(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	c := mustParse(t, "api=http://probe:s3cret@"+strings.TrimPrefix(srv.URL, "http://")+"/healthz")
	err := heartbeat.NewProber().Probe(probeCtx(t), c)
	if err == nil {
		t.Fatal("Probe: nil, want HTTP 503")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Probe error leaks the password: %v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 503") {
		t.Errorf("Probe error %q does not name the status", err)
	}
}

func TestProbeHTTPConnectionRefused(t *testing.T) {
	addr := closedAddr(t)
	err := heartbeat.NewProber().Probe(probeCtx(t), mustParse(t, "api=http://"+addr+"/healthz"))
	if err == nil {
		t.Fatal("Probe of a closed port: nil, want an error")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("Probe of a closed port: %v, want connection refused", err)
	}
	if want := "GET http://" + addr + "/healthz: "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("Probe error %q does not start with %q", err, want)
	}
}

// An https check verifies the upstream's certificate: a self-signed one is
// a failed heartbeat, not a silently trusted one.
func TestProbeHTTPSVerifiesCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	err := heartbeat.NewProber().Probe(probeCtx(t), mustParse(t, "api="+srv.URL+"/"))
	if err == nil {
		t.Fatal("Probe of an https server with an untrusted certificate: nil, want an error")
	}
	if !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Probe error %q does not mention the certificate", err)
	}
}

// hang is an HTTP upstream that never answers until the client gives up.
// The counter tells how many requests have arrived.
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

func TestProbeRespectsContext(t *testing.T) {
	srv, _ := hang(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := heartbeat.NewProber().Probe(ctx, mustParse(t, "api="+srv.URL))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Probe of a hanging upstream: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Probe took %v with a 100ms context", d)
	}
}

// newMonitor returns a Monitor whose changes are also sent on a channel.
func newMonitor(t *testing.T, window time.Duration) (*probes.Monitor, <-chan probes.Change) {
	t.Helper()
	changes := make(chan probes.Change, 1024)
	m, err := probes.New(
		probes.WithRecoveryWindow(window),
		probes.WithListener(func(c probes.Change) {
			select {
			case changes <- c:
			default:
			}
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return m, changes
}

// startRun runs p.Run in the background; the returned stop cancels it and
// fails the test unless Run returns within limit.
func startRun(t *testing.T, m *probes.Monitor, checks []heartbeat.Check, interval time.Duration) (stop func(limit time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		heartbeat.NewProber().Run(ctx, m, checks, interval)
	}()
	var once sync.Once
	stop = func(limit time.Duration) {
		t.Helper()
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(limit):
				t.Errorf("Run did not return within %v of its context being cancelled", limit)
				<-done // still wait, so that goleak reports what is stuck
			}
		})
	}
	t.Cleanup(func() { stop(10 * time.Second) })
	return stop
}

// waitComponent polls until component's status satisfies ok.
func waitComponent(t *testing.T, m *probes.Monitor, name string, timeout time.Duration, ok func(probes.ComponentStatus) bool) probes.ComponentStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, found := m.Component(name)
		if found && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("component %q: after %v status is %+v (known: %v)", name, timeout, st, found)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func inState(s probes.State) func(probes.ComponentStatus) bool {
	return func(c probes.ComponentStatus) bool { return c.State == s }
}

func TestRunReportsHeartbeats(t *testing.T) {
	up := listen(t, "127.0.0.1:0")
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer okSrv.Close()
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer badSrv.Close()
	checks := []heartbeat.Check{
		mustParse(t, "up=tcp://"+up.Addr().String()),
		mustParse(t, "down=tcp://"+closedAddr(t)),
		mustParse(t, "web="+okSrv.URL),
		mustParse(t, "sick="+badSrv.URL),
	}
	m, _ := newMonitor(t, time.Hour)
	// An interval of an hour: only the immediate first round of probes can
	// have reported by the time the components settle.
	stop := startRun(t, m, checks, time.Hour)

	waitComponent(t, m, "up", 10*time.Second, inState(probes.StateOK))
	waitComponent(t, m, "web", 10*time.Second, inState(probes.StateOK))
	down := waitComponent(t, m, "down", 10*time.Second, inState(probes.StateDegraded))
	if !strings.Contains(down.LastError, "connection refused") {
		t.Errorf("down: LastError %q, want connection refused", down.LastError)
	}
	sick := waitComponent(t, m, "sick", 10*time.Second, inState(probes.StateDegraded))
	if !strings.HasSuffix(sick.LastError, "HTTP 503") {
		t.Errorf("sick: LastError %q, want ... HTTP 503", sick.LastError)
	}
	if got := m.State(); got != probes.StateDegraded {
		t.Errorf("process state %v, want degraded", got)
	}

	// Cancelling the context ends Run promptly, although the next tick is an
	// hour away.
	start := time.Now()
	stop(2 * time.Second)
	t.Logf("Run returned %v after cancel", time.Since(start))
}

// With a short interval Run keeps heartbeating: an upstream that goes away
// makes the component degraded, and one that comes back makes it
// recovering and then, after the window, ok.
func TestRunFollowsUpstream(t *testing.T) {
	const interval, window = 20 * time.Millisecond, 100 * time.Millisecond
	ln := listen(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	m, changes := newMonitor(t, window)
	startRun(t, m, []heartbeat.Check{mustParse(t, "db=tcp://"+addr)}, interval)

	waitComponent(t, m, "db", 10*time.Second, inState(probes.StateOK))
	ln.Close()
	waitComponent(t, m, "db", 10*time.Second, inState(probes.StateDegraded))
	listen(t, addr) // the same port again
	rec := waitComponent(t, m, "db", 10*time.Second, inState(probes.StateRecovering))
	ok := waitComponent(t, m, "db", 10*time.Second, inState(probes.StateOK))
	if d := ok.Since.Sub(rec.Since); d <= window {
		t.Errorf("ok %v after recovery began, want more than the window %v", d, window)
	}

	var got []string
	for len(changes) > 0 {
		c := <-changes
		got = append(got, c.From.String()+"->"+c.To.String())
	}
	want := []string{"starting->ok", "ok->degraded", "degraded->recovering", "recovering->ok"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("process state changes %v, want %v", got, want)
	}
}

// A probe slower than the interval is a failed heartbeat.
func TestRunTimesOutSlowProbe(t *testing.T) {
	srv, _ := hang(t)
	m, _ := newMonitor(t, time.Hour)
	startRun(t, m, []heartbeat.Check{mustParse(t, "slow="+srv.URL)}, 100*time.Millisecond)
	st := waitComponent(t, m, "slow", 10*time.Second, inState(probes.StateDegraded))
	if !strings.Contains(st.LastError, context.DeadlineExceeded.Error()) {
		t.Errorf("slow: LastError %q, want %q", st.LastError, context.DeadlineExceeded)
	}
}

// A probe cut short by shutdown returns at once and is not reported as a
// failed heartbeat.
func TestRunCancelDuringProbe(t *testing.T) {
	srv, arrived := hang(t)
	m, _ := newMonitor(t, time.Hour)
	stop := startRun(t, m, []heartbeat.Check{mustParse(t, "slow="+srv.URL)}, time.Hour)
	// Wait until the first probe is in flight (it hangs for up to an hour).
	deadline := time.Now().Add(10 * time.Second)
	for arrived.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the probe never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	stop(2 * time.Second)
	t.Logf("Run returned %v after cancel", time.Since(start))
	if st, ok := m.Component("slow"); ok {
		t.Errorf("a probe cut short by shutdown was reported: %+v", st)
	}
}

func TestRunNoChecks(t *testing.T) {
	m, _ := newMonitor(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		heartbeat.NewProber().Run(ctx, m, nil, time.Second)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run with no checks did not return")
	}
}
