package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// collector is an OTLP endpoint that is either closed (nothing listens) or hung (connections
// are accepted and never answered).
func collector(t *testing.T, mode string) string {
	t.Helper()
	if mode == "closed" {
		return testutil.ClosedAddr(t)
	}
	return hungPort(t)
}

// linesAfter returns the log lines after the first one containing mark.
func linesAfter(log, mark string) []string {
	i := strings.Index(log, mark)
	if i < 0 {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(log[i:]))
	sc.Scan() // the mark's own line
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// TestStopWithCollectorDown stops telediag (as SIGTERM does) while its OTLP collector is closed
// or hung, over gRPC and HTTP: the exit status is 0, the stop stays within --shutdown-timeout,
// and exactly one warning says what was not delivered, and where to.
func TestStopWithCollectorDown(t *testing.T) {
	const timeout = time.Second
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		for _, mode := range []string{"closed", "hung"} {
			t.Run(strings.ReplaceAll(protocol, "/", "_")+"/"+mode, func(t *testing.T) {
				endpoint := "http://" + collector(t, mode)
				t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
				t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
				t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "200")
				t.Setenv("OTEL_METRIC_EXPORT_TIMEOUT", "5000")
				s := startRun(t, "--demo", "--shutdown-timeout", timeout.String())
				time.Sleep(600 * time.Millisecond) // a few export cycles against the dead collector

				cancelled := time.Now()
				s.cancel()
				var code int
				select {
				case code = <-s.done:
					s.done <- code
				case <-time.After(timeout + 5*time.Second):
					t.Fatalf("run did not return within %v of cancel", timeout+5*time.Second)
				}
				took := time.Since(cancelled)
				if code != 0 {
					t.Errorf("exit %d, want 0:\n%s", code, s.stderr)
				}
				// The drain is instant here; the push may use the whole timeout, no more.
				if took > timeout+300*time.Millisecond {
					t.Errorf("stopped %v after cancel, beyond --shutdown-timeout %v", took, timeout)
				}
				var warnings []string
				for _, l := range linesAfter(s.stderr.String(), "shutting down") {
					if strings.Contains(l, "level=WARN") {
						warnings = append(warnings, l)
					}
				}
				if len(warnings) != 1 {
					t.Fatalf("%d warnings during the stop, want 1:\n%s", len(warnings), strings.Join(warnings, "\n"))
				}
				w := warnings[0]
				for _, want := range []string{`msg="final metrics push not delivered"`, "exporter=otlp/", "endpoint=" + endpoint, "lost="} {
					if !strings.Contains(w, want) {
						t.Errorf("warning lacks %q: %s", want, w)
					}
				}
				if !strings.Contains(s.stderr.String(), "msg=stopped") {
					t.Errorf("no \"stopped\" line:\n%s", s.stderr)
				}
				t.Logf("exit %d %v after cancel: %s", code, took.Round(time.Millisecond), w)
			})
		}
	}
}

// TestStopFailsWhenRequestsOutlastTimeout shows a failure that still exits non-zero: an
// in-flight request (a 5s CPU profile) that the drain cannot finish within --shutdown-timeout.
func TestStopFailsWhenRequestsOutlastTimeout(t *testing.T) {
	s := startRun(t, "-d", "--shutdown-timeout", "300ms", "--log-level", "error")
	ctx, cancelReq := context.WithCancel(context.Background())
	defer cancelReq()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url("/debug/pprof/profile?seconds=5"), nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		tr := &http.Transport{DisableKeepAlives: true}
		defer tr.CloseIdleConnections()
		if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	time.Sleep(200 * time.Millisecond) // the profile is running
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code
		if code != 1 {
			t.Errorf("exit %d, want 1", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return")
	}
	cancelReq() // let the profile handler go
	if !strings.Contains(s.stderr.String(), "drain HTTP server: requests still running after -shutdown-timeout 300ms") {
		t.Errorf("stderr does not say why:\n%s", s.stderr)
	}
}

// TestBadEnvironment: a malformed OTLP endpoint is one line naming the variable and a non-zero
// exit before anything is served; a malformed OTEL_RESOURCE_ATTRIBUTES is one warning, and the
// process serves.
func TestBadEnvironment(t *testing.T) {
	free := freeAddr(t)
	for _, tc := range []struct{ variable, value string }{
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:4318"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"},
		{"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector:4318"},
	} {
		t.Run(tc.variable+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.variable, tc.value)
			r := runBounded(t, 10*time.Second, "--diag-addr", free)
			checkOneLine(t, r, 1, "", []string{tc.variable + "=", "want an http:// or https:// URL"})
		})
	}
	if ln, err := net.Listen("tcp", free); err != nil {
		t.Errorf("after the refused runs %s cannot be listened on: %v", free, err)
	} else {
		ln.Close()
	}

	t.Run("OTEL_RESOURCE_ATTRIBUTES", func(t *testing.T) {
		t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "team=core,no-equals-sign")
		s := startRun(t)
		var warnings []string
		for _, l := range strings.Split(s.stderr.String(), "\n") {
			if strings.Contains(l, "level=WARN") {
				warnings = append(warnings, l)
			}
		}
		if len(warnings) != 1 || !strings.Contains(warnings[0], "OTEL_RESOURCE_ATTRIBUTES") || !strings.Contains(warnings[0], "no-equals-sign") {
			t.Errorf("want one warning naming OTEL_RESOURCE_ATTRIBUTES and the bad pair, got:\n%s", s.stderr)
		}
	})
}
