//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// cmdResult is one finished run of the binary.
type cmdResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

// runBinary runs the telediag binary to completion with args (and env added to a clean
// environment), killing it after limit.
func runBinary(t *testing.T, limit time.Duration, env []string, args ...string) cmdResult {
	t.Helper()
	bin := binary(t, envBin)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := cmdResult{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("telediag %s: %v (after %v)\nstderr: %s", strings.Join(args, " "), err, r.took, r.stderr)
	}
	return r
}

// hungPort is a TCP listener that accepts connections and never answers.
func hungPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// readLog returns the process's log so far.
func (p *proc) readLog(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSIGTERMWithCollectorDown pushes to a real collector, then makes it unreachable, closed
// (stopped) or hung (SIGSTOP: connections stay open and nothing answers), and sends SIGTERM to
// telediag: over gRPC and HTTP the exit status is 0, the exit comes within
// --shutdown-timeout, and the log has exactly one warning, saying what was not delivered and
// where to.
func TestSIGTERMWithCollectorDown(t *testing.T) {
	requireE2E(t)
	otelcol := binary(t, envOtelcol)
	bin := binary(t, envBin)
	const timeout = 2 * time.Second
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		for _, mode := range []string{"closed", "hung"} {
			t.Run(strings.ReplaceAll(protocol, "/", "_")+"/"+mode, func(t *testing.T) {
				ports := newCollectorPorts(t)
				col := startCollector(t, otelcol, writeCollectorConfig(t, ports), ports)
				diag := hostPort(freePort(t))
				endpoint := ports.otlpEndpoint(protocol)
				td := startProc(t, "telediag", bin, []string{"--demo", "--diag-addr", diag, "--shutdown-timeout", timeout.String()},
					append(otlpEnv(protocol, endpoint), "OTEL_SERVICE_NAME=telediag-e2e"))
				waitFor(t, "rx at the collector", 45*time.Second, func() error {
					fams, err := scrape(ports.metricsURL())
					if err != nil {
						return err
					}
					if f := family(fams, "rx"); f == nil || sampleSum(f) <= 0 {
						return fmt.Errorf("rx not at the collector yet (%d families)", len(fams))
					}
					return nil
				}, col, td)

				switch mode {
				case "closed":
					col.stop(t, 15*time.Second)
				case "hung":
					if err := col.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
						t.Fatal(err)
					}
					// Let the collector go on (and be stopped) once the test is over.
					t.Cleanup(func() { _ = col.cmd.Process.Signal(syscall.SIGCONT) })
				}
				time.Sleep(700 * time.Millisecond) // an export or two meets the dead collector

				sent := time.Now()
				if err := td.cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				select {
				case <-td.done:
				case <-time.After(timeout + 10*time.Second):
					t.Fatalf("telediag did not exit within %v of SIGTERM", timeout+10*time.Second)
				}
				took := time.Since(sent)
				if td.waitErr != nil {
					t.Errorf("exit after SIGTERM: %v, want status 0", td.waitErr)
				}
				// The drain is instant; the push may use the whole timeout, and process exit a
				// little more.
				if took > timeout+time.Second {
					t.Errorf("exited %v after SIGTERM, beyond --shutdown-timeout %v", took, timeout)
				}
				log := td.readLog(t)
				i := strings.Index(log, "shutting down")
				if i < 0 {
					t.Fatalf("no shutdown in the log:\n%s", log)
				}
				var warnings []string
				for _, l := range strings.Split(log[i:], "\n") {
					if strings.Contains(l, "level=WARN") {
						warnings = append(warnings, l)
					}
				}
				if len(warnings) != 1 {
					t.Fatalf("%d warnings after SIGTERM, want 1:\n%s", len(warnings), strings.Join(warnings, "\n"))
				}
				for _, want := range []string{`msg="final metrics push not delivered"`, "endpoint=" + endpoint,
					`lost="changes recorded since the last delivered export at `} {
					if !strings.Contains(warnings[0], want) {
						t.Errorf("warning lacks %q: %s", want, warnings[0])
					}
				}
				t.Logf("exit 0 %v after SIGTERM; %s", took.Round(time.Millisecond), warnings[0])
			})
		}
	}
}

// TestHeartbeatBounds: an interval below the minimum is refused with one line; an enormous one
// no longer overflows the recovery window; and an upstream flapping under a 100ms heartbeat
// leaves a bounded number of log lines.
func TestHeartbeatBounds(t *testing.T) {
	requireE2E(t)
	t.Run("1ns refused", func(t *testing.T) {
		r := runBinary(t, 10*time.Second, nil, "--diag-addr", hostPort(freePort(t)), "--heartbeat-interval", "1ns")
		if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "-heartbeat-interval: must be at least 100ms") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("2000000h serves", func(t *testing.T) {
		up := newTCPUpstream(t)
		d := startTelediagArgs(t, "--check", "up=tcp://"+up.addr, "--heartbeat-interval", "2000000h")
		waitFor(t, "/readyz 200 after the first heartbeat", 15*time.Second, func() error {
			_, err := get200(d.url("/readyz"))
			return err
		}, d.proc)
	})
	t.Run("flapping", func(t *testing.T) {
		up := newTCPUpstream(t)
		d := startTelediagArgs(t, "--check", "flap=tcp://"+up.addr, "--heartbeat-interval", "100ms")
		waitFor(t, "/readyz 200", 15*time.Second, func() error {
			_, err := get200(d.url("/readyz"))
			return err
		}, d.proc)
		// Flap for 4s: the upstream goes away and comes back every 150ms.
		for end := time.Now().Add(4 * time.Second); time.Now().Before(end); {
			up.close()
			time.Sleep(150 * time.Millisecond)
			up.reopen()
			time.Sleep(150 * time.Millisecond)
		}
		log := d.readLog(t)
		comp := strings.Count(log, "component=flap")
		changes := strings.Count(log, `msg="probes: readiness changed"`)
		t.Logf("4s of flapping: %d component lines, %d readiness lines, %d lines in all", comp, changes, strings.Count(log, "\n"))
		if comp > 5 || changes > 5 {
			t.Errorf("%d component and %d readiness lines in 4s of flapping, want at most 5 each:\n%s", comp, changes, log)
		}
		if !strings.Contains(log, "flapping=") {
			t.Errorf("the log does not say that further transitions are counted:\n%s", log)
		}
	})
}
