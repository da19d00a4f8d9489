//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// startTelediagArgs runs the telediag binary with --diag-addr on a free
// port plus args, and waits until /healthz answers 200.
func startTelediagArgs(t *testing.T, args ...string) telediag {
	t.Helper()
	bin := binary(t, envBin)
	diag := hostPort(freePort(t))
	p := startProc(t, "telediag", bin, append([]string{"--diag-addr", diag}, args...), nil)
	d := telediag{proc: p, diag: diag}
	waitFor(t, "telediag /healthz", 30*time.Second, func() error {
		_, err := get200(d.url("/healthz"))
		return err
	}, p)
	return d
}

// tcpUpstream is a TCP listener that accepts and closes connections, and
// can be closed and reopened on the same port.
type tcpUpstream struct {
	t    *testing.T
	addr string
	mu   sync.Mutex
	ln   net.Listener
}

func newTCPUpstream(t *testing.T) *tcpUpstream {
	u := &tcpUpstream{t: t}
	u.open("127.0.0.1:0")
	t.Cleanup(u.close)
	return u
}

func (u *tcpUpstream) open(addr string) {
	u.t.Helper()
	ln := testutil.TCPUpstream(u.t, addr)
	u.mu.Lock()
	u.ln, u.addr = ln, ln.Addr().String()
	u.mu.Unlock()
}

// close makes the upstream go away; its accept goroutine ends at once and is
// waited for by the test's cleanup.
func (u *tcpUpstream) close() {
	u.mu.Lock()
	ln := u.ln
	u.ln = nil
	u.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
}

// reopen listens on the same port again.
func (u *tcpUpstream) reopen() { u.open(u.addr) }

// readyzSample is one observation of the diagnostics endpoints.
type readyzSample struct {
	at     time.Time // when the /readyz request was sent
	code   int       // /readyz status
	status string    // /readyz "status"
	state  float64   // process_state on /metrics, fetched right after
	again  int       // /readyz status once more, after /metrics
}

// sampleReadiness fetches /readyz, /healthz, /metrics and /readyz again.
// /healthz must be 200 whatever the readiness.
func sampleReadiness(d telediag) (readyzSample, error) {
	s := readyzSample{at: time.Now()}
	code, body, err := get(d.url("/readyz"))
	if err != nil {
		return s, err
	}
	var rd struct {
		Status string `json:"status"`
		PID    int    `json:"pid"`
	}
	if err := json.Unmarshal(body, &rd); err != nil {
		return s, fmt.Errorf("/readyz: HTTP %d, body not JSON: %q", code, body)
	}
	s.code, s.status = code, rd.Status
	if hc, hb, err := get(d.url("/healthz")); err != nil || hc != http.StatusOK {
		return s, fmt.Errorf("/healthz while /readyz is %d: HTTP %d %s (%v)", code, hc, hb, err)
	}
	fams, err := scrape(d.url("/metrics"))
	if err != nil {
		return s, err
	}
	f := family(fams, "process_state")
	if f == nil || len(f.GetMetric()) != 1 {
		return s, fmt.Errorf("/metrics: process_state missing or not one series: %v", f)
	}
	s.state = f.GetMetric()[0].GetGauge().GetValue()
	if s.again, _, err = get(d.url("/readyz")); err != nil {
		return s, err
	}
	return s, nil
}

// consistent reports whether the sample saw one state throughout: /readyz
// the same before and after /metrics, and process_state matching it.
func (s readyzSample) consistent(code int, state float64) bool {
	return s.code == code && s.again == code && s.state == state
}

// verboseComponent reads one component from /readyz?verbose.
func verboseComponent(d telediag, name string) (state string, since time.Time, err error) {
	_, body, err := get(d.url("/readyz?verbose"))
	if err != nil {
		return "", time.Time{}, err
	}
	var v struct {
		Components []struct {
			Name, State, Since, Error string
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", time.Time{}, fmt.Errorf("/readyz?verbose: %v: %q", err, body)
	}
	for _, c := range v.Components {
		if c.Name == name {
			since, err := time.Parse(time.RFC3339Nano, c.Since)
			return c.State, since, err
		}
	}
	return "", time.Time{}, fmt.Errorf("/readyz?verbose has no component %q: %s", name, body)
}

const (
	statusOKText         = "ok"
	statusRecoveringText = "teleport is recovering from a degraded state, check logs for details"
	statusDegradedText   = "teleport is in a degraded state, check logs for details"
)

// TestReadinessFollowsUpstream runs telediag against a real TCP upstream
// and takes the upstream away and back: /readyz goes 200 → 503 → 400 → 200,
// process_state on /metrics agrees at every step (0, 2, 1, 0), /healthz
// stays 200 throughout, and ok comes back only after the recovery window.
func TestReadinessFollowsUpstream(t *testing.T) {
	requireE2E(t)
	const (
		interval = 200 * time.Millisecond
		window   = 2 * interval // the default --recovery-window
		pollGap  = 20 * time.Millisecond
		stepMax  = 15 * time.Second
	)
	up := newTCPUpstream(t)
	d := startTelediagArgs(t, "--check", "up=tcp://"+up.addr, "--heartbeat-interval="+interval.String())

	// step polls until a sample is consistently in (code, state). Every
	// sample must be one of the allowed codes: anything else is a wrong
	// transition. It returns the time of the first sample with that /readyz
	// code.
	step := func(name string, code int, text string, state float64, allowed ...int) time.Time {
		t.Helper()
		var first time.Time
		var last readyzSample
		var seen []int
		err := poll(stepMax, pollGap, func() error {
			s, err := sampleReadiness(d)
			if err != nil {
				return err
			}
			last = s
			if len(seen) == 0 || seen[len(seen)-1] != s.code {
				seen = append(seen, s.code)
			}
			ok := s.code == code
			for _, a := range allowed {
				ok = ok || s.code == a
			}
			if !ok {
				return fmt.Errorf("unexpected /readyz %d (%q, process_state %v): codes seen %v", s.code, s.status, s.state, seen)
			}
			if s.code == code && first.IsZero() {
				first = s.at
			}
			if !s.consistent(code, state) {
				return fmt.Errorf("not yet: /readyz %d then %d, process_state %v; codes seen %v", s.code, s.again, s.state, seen)
			}
			if s.status != text {
				return fmt.Errorf("/readyz %d status %q, want %q", s.code, s.status, text)
			}
			return nil
		}, d.proc)
		if err != nil {
			t.Fatalf("%s: want /readyz %d with process_state %v: %v (last sample %+v)", name, code, state, err, last)
		}
		t.Logf("%s: /readyz %d %q, process_state %v (codes seen %v)", name, code, last.status, last.state, seen)
		return first
	}

	// Before the first heartbeat the process is starting (400, state 3).
	step("ready", http.StatusOK, statusOKText, 0, http.StatusBadRequest)

	up.close()
	step("upstream gone", http.StatusServiceUnavailable, statusDegradedText, 2, http.StatusOK)

	reopened := time.Now() // taken before listening: recovery cannot begin earlier
	up.reopen()
	firstRecovering := step("upstream back", http.StatusBadRequest, statusRecoveringText, 1, http.StatusServiceUnavailable)
	_, recoverySince, err := verboseComponent(d, "up")
	if err != nil {
		t.Fatal(err)
	}
	firstOK := step("recovered", http.StatusOK, statusOKText, 0, http.StatusBadRequest)

	// From outside: recovery begins at the first successful heartbeat after
	// the reopen, and ok needs a success strictly more than the window
	// later, so the first 200 cannot be seen within the window of the reopen.
	sinceReopen := firstOK.Sub(reopened)
	t.Logf("first 400 %v and first 200 %v after the reopen (window %v, interval %v)",
		firstRecovering.Sub(reopened), sinceReopen, window, interval)
	if sinceReopen <= window {
		t.Errorf("/readyz 200 came %v after the upstream came back, want more than the recovery window %v", sinceReopen, window)
	}
	// From the process's own clock (/readyz?verbose since): ok came strictly
	// more than the window after recovery began.
	state, okSince, err := verboseComponent(d, "up")
	if err != nil {
		t.Fatal(err)
	}
	if state != "ok" {
		t.Fatalf("/readyz?verbose: component up is %q after /readyz said 200", state)
	}
	if got := okSince.Sub(recoverySince); got <= window {
		t.Errorf("component up: ok at %v, %v after recovering at %v; want more than the window %v",
			okSince.Format(time.RFC3339Nano), got, recoverySince.Format(time.RFC3339Nano), window)
	} else {
		t.Logf("component up: recovering → ok took %v by the process's clock", got)
	}
}

// TestPprofOverBinary checks /debug/pprof on the binary: absent without
// --debug, and usable by `go tool pprof` with --debug or -d.
func TestPprofOverBinary(t *testing.T) {
	requireE2E(t)
	binary(t, envBin)
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool pprof needs go on PATH: %v", err)
	}

	t.Run("off", func(t *testing.T) {
		d := startTelediagArgs(t)
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1", "/debug/pprof/cmdline"} {
			code, _, err := get(d.url(path))
			if err != nil {
				t.Fatal(err)
			}
			if code != http.StatusNotFound {
				t.Errorf("GET %s without --debug: HTTP %d, want 404", path, code)
			}
		}
	})
	for _, flag := range []string{"--debug", "-d"} {
		t.Run(strings.TrimLeft(flag, "-"), func(t *testing.T) {
			d := startTelediagArgs(t, flag)
			body, err := get200(d.url("/debug/pprof/"))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"allocs", "goroutine", "heap", "mutex", "profile", "threadcreate", "trace"} {
				if !bytes.Contains(body, []byte(p)) {
					t.Errorf("/debug/pprof/ with %s does not list %q", flag, p)
				}
			}

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, "tool", "pprof", "-raw", d.url("/debug/pprof/heap"))
			// pprof saves what it fetched under $PPROF_TMPDIR (default ~/pprof).
			cmd.Env = append(os.Environ(), "PPROF_TMPDIR="+t.TempDir())
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go tool pprof -raw %s: %v\n%s", d.url("/debug/pprof/heap"), err, out)
			}
			if !bytes.Contains(out, []byte("PeriodType: space bytes")) || !bytes.Contains(out, []byte("Samples:")) {
				t.Errorf("go tool pprof -raw output does not look like a heap profile:\n%.2000s", out)
			}
			t.Logf("go tool pprof -raw: %d bytes, exit 0", len(out))
		})
	}
}

// TestSIGTERMDrains sends SIGTERM to the binary: /readyz answers 503
// "process is shutting down" during --shutdown-delay while the process keeps
// serving, and the process then exits 0.
func TestSIGTERMDrains(t *testing.T) {
	requireE2E(t)
	const delay = time.Second
	up := newTCPUpstream(t)
	d := startTelediagArgs(t, "--check", "up=tcp://"+up.addr, "--heartbeat-interval=100ms",
		"--shutdown-delay="+delay.String())
	waitFor(t, "/readyz 200", 15*time.Second, func() error {
		_, err := get200(d.url("/readyz"))
		return err
	}, d.proc)

	sent := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Poll fast: the 503 must be seen while the process is still up.
	if err := poll(delay, 20*time.Millisecond, func() error {
		code, body, err := get(d.url("/readyz"))
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"status":"process is shutting down"`)) {
			return fmt.Errorf("/readyz: HTTP %d %s", code, body)
		}
		return nil
	}, d.proc); err != nil {
		t.Fatalf("/readyz during the %v shutdown delay: %v", delay, err)
	}
	seen := time.Since(sent)
	if _, err := get200(d.url("/healthz")); err != nil {
		t.Errorf("/healthz during the drain: %v", err)
	}
	if d.exited() {
		t.Fatalf("the process exited before the drain was observed")
	}
	t.Logf("/readyz 503 %v after SIGTERM", seen)

	select {
	case <-d.done:
	case <-time.After(delay + 5*time.Second):
		t.Fatalf("the process did not exit within %v of SIGTERM", delay+5*time.Second)
	}
	took := time.Since(sent)
	if d.waitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want status 0", d.waitErr)
	}
	if took < delay {
		t.Errorf("exited %v after SIGTERM, before the %v shutdown delay", took, delay)
	}
	t.Logf("exited 0 %v after SIGTERM", took)
	if _, _, err := get(d.url("/healthz")); err == nil {
		t.Errorf("%s still answers after the process exited", d.diag)
	}
}
