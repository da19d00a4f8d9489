package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/livecheck"
)

const (
	liveCatalog = "../../internal/livecheck/testdata/instruments.yaml"
	liveGood    = "../../internal/livecheck/testdata/good.prom"
	liveFaults  = "../../internal/livecheck/testdata/faults.prom"
)

func runLiveCheckCmd(args ...string) result {
	var out, errb bytes.Buffer
	code := run(append([]string{"live-check"}, args...), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// serveFile serves a testdata exposition as a text-format /metrics.
func serveFile(t *testing.T, path string) string {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

func TestLiveCheckConforming(t *testing.T) {
	url := serveFile(t, liveGood)
	r := runLiveCheckCmd(liveCatalog, url)
	if r.code != 0 || r.stderr != "" || r.stdout != "live-check "+liveCatalog+" against "+url+": 8 families served, 0 problem(s), 0 warning(s)\n" {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestLiveCheckFaults: one line per problem, naming the family and where the catalogue
// declares it; exit 1.
func TestLiveCheckFaults(t *testing.T) {
	url := serveFile(t, liveFaults)
	r := runLiveCheckCmd(liveCatalog, url)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	want := []string{
		liveCatalog + ":18: failures_total: missing: ",
		liveCatalog + ":24: in_flight: type: ",
		liveCatalog + ":30: latency_seconds: buckets: ",
		liveCatalog + ":38: queue_depth: labels: ",
		liveCatalog + ":11: requests_total: enum: ",
		url + ": surprise_total: undeclared: ",
		liveCatalog + ":51: warning: uptime_seconds: help: ",
		"live-check " + liveCatalog + " against " + url + ": 6 families served, 6 problem(s), 1 warning(s)",
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), r.stdout)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i+1, lines[i], w)
		}
	}
}

func TestLiveCheckJSON(t *testing.T) {
	url := serveFile(t, liveFaults)
	r := runLiveCheckCmd("-json", liveCatalog, url)
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rep liveCheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if rep.Errors != 6 || rep.Warnings != 1 || len(rep.Findings) != 7 || rep.Source != url || rep.Catalog != liveCatalog {
		t.Errorf("report %+v", rep)
	}
	if f := rep.Findings[0]; f.Family != "failures_total" || f.Check != livecheck.Missing || f.Severity != livecheck.Error || f.Line != 18 {
		t.Errorf("first finding %+v", f)
	}
	r = runLiveCheckCmd("-json", liveCatalog, serveFile(t, liveGood))
	if r.code != 0 || !strings.Contains(r.stdout, `"findings": []`) {
		t.Errorf("conforming, -json: exit %d\n%s", r.code, r.stdout)
	}
}

// TestLiveCheckCouldNotCheck: usage, an invalid catalogue, an unreachable URL and an answer
// that is not an exposition all exit 2, with one line saying why.
func TestLiveCheckCouldNotCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html></html>"))
	}))
	defer html.Close()
	good := serveFile(t, liveGood)
	hung, err := net.Listen("tcp", "127.0.0.1:0") // accepts (the kernel does) and never answers
	if err != nil {
		t.Fatal(err)
	}
	defer hung.Close()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no arguments", nil, "want instruments.yaml and a URL"},
		{"one argument", []string{liveCatalog}, "got 1 argument(s)"},
		{"unknown flag", []string{"-strict", liveCatalog, good}, "-strict"},
		{"ca with http", []string{"-ca", liveCatalog, liveCatalog, good}, "flag -ca applies to https URLs only"},
		{"missing catalogue", []string{"missing.yaml", good}, "missing.yaml: no such file or directory\ninstrumentgen live-check: nothing checked"},
		{"invalid catalogue", []string{"../../internal/catalog/testdata/bad/unknown_key.yaml", good}, "problem(s)\ninstrumentgen live-check: nothing checked"},
		{"unreachable", []string{liveCatalog, "http://" + closed + "/metrics"}, "could not check: GET http://" + closed + "/metrics: dial tcp"},
		{"not an exposition", []string{liveCatalog, html.URL}, `Content-Type "text/html" is not an exposition format`},
		{"no answer", []string{"-timeout", "200ms", liveCatalog, "http://" + hung.Addr().String() + "/metrics"}, "context deadline exceeded (no answer within -timeout 200ms)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLiveCheckCmd(tc.args...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
}
