package router_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// TestConcurrentHeartbeatsAndProbes hammers the Monitor with heartbeats
// from many goroutines while others poll every endpoint through a real
// server. Run with -race; it also checks that every answer is well formed.
func TestConcurrentHeartbeatsAndProbes(t *testing.T) {
	m, err := probes.New(probes.WithLogger(quietLogger()), probes.WithRecoveryWindow(time.Millisecond), probes.WithTeleportTexts())
	if err != nil {
		t.Fatal(err)
	}
	var changes sync.Map // written by the listener, to race with the rest
	m.Subscribe(func(c probes.Change) { changes.Store(c.To, c.At) })

	// The real metrics pipeline, with process_state read from m on every scrape, so that
	// collection races with heartbeats and with recording.
	tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter(), telemetry.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	metrics, err := teleport.New(tel.MeterProvider(), m)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(install(t, router.Config{Monitor: m, Telemetry: tel}))
	defer srv.Close()
	transport := &http.Transport{MaxIdleConnsPerHost: 16}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}

	const duration = 1500 * time.Millisecond
	stop := make(chan struct{})
	var wg sync.WaitGroup
	components := []string{"auth", "proxy", "node", "kube"}
	failure := errors.New("heartbeat failed")

	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var err error
				if (i+g)%5 == 0 {
					err = failure
				}
				m.Heartbeat(components[(i+g)%len(components)], err)
				metrics.BackendReadRequestsTotal.Add(context.Background(), 1, components[(i+g)%len(components)])
				if i%50 == 0 {
					m.Heartbeat(fmt.Sprintf("late-%d", i%3), nil) // components keep turning up
				}
			}
		}()
	}

	targets := []string{"/readyz", "/readyz?verbose", "/metrics", "/readyz/auth", "/healthz", "/status"}
	errs := make(chan error, 64)
	var requests sync.WaitGroup
	for p := range 8 {
		requests.Add(1)
		go func() {
			defer requests.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := probe(client, srv.URL, targets[(i+p)%len(targets)]); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}

	time.Sleep(duration)
	close(stop)
	wg.Wait()
	requests.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, ok := changes.Load(probes.StateDegraded); !ok {
		t.Error("listener never saw the process degrade; the test did not exercise transitions")
	}
}

var statusOverall = regexp.MustCompile(`id="overall" data-state="([a-z]+)" data-code="(\d+)"`)

// probe requests one endpoint and checks that the answer is consistent.
func probe(client *http.Client, base, target string) error {
	resp, err := client.Get(base + target)
	if err != nil {
		return fmt.Errorf("GET %s: %w", target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: reading body: %w", target, err)
	}
	if target == "/metrics" {
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: HTTP %d %q", target, resp.StatusCode, body)
		}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "process_state "); ok {
				if v != "0" && v != "1" && v != "2" && v != "3" {
					return fmt.Errorf("GET %s: process_state %q", target, v)
				}
				return nil
			}
		}
		return fmt.Errorf("GET %s: no process_state in %d bytes", target, len(body))
	}
	if target == "/status" {
		// One snapshot: the state shown is the one its code belongs to.
		m := statusOverall.FindSubmatch(body)
		if resp.StatusCode != http.StatusOK || m == nil {
			return fmt.Errorf("GET %s: HTTP %d, no overall state in %d bytes", target, resp.StatusCode, len(body))
		}
		want := map[string]string{"ok": "200", "recovering": "400", "starting": "400", "degraded": "503"}
		if want[string(m[1])] != string(m[2]) {
			return fmt.Errorf("GET %s: state %s shown with code %s", target, m[1], m[2])
		}
		return nil
	}
	var r struct {
		Status     string `json:"status"`
		Components []struct {
			Name, State string
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("GET %s: %d %q: %w", target, resp.StatusCode, body, err)
	}
	want := map[string]int{
		"ok": 200,
		"teleport is recovering from a degraded state, check logs for details": 400,
		"teleport is starting and hasn't joined the cluster yet":               400,
		"teleport is in a degraded state, check logs for details":              503,
	}
	if code, ok := want[r.Status]; !ok || code != resp.StatusCode {
		return fmt.Errorf("GET %s: status %d with text %q", target, resp.StatusCode, r.Status)
	}
	return nil
}
