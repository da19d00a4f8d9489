package router_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/router"
)

var pprofPaths = []string{
	"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/profile", "/debug/pprof/symbol",
	"/debug/pprof/trace", "/debug/pprof/heap", "/debug/pprof/goroutine", "/debug/pprof/allocs",
	"/debug/pprof/block", "/debug/pprof/mutex", "/debug/pprof/threadcreate",
}

func TestPprofAbsentWithoutDebug(t *testing.T) {
	h := newRouter(t, newMonitor(t), false)
	for _, p := range append(pprofPaths, "/debug/pprof") {
		if got := do(t, h, http.MethodGet, p); got.code != http.StatusNotFound {
			t.Errorf("GET %s without debug: %d, want 404", p, got.code)
		}
	}
	if got := do(t, h, http.MethodPost, "/debug/pprof/symbol"); got.code != http.StatusNotFound {
		t.Errorf("POST /debug/pprof/symbol without debug: %d, want 404", got.code)
	}
}

func TestPprofWithDebug(t *testing.T) {
	h := newRouter(t, newMonitor(t), true)

	idx := do(t, h, http.MethodGet, "/debug/pprof/")
	if idx.code != 200 {
		t.Fatalf("index: %d", idx.code)
	}
	for _, want := range []string{"heap", "goroutine", "allocs", "threadcreate"} {
		if !strings.Contains(idx.body, want) {
			t.Errorf("index does not list %q", want)
		}
	}
	for _, name := range []string{"heap", "goroutine", "allocs", "block", "mutex", "threadcreate"} {
		got := do(t, h, http.MethodGet, "/debug/pprof/"+name+"?debug=1")
		if got.code != 200 || got.body == "" {
			t.Errorf("%s: %d, %d bytes", name, got.code, len(got.body))
		}
	}
	if got := do(t, h, http.MethodGet, "/debug/pprof/cmdline"); got.code != 200 || !strings.Contains(got.body, filepath.Base(os.Args[0])) {
		t.Errorf("cmdline: %d %q", got.code, got.body)
	}
	if got := do(t, h, http.MethodGet, "/debug/pprof/nosuchprofile"); got.code != http.StatusNotFound {
		t.Errorf("unknown profile: %d, want 404", got.code)
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		if got := do(t, h, method, "/debug/pprof/symbol"); got.code != 200 || !strings.HasPrefix(got.body, "num_symbols:") {
			t.Errorf("%s symbol: %d %q", method, got.code, got.body)
		}
	}
	if got := do(t, h, http.MethodDelete, "/debug/pprof/profile"); got.code != http.StatusMethodNotAllowed {
		t.Errorf("DELETE profile: %d, want 405", got.code)
	}
}

// Profile fetches are logged at debug level only: a scraper polling
// /debug/pprof must not fill the info log.
func TestPprofFetchLoggedAtDebug(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var logs bytes.Buffer
		h := install(t, router.Config{Monitor: newMonitor(t), Debug: true,
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: level}))})
		logs.Reset() // Install's one line saying pprof is served
		for range 10 {
			do(t, h, http.MethodGet, "/debug/pprof/heap?debug=1")
		}
		n := strings.Count(logs.String(), "collecting pprof profile")
		want := 0
		if level == slog.LevelDebug {
			want = 10
		}
		if n != want {
			t.Errorf("at %v: %d lines for 10 fetches, want %d:\n%s", level, n, want, logs.String())
		}
		if level == slog.LevelDebug && !strings.Contains(logs.String(), "level=DEBUG") {
			t.Errorf("fetches not logged at debug:\n%s", logs.String())
		}
	}
}

// findGo locates the go command that built this test, then PATH.
func findGo(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); runtime.GOROOT() != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found; cannot run go tool pprof")
	}
	return p
}

// TestGoToolPprofReadsHeap checks the endpoint with the real client that
// operators use, not just an HTTP status.
func TestGoToolPprofReadsHeap(t *testing.T) {
	goCmd := findGo(t)
	srv, url := startServer(t, newRouter(t, newMonitor(t), true), 30*time.Second)
	defer shutdown(t, srv)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // the first run builds pprof
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "tool", "pprof", "-raw", url+"/debug/pprof/heap")
	tmp := t.TempDir()
	// pprof saves what it fetches under $PPROF_TMPDIR (else $HOME/pprof).
	cmd.Env = append(os.Environ(), "PPROF_TMPDIR="+tmp)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -raw: %v\n%s", err, out)
	}
	// -raw prints the decoded profile: its header and the heap sample types.
	for _, want := range []string{"PeriodType: space bytes", "Samples:", "alloc_objects/count"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("pprof output lacks %q:\n%.2000s", want, out)
		}
	}
}

// TestProfileOutlivesWriteTimeout runs 2s profiles on a server whose
// WriteTimeout is 1s. Go's pprof extends the deadline itself when it can see
// the *http.Server in the request context; behind a front handler that hides
// it, only the router's cleared deadline keeps the response from being cut.
func TestProfileOutlivesWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 6s")
	}
	h := newRouter(t, newMonitor(t), true)
	hideServer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, nil)))
	})
	cases := []struct {
		name    string
		handler http.Handler
		path    string
	}{
		{"pprof sees the server", h, "/debug/pprof/profile?seconds=2"},
		{"server hidden from pprof", hideServer, "/debug/pprof/profile?seconds=2"},
		{"trace, server hidden", hideServer, "/debug/pprof/trace?seconds=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, url := startServer(t, c.handler, time.Second)
			defer shutdown(t, srv)
			client := &http.Client{Timeout: 20 * time.Second}
			defer client.CloseIdleConnections()

			start := time.Now()
			resp, err := client.Get(url + c.path)
			if err != nil {
				t.Fatalf("GET %s: %v", c.path, err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if elapsed := time.Since(start); elapsed < 2*time.Second {
				t.Fatalf("answered after %v, before the 2s profile could finish", elapsed)
			}
			if len(body) == 0 {
				t.Fatal("empty profile")
			}
			if strings.Contains(c.path, "/profile") && !strings.HasPrefix(body, "\x1f\x8b") {
				t.Fatalf("CPU profile is not gzip-compressed protobuf: %.20q", body)
			}
		})
	}
}

// startServer serves h on a loopback port with Teleport's timeouts except
// for writeTimeout.
func startServer(t *testing.T, h http.Handler, writeTimeout time.Duration) (*http.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadTimeout:       30 * time.Second,
		ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       30 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	return srv, "http://" + ln.Addr().String()
}

func shutdown(t *testing.T, srv *http.Server) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
