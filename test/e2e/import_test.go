//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/testutil"
)

// toolResult is one finished run of a command.
type toolResult struct {
	code           int
	stdout, stderr string
}

// runTool runs bin with args in dir (the test's directory if empty), killing it after limit.
func runTool(t *testing.T, limit time.Duration, dir string, env []string, bin string, args ...string) toolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := toolResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	default:
		t.Fatalf("%s %s: %v\nstderr: %s", bin, strings.Join(args, " "), err, r.stderr)
	}
	return r
}

// goBuild builds the main package pkgDir (a directory of a module) into the test's temporary
// directory and returns the binary.
func goBuild(t *testing.T, moduleDir, pkg, name string) string {
	t.Helper()
	requireE2E(t)
	out := filepath.Join(t.TempDir(), name)
	if r := runTool(t, 5*time.Minute, moduleDir, nil, "go", "build", "-o", out, pkg); r.code != 0 {
		t.Fatalf("go build %s: exit %d\n%s", pkg, r.code, r.stderr)
	}
	return out
}

func instrumentgen(t *testing.T) string {
	t.Helper()
	return goBuild(t, repoRoot(t), "./cmd/instrumentgen", "instrumentgen")
}

// outsideModule creates a Go module called path in a temporary directory outside the
// repository, requiring telediag from this checkout (a replace directive and the checkout's
// go.sum), as a service that imports telediag is; it returns the module's directory.
func outsideModule(t *testing.T, path string) string {
	t.Helper()
	root := repoRoot(t)
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), "module "+path+"\n\ngo 1.26\n\nrequire github.com/telediag/telediag v0.0.0\n\nreplace github.com/telediag/telediag => "+root+"\n")
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mod, "go.sum"), string(sum))
	return mod
}

// startPrometheusAlone runs Prometheus with nothing to scrape and returns the URL of its own
// /metrics, a real client_golang service.
func startPrometheusAlone(t *testing.T) (string, *proc) {
	t.Helper()
	bin := binary(t, envPrometheus)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	writeFile(t, cfg, "global:\n  scrape_interval: 1h\nscrape_configs: []\n")
	webAddr := hostPort(freePort(t))
	prom := startProc(t, "prometheus", bin, []string{
		"--config.file=" + cfg,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + webAddr,
	}, nil)
	base := "http://" + webAddr
	waitFor(t, "prometheus /-/ready", 30*time.Second, func() error {
		code, _, err := get(base + "/-/ready")
		if err == nil && code != http.StatusOK {
			err = fmt.Errorf("/-/ready: HTTP %d", code)
		}
		return err
	}, prom)
	return base + "/metrics", prom
}

// finiteLE is a histogram series' finite bucket bounds.
func finiteLE(m *dto.Metric) []float64 {
	var out []float64
	for _, b := range m.GetHistogram().GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			out = append(out, b.GetUpperBound())
		}
	}
	return out
}

// labelNames is the sorted union of a family's label names, without le and quantile.
func labelNames(f *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() != "le" && l.GetName() != "quantile" {
				seen[l.GetName()] = true
			}
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedLabelKeys(m *catalog.Metric) []string {
	return slices.Sorted(slices.Values(m.LabelKeys()))
}

// TestImportPrometheusOwnMetrics imports a real Prometheus server's own /metrics: every
// counter, gauge, histogram and summary family comes with its HELP, label names and buckets or
// quantiles; then, in a module outside the repository, the yaml passes -check, generates, and
// the generated package (its summaries included) vets and passes its generated test.
func TestImportPrometheusOwnMetrics(t *testing.T) {
	gen := instrumentgen(t)
	metricsURL, prom := startPrometheusAlone(t)
	// Families only appear over time in Prometheus, never disappear: the ones of a scrape
	// taken before the import must all be in it.
	before, err := scrape(metricsURL)
	if err != nil {
		t.Fatal(err)
	}
	r := runTool(t, time.Minute, "", nil, gen, "import", metricsURL)
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("import stderr:\n%s", r.stderr)
	cat, err := catalog.Parse("imported.yaml", []byte(r.stdout))
	if err != nil {
		t.Fatalf("the import does not load: %v", err)
	}
	counts := map[dto.MetricType]int{}
	for name, f := range before {
		if catalog.RuntimeProvider(name) != "" || name == catalog.TargetInfo {
			continue
		}
		counts[f.GetType()]++
		m := cat.Metric(name)
		switch f.GetType() {
		case dto.MetricType_UNTYPED:
			if !strings.Contains(r.stderr, "left out "+name+": ") {
				t.Errorf("%s (%s) is not named on stderr", name, f.GetType())
			}
			continue
		}
		if m == nil {
			t.Errorf("%s (%s) was not imported", name, f.GetType())
			continue
		}
		if m.PrometheusType() != strings.ToLower(f.GetType().String()) {
			t.Errorf("%s: imported as %s, served as %s", name, m.Kind, f.GetType())
		}
		if want := f.GetHelp(); want != m.Description && !(want == "" && strings.HasPrefix(m.Description, promimport.TODOPrefix)) {
			t.Errorf("%s: description %q, HELP %q", name, m.Description, want)
		}
		if got, want := sortedLabelKeys(m), labelNames(f); !slices.Equal(got, want) {
			t.Errorf("%s: labels %v, served %v", name, got, want)
		}
		if f.GetType() == dto.MetricType_SUMMARY {
			// A summary comes over as one, its objectives the quantiles its series serve.
			var served []float64
			for _, s := range f.GetMetric() {
				for _, q := range s.GetSummary().GetQuantile() {
					if v := q.GetQuantile(); v > 0 && v < 1 && !slices.Contains(served, v) {
						served = append(served, v)
					}
				}
			}
			slices.Sort(served)
			if !slices.Equal(m.Quantiles(), served) {
				t.Errorf("%s: objectives %v, served quantiles %v", name, m.Quantiles(), served)
			}
		}
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range f.GetMetric() {
				if !slices.Equal(m.Buckets, finiteLE(s)) {
					t.Errorf("%s: buckets %v, served %v", name, m.Buckets, finiteLE(s))
					break
				}
			}
		}
	}
	t.Logf("Prometheus serves %d counters, %d gauges, %d histograms and %d summaries of its own", counts[dto.MetricType_COUNTER], counts[dto.MetricType_GAUGE], counts[dto.MetricType_HISTOGRAM], counts[dto.MetricType_SUMMARY])
	if counts[dto.MetricType_COUNTER] < 10 || counts[dto.MetricType_HISTOGRAM] == 0 || counts[dto.MetricType_SUMMARY] == 0 {
		t.Errorf("Prometheus served fewer families than expected: %v", counts)
	}
	prom.stop(t, 5*time.Second)

	// A module of its own, outside the repository, requiring telediag from this checkout.
	mod := outsideModule(t, "example.com/promcopy")
	pkg := filepath.Join(mod, "prommetrics")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pkg, "instruments.yaml"), r.stdout)
	writeFile(t, filepath.Join(pkg, "doc.go"), "// Package prommetrics is Prometheus's own metrics, imported.\npackage prommetrics\n")
	for _, step := range [][]string{
		{gen, "-check", "instruments.yaml"},
		{gen, "instruments.yaml"},
	} {
		if r := runTool(t, time.Minute, pkg, nil, step[0], step[1:]...); r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", strings.Join(step[1:], " "), r.code, r.stdout, r.stderr)
		}
	}
	for _, step := range [][]string{
		{"mod", "tidy"},
		{"vet", "./..."},
		{"test", "-count=1", "./..."},
	} {
		r := runTool(t, 5*time.Minute, mod, nil, "go", step...)
		if r.code != 0 {
			t.Fatalf("go %s: exit %d\n%s%s", strings.Join(step, " "), r.code, r.stdout, r.stderr)
		}
		t.Logf("go %s: %s", strings.Join(step, " "), strings.TrimSpace(r.stdout))
	}
}

// TestImportRoundTripDemo imports the /metrics of `telediag --demo` and gets back every metric
// of instruments.yaml but the runtime families, with the same kind (as Prometheus sees it),
// labels and buckets.
func TestImportRoundTripDemo(t *testing.T) {
	gen := instrumentgen(t)
	td := startTelediag(t, nil)
	want, err := catalog.Load(filepath.Join(repoRoot(t), "instruments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	r := runTool(t, time.Minute, "", nil, gen, "import", td.url("/metrics"))
	if r.code != 0 {
		t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
	}
	got, err := catalog.Parse("imported.yaml", []byte(r.stdout))
	if err != nil {
		t.Fatalf("the import does not load: %v", err)
	}
	n := 0
	for _, w := range want.Metrics {
		if catalog.RuntimeProvider(w.Name) != "" {
			continue // go_*, the process collector's and promhttp_*: left out without -include-runtime
		}
		n++
		g := got.Metric(w.Name)
		if g == nil {
			t.Errorf("%s was not imported", w.Name)
			continue
		}
		if g.PrometheusType() != w.PrometheusType() || !slices.Equal(sortedLabelKeys(g), sortedLabelKeys(w)) || !slices.Equal(g.Buckets, w.Buckets) {
			t.Errorf("%s: imported %s %v %v, declared %s %v %v", w.Name, g.PrometheusType(), sortedLabelKeys(g), g.Buckets, w.PrometheusType(), sortedLabelKeys(w), w.Buckets)
		}
	}
	if len(got.Metrics) != n {
		t.Errorf("imported %d metrics, instruments.yaml has %d besides the runtime families", len(got.Metrics), n)
	}
}

// TestLiveCheck runs live-check against the real binaries: telediag --demo conforms to
// instruments.yaml and examples/orders to its own catalogue (exit 0); an exposition with one
// fault of each kind exits 1 naming every faulty family; an unreachable URL exits 2.
func TestLiveCheck(t *testing.T) {
	gen := instrumentgen(t)
	root := repoRoot(t)

	td := startTelediag(t, nil)
	if r := runTool(t, time.Minute, root, nil, gen, "live-check", "instruments.yaml", td.url("/metrics")); r.code != 0 || !strings.HasSuffix(r.stdout, " 0 problem(s), 0 warning(s)\n") {
		t.Errorf("telediag --demo: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	orders := goBuild(t, filepath.Join(root, "examples", "orders"), ".", "orders")
	addr := hostPort(freePort(t))
	p := startProc(t, "orders", orders, []string{"-addr", addr, "-inventory", testutil.ClosedAddr(t)}, nil)
	ordersMetrics := "http://" + addr + "/diag/metrics"
	waitFor(t, "orders /diag/metrics", 30*time.Second, func() error {
		_, err := get200(ordersMetrics)
		return err
	}, p)
	if r := runTool(t, time.Minute, root, nil, gen, "live-check", "examples/orders/ordermetrics/instruments.yaml", ordersMetrics); r.code != 0 {
		t.Errorf("examples/orders: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	faults, err := os.ReadFile(filepath.Join(root, "internal", "livecheck", "testdata", "faults.prom"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Write(faults)
	}))
	defer srv.Close()
	r := runTool(t, time.Minute, root, nil, gen, "live-check", "internal/livecheck/testdata/instruments.yaml", srv.URL+"/metrics")
	if r.code != 1 {
		t.Errorf("faults: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, family := range []string{"failures_total: missing", "in_flight: type", "latency_seconds: buckets", "queue_depth: labels", "requests_total: enum", "surprise_total: undeclared", "uptime_seconds: help"} {
		if !strings.Contains(r.stdout, " "+family+": ") {
			t.Errorf("faults: %q is not named:\n%s", family, r.stdout)
		}
	}

	if r := runTool(t, time.Minute, root, nil, gen, "live-check", "instruments.yaml", "http://"+testutil.ClosedAddr(t)+"/metrics"); r.code != 2 || !strings.Contains(r.stderr, "could not check") {
		t.Errorf("unreachable: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
