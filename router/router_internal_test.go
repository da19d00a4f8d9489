package router

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
)

// testEndpoints is the sub-router Install mounts, logging to logs, for tests that add a route
// of their own to it (a panicking one, say).
func testEndpoints(t *testing.T, logs *bytes.Buffer) http.Handler {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil))
	m, err := probes.New(probes.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter(), telemetry.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	live, err := probes.NewLiveness()
	if err != nil {
		t.Fatal(err)
	}
	status, err := newStatusPage(m, StatusInfo{}, "test", false, false, log)
	if err != nil {
		t.Fatal(err)
	}
	sub := endpoints(Config{Monitor: m, Telemetry: tel}, live, status, log)
	sub.Get("/boom", func(http.ResponseWriter, *http.Request) { panic("collector bug") })
	sub.Get("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	return sub
}

// TestPanicIsRecovered: a panicking endpoint answers 500 and is logged with its stack, and
// the process keeps serving.
func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	srv := httptest.NewServer(testEndpoints(t, &logs))
	defer srv.Close()
	for i := range 2 {
		resp, err := srv.Client().Get(srv.URL + "/boom")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("request %d: %d, want 500", i, resp.StatusCode)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the panic: /healthz %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "collector bug") || !strings.Contains(logs.String(), "level=ERROR") ||
		!strings.Contains(logs.String(), "goroutine ") {
		t.Fatalf("panic not logged with its stack:\n%s", logs.String())
	}
}

// TestAbortHandlerPanicIsNotSwallowed: http.ErrAbortHandler is net/http's way to abort a
// response, so it goes on up.
func TestAbortHandlerPanicIsNotSwallowed(t *testing.T) {
	var logs bytes.Buffer
	h := testEndpoints(t, &logs)
	defer func() {
		if rec := recover(); rec == nil || !errors.Is(rec.(error), http.ErrAbortHandler) {
			t.Fatalf("recovered %v, want http.ErrAbortHandler re-panicked", rec)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/abort", nil))
}
