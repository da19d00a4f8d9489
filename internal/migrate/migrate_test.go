package migrate

import (
	"flag"
	"os"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/telediag/telediag/internal/catalog"
)

var update = flag.Bool("update", false, "write the .golden files from the fixes (then read them before committing)")

// testTarget is the stub catalogue package of testdata/src/example.com/shop/shopmetrics,
// generated (in shape) from testdata/shop.yaml.
func testTarget(t *testing.T) *Target {
	t.Helper()
	cat, err := catalog.Load("testdata/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return &Target{Catalog: cat, Path: "example.com/shop/shopmetrics", Name: "shopmetrics"}
}

// analyzer is the analyzer for testTarget with plan (nil: each package planned alone).
func analyzer(t *testing.T, plan *Plan) *analysis.Analyzer {
	t.Helper()
	a, err := New(testTarget(t), plan)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runFixes checks the // want comments of pkgs and their fixes against the .golden files,
// or, with -update, writes the golden files from the fixes as ApplyFixes applies them.
func runFixes(t *testing.T, a *analysis.Analyzer, pkgs ...string) {
	t.Helper()
	if !*update {
		analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), a, pkgs...)
		return
	}
	for _, res := range analysistest.Run(t, analysistest.TestData(), a, pkgs...) {
		fixed, err := ApplyFixes(res.Pass.Fset, res.Diagnostics, os.ReadFile)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range fixed.Skipped {
			t.Errorf("skipped: %s", s)
		}
		for file, data := range fixed.Files {
			if err := os.WriteFile(file+".golden", data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestRewrites: every call the fixer rewrites, in one package, with its golden result.
func TestRewrites(t *testing.T) {
	runFixes(t, analyzer(t, nil), "rewrites")
}

// TestDeletes: DeleteLabelValues, Delete, DeletePartialMatch and Reset become the generated
// instruments' Delete (the values in the catalogue's order), DeletePartialMatch and Reset.
func TestDeletes(t *testing.T) {
	runFixes(t, analyzer(t, nil), "deletes")
}

// TestTimers: prometheus.NewTimer with ObserveDuration deferred or called, and the one-line
// defer prometheus.NewTimer(h).ObserveDuration(), become time.Now and a Record of the seconds.
func TestTimers(t *testing.T) {
	runFixes(t, analyzer(t, nil), "timers")
}

// TestDroppedCategory: the rewrite that drops native-histogram options is the one diagnostic of
// CategoryDropped, which migrate -fix prints though it prints no other rewrite; it still
// carries its fix.
func TestDroppedCategory(t *testing.T) {
	var dropped []string
	for _, res := range analysistest.Run(t, analysistest.TestData(), analyzer(t, nil), "rewrites") {
		for _, d := range res.Diagnostics {
			if d.Category != CategoryDropped {
				continue
			}
			dropped = append(dropped, d.Message)
			if len(d.SuggestedFixes) == 0 {
				t.Errorf("%s: a dropping rewrite without its fix", res.Pass.Fset.Position(d.Pos))
			}
		}
	}
	if len(dropped) != 1 || !strings.Contains(dropped[0], "NativeHistogramBucketFactor, NativeHistogramMaxBucketNumber are not carried") {
		t.Errorf("CategoryDropped diagnostics: %q, want the one of shop_request_duration_seconds' native options", dropped)
	}
}

// testPlan plans pkgs together, loaded as analysistest loads them.
func testPlan(t *testing.T, pkgs ...string) *Plan {
	t.Helper()
	dir := analysistest.TestData()
	loaded, err := Load(dir, append(os.Environ(), "GOPATH="+dir, "GO111MODULE=off", "GOWORK=off"), pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(testTarget(t), loaded)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAcrossPackages: metrics defined in one package, kept in fields and passed as parameters
// in another, wired in main: the types change with the values, decided over all three.
func TestAcrossPackages(t *testing.T) {
	pkgs := []string{"crosspkg/metrics", "crosspkg/server", "crosspkg/shop"}
	runFixes(t, analyzer(t, testPlan(t, pkgs...)), pkgs...)
}

// TestRefusals: every call the fixer refuses is reported at its FILE:LINE with the reason, and
// its metric stays whole on client_golang: no fix at all, so no golden file.
func TestRefusals(t *testing.T) {
	for _, res := range analysistest.Run(t, analysistest.TestData(), analyzer(t, nil), "refusals") {
		for _, d := range res.Diagnostics {
			if len(d.SuggestedFixes) > 0 {
				t.Errorf("%s: a refusal with a fix: %s", res.Pass.Fset.Position(d.Pos), d.Message)
			}
		}
	}
}

// TestWiring: registrations, registries and promhttp handlers become telemetry's, in main.
func TestWiring(t *testing.T) {
	runFixes(t, analyzer(t, nil), "wiring")
}

// TestMainWithoutHandler: a main that serves no /metrics still gets the pipeline, under names
// that clash with none of its own (err is taken), and is told to mount its handler.
func TestMainWithoutHandler(t *testing.T) {
	runFixes(t, analyzer(t, nil), "nohandler")
}

// TestMainWithPipeline: a main that creates the pipeline already keeps it, serves its handler,
// and is told to call SetDefault; the recording call takes the ctx in scope.
func TestMainWithPipeline(t *testing.T) {
	runFixes(t, analyzer(t, nil), "halfway")
}

// TestExporterShapes: the shapes statsd_exporter passes its metrics in, across packages: a
// vector by value (a field of type prometheus.CounterVec given *vec), a parameter list that
// declares three metrics under one type, an interface method whose parameters carry them (the
// implementation in a package the interface's does not import), a field compared with nil, an
// Unregister in a test, and client_golang's default registry kept for families made at run
// time, which tel.Handler() serves through telemetry.WithGatherer.
func TestExporterShapes(t *testing.T) {
	pkgs := []string{"exporter/line", "exporter/listen", "exporter/cmd"}
	runFixes(t, analyzer(t, testPlan(t, pkgs...)), pkgs...)
}

// quiet is an analysistest.Testing that keeps the diagnostics' mismatches with the // want
// comments to itself: TestNativeCarried reads the diagnostics of a catalogue other than the one
// the comments were written for.
type quiet struct{}

func (quiet) Errorf(string, ...any) {}

// TestNativeCarried: when the catalogue's entry declares native:, a definition with
// native-histogram options is rewritten as any other, with no CategoryDropped diagnostic: the
// generated constructor declares the native buckets.
func TestNativeCarried(t *testing.T) {
	target := testTarget(t)
	target.Catalog.Metric("shop_request_duration_seconds").Native = &catalog.Native{Schema: 3, BucketFactor: 1.1, MaxBuckets: 100, ZeroThreshold: catalog.DefaultNativeZeroThreshold}
	a, err := New(target, nil)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, res := range analysistest.Run(quiet{}, analysistest.TestData(), a, "rewrites") {
		for _, d := range res.Diagnostics {
			if d.Category == CategoryDropped {
				t.Errorf("dropped: %s", d.Message)
			}
			if strings.HasPrefix(d.Message, "shop_request_duration_seconds: promauto.") {
				msgs = append(msgs, d.Message)
			}
		}
	}
	if want := "shop_request_duration_seconds: promauto.NewHistogramVec becomes &shopmetrics.Default.ShopRequestDurationSeconds"; len(msgs) != 1 || msgs[0] != want {
		t.Errorf("diagnostics %q, want %q", msgs, want)
	}
}
