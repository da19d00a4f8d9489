package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/telediag/telediag/internal/buildinfo"
	"github.com/telediag/telediag/internal/testutil"
)

// TestMain checks that run leaves nothing behind once it has returned: no
// heartbeat loop, no server goroutine, no metrics pipeline.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// upstream is a loopback TCP listener for --check, accepting and closing
// connections until the test ends.
func upstream(t *testing.T) string {
	return testutil.TCPUpstream(t, "127.0.0.1:0").Addr().String()
}

func TestParseFlagsDefaults(t *testing.T) {
	cfg, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.diagAddr != "127.0.0.1:3000" || cfg.debug || cfg.demo || len(cfg.checks) != 0 ||
		cfg.heartbeatInterval != 5*time.Second || cfg.recoveryWindow != 10*time.Second ||
		cfg.shutdownDelay != 0 || cfg.shutdownTimeout != 15*time.Second || cfg.logLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v", *cfg)
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{
		"--diag-addr", "[::1]:0", "-d",
		"--check", "db=tcp://127.0.0.1:5432", "--check=api=https://api.internal/healthz",
		"--heartbeat-interval=2s", "--shutdown-delay", "3s", "--shutdown-timeout", "4s",
		"--log-level", "WARN", "--demo",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.diagAddr != "[::1]:0" || !cfg.debug || !cfg.demo || cfg.heartbeatInterval != 2*time.Second ||
		cfg.shutdownDelay != 3*time.Second || cfg.shutdownTimeout != 4*time.Second || cfg.logLevel != slog.LevelWarn {
		t.Errorf("parsed: %+v", *cfg)
	}
	if len(cfg.checks) != 2 || cfg.checks[0].Name != "db" || cfg.checks[0].URL.String() != "tcp://127.0.0.1:5432" ||
		cfg.checks[1].Name != "api" || cfg.checks[1].URL.String() != "https://api.internal/healthz" {
		t.Errorf("checks: %+v", cfg.checks)
	}
	if !cfg.openMetrics {
		t.Error("OpenMetrics off by default")
	}
	cfg, err = parseFlags([]string{"--metrics-enable", "a_*,b", "--metrics-enable=c", "--metrics-disable", "d*", "--show-hidden-metrics", "--otlp-old-names", "--openmetrics=false"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.metricsEnable, " ") != "a_* b c" || strings.Join(cfg.metricsDisable, " ") != "d*" || !cfg.showHiddenMetrics || !cfg.otlpOldNames || cfg.openMetrics {
		t.Errorf("metric switches: enable %q, disable %q, show hidden %v, OTLP old names %v, openmetrics %v", cfg.metricsEnable, cfg.metricsDisable, cfg.showHiddenMetrics, cfg.otlpOldNames, cfg.openMetrics)
	}
	for _, debug := range []string{"--debug", "-debug", "-d", "--d"} {
		cfg, err := parseFlags([]string{debug}, io.Discard)
		if err != nil || !cfg.debug {
			t.Errorf("%s: debug=%v, err=%v", debug, cfg != nil && cfg.debug, err)
		}
	}
}

func TestRecoveryWindowDefault(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want time.Duration
	}{
		{nil, 10 * time.Second},
		{[]string{"--heartbeat-interval", "200ms"}, 400 * time.Millisecond},
		{[]string{"--heartbeat-interval", "1m"}, 2 * time.Minute},
		{[]string{"--heartbeat-interval", "100ms"}, 200 * time.Millisecond},
		// Twice the interval overflows int64 nanoseconds: the window saturates instead of
		// turning negative.
		{[]string{"--heartbeat-interval", "2000000h"}, math.MaxInt64},
		{[]string{"--heartbeat-interval", "200ms", "--recovery-window", "0"}, 400 * time.Millisecond},
		{[]string{"--heartbeat-interval", "200ms", "--recovery-window", "1s"}, time.Second},
		{[]string{"--recovery-window", "1ms"}, time.Millisecond},
	} {
		cfg, err := parseFlags(tc.args, io.Discard)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if cfg.recoveryWindow != tc.want {
			t.Errorf("%q: recovery window %v, want %v", tc.args, cfg.recoveryWindow, tc.want)
		}
	}
}

// runResult is what one call of run produced.
type runResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runBounded calls run with args and a context that ends after limit. A run
// that is still going when limit passes has started serving: the caller
// sees exit 0 after limit.
func runBounded(t *testing.T, limit time.Duration, args ...string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var stdout, stderr testutil.SyncBuffer
	start := time.Now()
	code := run(ctx, args, &stdout, &stderr)
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
}

// TestBadInput checks that every bad command line is refused before
// anything is served: a non-zero exit, nothing on stdout, and exactly one
// line on stderr that names the offending flag.
func TestBadInput(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyAddr := busy.Addr().String()
	free := freeAddr(t)

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		flag     string   // the flag the line must name (as -flag or --flag)
		contains []string // more text the line must contain
	}{
		{"unknown flag", []string{"--nope"}, 2, "-nope", []string{"not defined"}},
		{"unknown shorthand", []string{"-x"}, 2, "-x", nil},
		{"bad metrics-enable glob", []string{"--metrics-enable", "ok,["}, 2, "-metrics-enable", []string{`glob "["`}},
		{"empty metrics-disable glob", []string{"--metrics-disable", "a,,b"}, 2, "-metrics-disable", []string{"empty glob"}},
		{"positional argument", []string{"serve"}, 2, "", []string{`"serve"`, "flags only", "probe subcommand"}},
		{"check without =", []string{"--check", "db"}, 2, "-check", []string{"NAME=URL"}},
		{"check bad scheme", []string{"--check", "dns=udp://127.0.0.1:53"}, 2, "-check", []string{`scheme "udp"`}},
		{"check tcp without port", []string{"--check", "db=tcp://127.0.0.1"}, 2, "-check", []string{"host:port"}},
		{"check unparsable URL", []string{"--check", "api=http://[::1"}, 2, "-check", []string{"missing ']'"}},
		{"check bad name", []string{"--check", "a/b=tcp://127.0.0.1:1"}, 2, "-check", []string{`name "a/b"`}},
		{"check without value", []string{"--check"}, 2, "-check", []string{"needs an argument"}},
		{"duplicate check name", []string{"--check", "db=tcp://127.0.0.1:1", "--check", "db=tcp://127.0.0.1:2"}, 2, "-check", []string{`"db" given twice`}},
		{"check name taken by demo", []string{"--demo", "--check", "auth=tcp://127.0.0.1:1"}, 2, "-check", []string{`"auth"`, "--demo"}},
		{"zero heartbeat interval", []string{"--heartbeat-interval", "0"}, 2, "-heartbeat-interval", []string{"at least 100ms"}},
		{"negative heartbeat interval", []string{"--heartbeat-interval=-1s"}, 2, "-heartbeat-interval", []string{"at least 100ms"}},
		{"1ns heartbeat interval", []string{"--heartbeat-interval=1ns"}, 2, "-heartbeat-interval", []string{"1ns", "at least 100ms"}},
		{"heartbeat interval just below the minimum", []string{"--heartbeat-interval=99ms"}, 2, "-heartbeat-interval", []string{"at least 100ms"}},
		{"unparsable heartbeat interval", []string{"--heartbeat-interval", "often"}, 2, "-heartbeat-interval", []string{`"often"`}},
		{"interval without unit", []string{"--heartbeat-interval", "5"}, 2, "-heartbeat-interval", nil},
		{"negative recovery window", []string{"--recovery-window=-1s"}, 2, "-recovery-window", []string{"negative"}},
		{"bad log level", []string{"--log-level", "loud"}, 2, "-log-level", []string{`"loud"`, "debug, info, warn or error"}},
		{"bad debug value", []string{"--debug=maybe"}, 2, "-debug", nil},
		{"negative shutdown delay", []string{"--shutdown-delay=-1s"}, 2, "-shutdown-delay", nil},
		{"zero shutdown timeout", []string{"--shutdown-timeout=0"}, 2, "-shutdown-timeout", nil},
		{"diag-addr without port", []string{"--diag-addr", "localhost"}, 2, "-diag-addr", []string{`"localhost"`, "missing port"}},
		{"diag-addr empty", []string{"--diag-addr", ""}, 2, "-diag-addr", nil},
		{"diag-addr bad port", []string{"--diag-addr", "127.0.0.1:99999"}, 1, "-diag-addr", []string{"127.0.0.1:99999"}},
		{"diag-addr in use", []string{"--diag-addr", busyAddr}, 1, "-diag-addr", []string{busyAddr, "address already in use"}},
		{"diag-addr in use, with checks", []string{"--diag-addr", busyAddr, "--check", "db=tcp://127.0.0.1:1", "--demo"}, 1, "-diag-addr", []string{busyAddr}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "diag-addr") {
				// Had the bad input been accepted, it would be served here
				// rather than on the shared default port.
				args = append([]string{"--diag-addr", free}, args...)
			}
			r := runBounded(t, 10*time.Second, args...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d", r.code, tc.code)
			}
			if r.took > 5*time.Second {
				t.Errorf("run took %v: it served instead of refusing the input", r.took)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q, want nothing", r.stdout)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Fatalf("stderr is not one line:\n%s", r.stderr)
			}
			line := strings.TrimSuffix(r.stderr, "\n")
			if !strings.HasPrefix(line, "telediag: ") {
				t.Errorf("line %q does not start with \"telediag: \"", line)
			}
			if tc.flag != "" && !containsFlag(line, tc.flag) {
				t.Errorf("line %q does not name the flag %s", line, tc.flag)
			}
			for _, s := range tc.contains {
				if !strings.Contains(line, s) {
					t.Errorf("line %q does not contain %q", line, s)
				}
			}
			t.Logf("exit %d: %s", r.code, line)
		})
	}
	// The refused runs never listened on the address they were given.
	if ln, err := net.Listen("tcp", free); err != nil {
		t.Errorf("after the refused runs %s cannot be listened on: %v", free, err)
	} else {
		ln.Close()
	}
}

// containsFlag reports whether line names flag as a whole word (-flag or
// --flag, not a prefix of a longer flag name).
func containsFlag(line, flag string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], flag)
		if j < 0 {
			return false
		}
		end := i + j + len(flag)
		if end == len(line) || !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz-", rune(line[end])) {
			return true
		}
		i = end
	}
}

func TestHelp(t *testing.T) {
	for _, h := range []string{"-h", "--help", "-help"} {
		t.Run(h, func(t *testing.T) {
			r := runBounded(t, 10*time.Second, h)
			if r.code != 0 {
				t.Errorf("exit %d, want 0", r.code)
			}
			if !strings.HasPrefix(r.stderr, "usage: telediag [flags]\n") {
				t.Errorf("stderr does not start with the usage line:\n%s", r.stderr)
			}
			for _, f := range []string{"-diag-addr", "-check", "-heartbeat-interval", "-recovery-window",
				"-shutdown-delay", "-shutdown-timeout", "-debug", "-demo", "-log-level",
				"-diag-tls-cert", "-diag-tls-key", "-diag-client-ca", "at least 100ms"} {
				if !strings.Contains(r.stderr, f) {
					t.Errorf("help does not mention %s", f)
				}
			}
			if r.took > 5*time.Second {
				t.Errorf("-h took %v", r.took)
			}
		})
	}
	// parseFlags itself reports -h as flag.ErrHelp.
	if _, err := parseFlags([]string{"-h"}, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h): %v, want flag.ErrHelp", err)
	}
}

// client does not keep connections alive, so that no idle connection
// outlives a test (goleak) or delays the server's drain.
var client = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(url string) (int, string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// pollUntil calls cond every 10ms until it returns nil or timeout passes.
func pollUntil(t *testing.T, what string, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s (up to %v): %v", what, timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func wantStatus(url string, code int) func() error {
	return func() error {
		got, body, err := get(url)
		if err != nil {
			return err
		}
		if got != code {
			return fmt.Errorf("GET %s: HTTP %d %s, want %d", url, got, body, code)
		}
		return nil
	}
}

// started is a run in the background.
type started struct {
	addr   string
	cancel context.CancelFunc
	done   chan int // the exit status
	stderr *testutil.SyncBuffer
}

func (s *started) url(path string) string { return "http://" + s.addr + path }

// startRun runs telediag in-process on a free port and waits until it
// serves /healthz. The cleanup cancels it and waits for run to return.
func startRun(t *testing.T, args ...string) *started {
	t.Helper()
	return startRunWith(t, func(addr string) error { return wantStatus("http://"+addr+"/healthz", http.StatusOK)() }, args...)
}

// startRunWith is startRun with another test of "serving" (over TLS, say).
func startRunWith(t *testing.T, serving func(addr string) error, args ...string) *started {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{addr: addr, cancel: cancel, done: make(chan int, 1), stderr: &testutil.SyncBuffer{}}
	go func() {
		s.done <- run(ctx, append([]string{"--diag-addr", addr}, args...), io.Discard, s.stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-s.done:
			s.done <- code
		case <-time.After(30 * time.Second):
			t.Errorf("run did not return within 30s of cancel")
		}
		if t.Failed() {
			t.Logf("telediag stderr:\n%s", s.stderr)
		}
	})
	pollUntil(t, "/healthz", 10*time.Second, func() error {
		select {
		case code := <-s.done:
			s.done <- code
			return fmt.Errorf("run returned %d before serving:\n%s", code, s.stderr)
		default:
		}
		return serving(s.addr)
	})
	return s
}

func TestRunServes(t *testing.T) {
	s := startRun(t, "--check", "up="+"tcp://"+upstream(t), "--heartbeat-interval", "100ms", "--log-level", "error")
	pollUntil(t, "/readyz 200", 10*time.Second, wantStatus(s.url("/readyz"), http.StatusOK))
	code, body, err := get(s.url("/readyz"))
	if err != nil || code != 200 {
		t.Fatalf("/readyz: %d %v", code, err)
	}
	var rd struct {
		Status string `json:"status"`
		PID    int    `json:"pid"`
	}
	if err := json.Unmarshal([]byte(body), &rd); err != nil || rd.Status != "ok" || rd.PID <= 0 {
		t.Errorf("/readyz body %s (%v)", body, err)
	}
	code, body, err = get(s.url("/metrics"))
	if err != nil || code != 200 || !strings.Contains(body, "\nprocess_state 0\n") {
		t.Errorf("/metrics: HTTP %d, err %v, process_state 0 present: %v", code, err, strings.Contains(body, "\nprocess_state 0\n"))
	}
	if err := wantStatus(s.url("/debug/pprof/"), http.StatusNotFound)(); err != nil {
		t.Errorf("without --debug: %v", err)
	}
	if err := wantStatus(s.url("/readyz/up"), http.StatusOK)(); err != nil {
		t.Error(err)
	}
}

func TestRunDebugServesPprof(t *testing.T) {
	s := startRun(t, "-d", "--log-level", "error")
	code, body, err := get(s.url("/debug/pprof/"))
	if err != nil || code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with -d: HTTP %d, err %v, body %.200s", code, err, body)
	}
}

// TestRunDrains cancels a running process (as SIGTERM does) and checks the
// drain: /readyz answers 503 during --shutdown-delay, the process keeps
// serving meanwhile, then stops listening and exits 0.
func TestRunDrains(t *testing.T) {
	const delay = 500 * time.Millisecond
	s := startRun(t, "--check", "up=tcp://"+upstream(t), "--heartbeat-interval", "100ms",
		"--shutdown-delay", delay.String())
	pollUntil(t, "/readyz 200", 10*time.Second, wantStatus(s.url("/readyz"), http.StatusOK))

	cancelled := time.Now()
	s.cancel()
	var draining time.Duration
	pollUntil(t, "/readyz 503 while draining", delay, func() error {
		code, body, err := get(s.url("/readyz"))
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !strings.Contains(body, `"status":"process is shutting down"`) {
			return fmt.Errorf("/readyz: HTTP %d %s", code, body)
		}
		draining = time.Since(cancelled)
		return nil
	})
	// Still serving during the delay: liveness is unaffected.
	if err := wantStatus(s.url("/healthz"), http.StatusOK)(); err != nil {
		t.Errorf("/healthz during the drain (%v after cancel): %v", time.Since(cancelled), err)
	}
	select {
	case code := <-s.done:
		s.done <- code
		t.Fatalf("run returned %d %v after cancel: the 503 was not observed during the drain", code, time.Since(cancelled))
	default:
	}
	t.Logf("/readyz answered 503 %v after cancel", draining)

	select {
	case code := <-s.done:
		s.done <- code
		took := time.Since(cancelled)
		if code != 0 {
			t.Errorf("exit %d after cancel, want 0", code)
		}
		if took < delay {
			t.Errorf("run returned %v after cancel, before the %v shutdown delay", took, delay)
		}
		t.Logf("run returned %d, %v after cancel", code, took)
	case <-time.After(delay + 10*time.Second):
		t.Fatalf("run did not return within %v of cancel", delay+10*time.Second)
	}
	if _, _, err := get(s.url("/healthz")); err == nil {
		t.Errorf("%s still answers after run returned", s.addr)
	}
	for _, want := range []string{"shutting down: /readyz now answers 503", "msg=stopped"} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, s.stderr)
		}
	}
}

// Without --shutdown-delay the process stops at once.
func TestRunStopsWithoutDelay(t *testing.T) {
	s := startRun(t, "--log-level", "error")
	cancelled := time.Now()
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		if code != 0 {
			t.Errorf("exit %d, want 0", code)
		}
		t.Logf("returned %v after cancel", time.Since(cancelled))
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s of cancel")
	}
}

// TestRunServesStatus checks the reference binary's /status page: the service name from the
// environment, the build, every --check with its state, and pprof linked only with -d.
func TestRunServesStatus(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "status-test")
	down := testutil.ClosedAddr(t) // nothing listens there: the check fails
	s := startRun(t, "--check", "up=tcp://"+upstream(t), "--check", "down=tcp://"+down,
		"--heartbeat-interval", "100ms", "--log-level", "error")
	pollUntil(t, "/readyz 503", 10*time.Second, wantStatus(s.url("/readyz"), http.StatusServiceUnavailable))
	// /readyz is 503 from the first failed heartbeat of down, which may come before up's first
	// success (seen on a loaded 2-core machine): wait for up's too.
	pollUntil(t, "up ok on /status", 10*time.Second, func() error {
		_, body, err := get(s.url("/status"))
		if err != nil {
			return err
		}
		if !strings.Contains(body, `data-component="up" data-state="ok"`) {
			return errors.New("up is not ok yet")
		}
		return nil
	})
	code, body, err := get(s.url("/status"))
	if err != nil || code != http.StatusOK {
		t.Fatalf("/status: HTTP %d, %v", code, err)
	}
	version, gitRef := buildinfo.Read()
	for _, want := range []string{
		`<h1 id="service">status-test</h1>`,
		`id="overall" data-state="degraded" data-code="503"`,
		`<dd class="mono" id="version">` + version + `</dd>`,
		`<dd class="mono" id="gitref">` + gitRef + `</dd>`,
		`data-component="down" data-state="degraded"`,
		`data-component="up" data-state="ok"`,
		down + `: connect: connection refused`,
		`<a href="metrics">`, `<a href="readyz?verbose">`, `<a href="livez?verbose">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/status lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "pprof") {
		t.Error("/status links pprof without --debug")
	}

	d := startRun(t, "-d", "--log-level", "error")
	if _, body, err := get(d.url("/status")); err != nil || !strings.Contains(body, `<a href="debug/pprof/">`) {
		t.Errorf("/status with -d: no pprof link (%v):\n%s", err, body)
	}
}

// TestStatusNamesTheService: /status names the service as the metrics do, from the telemetry
// pipeline: OTEL_SERVICE_NAME, else service.name in OTEL_RESOURCE_ATTRIBUTES, else telediag.
// /readyz keeps Teleport's texts whatever the name.
func TestStatusNamesTheService(t *testing.T) {
	for _, c := range []struct{ serviceName, attrs, want string }{
		{"", "", "telediag"},
		{"  orders ", "service.name=ignored", "orders"},
		{"", "deployment.environment=prod,service.name=from-attrs", "from-attrs"},
		{"", "service.name=x,malformed", "telediag"},
		{"", "team=a", "telediag"},
	} {
		t.Run(c.serviceName+"/"+c.attrs, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", c.serviceName)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", c.attrs)
			s := startRun(t, "--log-level", "error", "--check", "db=tcp://"+testutil.ClosedAddr(t))
			_, body, err := get(s.url("/status"))
			if err != nil || !strings.Contains(body, `<h1 id="service">`+c.want+`</h1>`) {
				t.Errorf("OTEL_SERVICE_NAME=%q OTEL_RESOURCE_ATTRIBUTES=%q: /status does not name %q (%v):\n%s",
					c.serviceName, c.attrs, c.want, err, body)
			}
			if _, body, err := get(s.url("/readyz")); err != nil || !strings.Contains(body, "teleport ") {
				t.Errorf("/readyz lost Teleport's texts: %s (%v)", body, err)
			}
		})
	}
}

// TestBareIsReady: with neither --check nor --demo there is nothing to wait for, so /readyz
// answers 200 as soon as the process serves (a Kubernetes readiness probe passes), and
// process_state and /status agree with it.
func TestBareIsReady(t *testing.T) {
	start := time.Now()
	s := startRun(t, "--log-level", "error")
	pollUntil(t, "/readyz 200 on a bare process", 5*time.Second-time.Since(start), wantStatus(s.url("/readyz"), http.StatusOK))
	t.Logf("/readyz 200 %v after start", time.Since(start).Round(time.Millisecond))
	_, body, err := get(s.url("/readyz?verbose"))
	var rd struct {
		Status     string `json:"status"`
		Components []any  `json:"components"`
	}
	if err != nil || json.Unmarshal([]byte(body), &rd) != nil || rd.Status != "ok" || rd.Components == nil || len(rd.Components) != 0 {
		t.Errorf("/readyz?verbose: %s (%v), want ok with no components", body, err)
	}
	if _, body, err := get(s.url("/metrics")); err != nil || !strings.Contains(body, "\nprocess_state 0\n") {
		t.Errorf("/metrics: process_state 0 present: %v (%v)", strings.Contains(body, "\nprocess_state 0\n"), err)
	}
	if _, body, err := get(s.url("/status")); err != nil || !strings.Contains(body, `id="overall" data-state="ok" data-code="200"`) {
		t.Errorf("/status does not show ok 200 (%v):\n%s", err, body)
	}

	// A --check still starts in starting, as Teleport's process does: nothing answers there.
	c := startRun(t, "--log-level", "error", "--check", "db=tcp://"+testutil.ClosedAddr(t), "--heartbeat-interval", "1h")
	if code, body, err := get(c.url("/readyz")); err != nil || code == http.StatusOK {
		t.Errorf("with a --check that never succeeded: /readyz %d %s (%v), want not ready", code, body, err)
	}
}
