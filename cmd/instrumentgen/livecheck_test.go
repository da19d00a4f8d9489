package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/livecheck"
)

const (
	liveCatalog    = "../../internal/livecheck/testdata/instruments.yaml"
	liveUndeclared = "../../internal/livecheck/testdata/undeclared.yaml" // liveCatalog with undeclared: upstream_.*
	liveGood       = "../../internal/livecheck/testdata/good.prom"
	liveFaults     = "../../internal/livecheck/testdata/faults.prom"
	liveRuntime    = "../../internal/livecheck/testdata/runtime.prom" // liveGood and families made at run time
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
		{"bad ignore pattern", []string{"-ignore", "upstream_(", liveCatalog, good}, "invalid value \"upstream_(\" for flag -ignore: invalid regular expression (RE2): error parsing regexp: missing closing ): `upstream_(`"},
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

// TestLiveCheckIgnore: a service that makes families at run time fails the check until they
// are ignored, by -ignore or by the catalogue's undeclared list; then it passes, each pattern
// saying what it ignored, and it still fails when a declared family goes missing.
func TestLiveCheckIgnore(t *testing.T) {
	url := serveFile(t, liveRuntime)
	r := runLiveCheckCmd(liveCatalog, url)
	if r.code != 1 || !strings.Contains(r.stdout, url+": upstream_up: undeclared: ") || !strings.Contains(r.stdout, url+": relay_buffer_bytes: undeclared: ") {
		t.Fatalf("without -ignore: exit %d, want 1 and the run-time families undeclared\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"flags", []string{"-ignore", "upstream_.*", "-ignore", "relay_.*", "-ignore", "stale_.*", liveCatalog, url}, []string{
			`-ignore "upstream_.*": ignored 2 families: upstream_orders_placed_total, upstream_up`,
			`-ignore "relay_.*": ignored 1 family: relay_buffer_bytes`,
			`-ignore "stale_.*": matched no served family the catalogue leaves undeclared`,
			"live-check " + liveCatalog + " against " + url + ": 11 families served, 0 problem(s), 0 warning(s), 3 ignored",
		}},
		{"catalogue key", []string{"-ignore", "relay_.*", liveUndeclared, url}, []string{
			liveUndeclared + `:65: undeclared "upstream_.*": ignored 2 families: upstream_orders_placed_total, upstream_up`,
			`-ignore "relay_.*": ignored 1 family: relay_buffer_bytes`,
			"live-check " + liveUndeclared + " against " + url + ": 11 families served, 0 problem(s), 0 warning(s), 3 ignored",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLiveCheckCmd(tc.args...)
			if got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"); r.code != 0 || r.stderr != "" || !slices.Equal(got, tc.want) {
				t.Errorf("exit %d, want 0\nstdout:\n%s\nwant:\n%s\nstderr: %s", r.code, r.stdout, strings.Join(tc.want, "\n"), r.stderr)
			}
		})
	}

	// The same service without failures_total, a label-less counter it always serves.
	body, err := os.ReadFile(liveRuntime)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.Contains(line, "failures_total") {
			kept = append(kept, line)
		}
	}
	missing := filepath.Join(t.TempDir(), "missing.prom")
	if err := os.WriteFile(missing, []byte(strings.Join(kept, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runLiveCheckCmd("-ignore", "relay_.*", "-ignore", ".*_total", liveUndeclared, serveFile(t, missing))
	if r.code != 1 || !strings.Contains(r.stdout, liveUndeclared+":18: failures_total: missing: ") {
		t.Errorf("a declared family missing, under -ignore: exit %d, want 1 and failures_total missing\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runLiveCheckCmd("-json", "-ignore", "relay_.*", liveUndeclared, url)
	var rep liveCheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("-json: exit %d, %v\n%s", r.code, err, r.stdout)
	}
	want := []livecheck.Ignored{
		{Pattern: "upstream_.*", From: livecheck.FromCatalogue, Line: 65, Families: []string{"upstream_orders_placed_total", "upstream_up"}},
		{Pattern: "relay_.*", From: livecheck.FromIgnore, Families: []string{"relay_buffer_bytes"}},
	}
	if !slices.EqualFunc(rep.Ignored, want, func(a, b livecheck.Ignored) bool {
		return a.Pattern == b.Pattern && a.From == b.From && a.Line == b.Line && slices.Equal(a.Families, b.Families)
	}) {
		t.Errorf("-json ignored %+v, want %+v", rep.Ignored, want)
	}
	if r := runLiveCheckCmd("-json", liveCatalog, serveFile(t, liveGood)); !strings.Contains(r.stdout, `"ignored": []`) {
		t.Errorf("no pattern, -json: want \"ignored\": []\n%s", r.stdout)
	}
}
