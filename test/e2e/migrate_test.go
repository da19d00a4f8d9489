//go:build e2e

package e2e

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// shopOnClientGolang is a service on client_golang whose labels are declared out of alphabetical
// order (path, method, code), while instrumentgen import declares them sorted (code, method,
// path): a fixer that moved values by position would record "/orders" as a code. It records a
// few requests, through WithLabelValues, With and a kept child, and prints its own /metrics.
const shopOnClientGolang = `// Command shop serves its metrics with client_golang.
package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var requests = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: "shop",
	Name:      "requests_total",
	Help:      "Requests answered.",
}, []string{"path", "method", "code"})

var latency = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "shop_request_duration_seconds",
	Help:    "Time to answer.",
	Buckets: []float64{0.1, 1},
}, []string{"method", "code"})

func handle(w http.ResponseWriter, r *http.Request) {
	code := "201"
	if r.Method == http.MethodGet {
		code = "200"
	}
	requests.WithLabelValues(r.URL.Path, r.Method, code).Inc()
	latency.With(prometheus.Labels{"code": code, "method": r.Method}).Observe(0.05)
	w.WriteHeader(http.StatusOK)
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", handle)
	mux.Handle("/metrics", promhttp.Handler())
	for _, req := range []struct{ method, path string }{{"POST", "/orders"}, {"POST", "/orders"}, {"GET", "/cart"}} {
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(req.method, req.path, nil))
	}
	hot := requests.WithLabelValues("/pay", "PUT", "503")
	for range 3 {
		hot.Inc()
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	fmt.Print(rec.Body.String())
}
`

// TestMigrateLabelOrderEndToEnd follows docs/migrating.md's short path on a service outside
// the repository: import its catalogue from a scrape, generate, instrumentgen migrate -fix,
// build, vet and run it, and scrape it again. Every series of its families must come back with
// the same labels and values: each value under its own label, though the catalogue declares
// the labels in another order than the code did. It builds a telemetry service from scratch
// (about a minute on two cores the first time).
func TestMigrateLabelOrderEndToEnd(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	mod := t.TempDir()
	// Offline: every module comes from the cache this checkout's build filled, whose checksums
	// were verified when it was filled (test/e2e/outside_module_test.go says why GOPROXY=off
	// is also what lets go get -tool find a package of a replaced module).
	offline := []string{"GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod"}
	run := func(wantCode int, name string, args ...string) string {
		t.Helper()
		r := runTool(t, 5*time.Minute, mod, offline, name, args...)
		if r.code != wantCode {
			t.Fatalf("%s %s: exit %d, want %d\n%s%s", name, strings.Join(args, " "), r.code, wantCode, r.stdout, r.stderr)
		}
		return r.stdout
	}
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	run(0, "go", "mod", "init", "example.com/shop")
	run(0, "go", "mod", "edit", "-replace=github.com/telediag/telediag="+root)
	run(0, "go", "get", "-tool", "github.com/telediag/telediag/cmd/instrumentgen")
	write("main.go", shopOnClientGolang)
	run(0, "go", "mod", "tidy")
	before := run(0, "go", "run", ".")
	write("before.txt", before)

	// The short path: the catalogue from a scrape, generated.
	run(0, "go", "tool", "instrumentgen", "import", "-o", "shopmetrics/instruments.yaml", "before.txt")
	yaml, err := os.ReadFile(filepath.Join(mod, "shopmetrics", "instruments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(yaml), "labels: [code, method, path]") {
		t.Fatalf("the imported catalogue does not declare the labels in another order than the code:\n%s", yaml)
	}
	write("shopmetrics/doc.go", "// Package shopmetrics is the shop's metric catalogue.\npackage shopmetrics\n\n//go:generate go tool instrumentgen instruments.yaml\n")
	run(0, "go", "generate", "./...")
	run(0, "go", "mod", "tidy")

	// Without -fix: what it would do, exit 1; with -fix: done, nothing refused.
	plan := run(1, "go", "tool", "instrumentgen", "migrate", "./...")
	for _, want := range []string{
		`: shop_requests_total: Inc becomes requests.Add(r.Context(), 1, code, r.Method, r.URL.Path)`,
		`shop_request_duration_seconds: Observe becomes latency.Record(r.Context(), 0.05, code, r.Method)`,
		`shop_requests_total: a kept child becomes requests.Bind("503", "PUT", "/pay")`,
		`promhttp.Handler becomes tel.Handler()`,
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("migrate without -fix does not say %q:\n%s", want, plan)
		}
	}
	run(0, "go", "tool", "instrumentgen", "migrate", "-fix", "./...")
	fixed, err := os.ReadFile(filepath.Join(mod, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(fixed), `"github.com/prometheus/client_golang`) {
		t.Errorf("main.go still uses client_golang after migrate -fix:\n%s", fixed)
	}
	run(0, "go", "mod", "tidy")
	run(0, "go", "build", "./...")
	run(0, "go", "vet", "./...")
	after := run(0, "go", "run", ".")
	if again := run(0, "go", "tool", "instrumentgen", "migrate", "./..."); again != "" {
		t.Errorf("migrate finds more to do after -fix:\n%s", again)
	}

	want, got := seriesOf(t, before), seriesOf(t, after)
	if len(want) == 0 {
		t.Fatal("client_golang served no series of the shop's families")
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %v after migrate -fix, %v before", k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: served after migrate -fix only (%v): a value under another label?", k, got[k])
		}
	}
	t.Logf("%d series identical before and after:\n%s", len(want), fixed)
}

// seriesOf reads the shop's families of a text exposition: each series (its family and labels)
// with its value, a histogram's as its count and sum.
func seriesOf(t *testing.T, text string) map[string]float64 {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "shop_") {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			slices.Sort(labels)
			k := name + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[k] = m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				out[k+" count"] = float64(m.GetHistogram().GetSampleCount())
				out[k+" sum"] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}
