package codeimport

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"golang.org/x/tools/go/packages"

	"github.com/telediag/telediag/internal/codegen"
)

// fixture is the packages a fuzzed main.go may import: testdata/fuzzfixture's imports, with the
// types go/packages loaded for them once.
type fixture map[string]*types.Package

// Import gives a fuzzed file the fixture's packages, and refuses any other.
func (f fixture) Import(path string) (*types.Package, error) {
	if p, ok := f[path]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("package %s is not among the fixture's imports", path)
}

// loadFixture loads testdata/fuzzfixture as Load does, and collects the packages it imports, and
// theirs.
func loadFixture(tb testing.TB) fixture {
	tb.Helper()
	dir, err := filepath.Abs("testdata/fuzzfixture")
	if err != nil {
		tb.Fatal(err)
	}
	pkgs, err := packages.Load(&packages.Config{Context: context.Background(), Mode: loadMode, Dir: dir}, ".")
	if err != nil {
		tb.Fatal(err)
	}
	if err := loadErrors(pkgs, dir); err != nil || len(pkgs) != 1 {
		tb.Fatalf("the fuzz fixture does not load: %v", err)
	}
	fix := fixture{}
	var add func(p *types.Package)
	add = func(p *types.Package) {
		if _, ok := fix[p.Path()]; ok {
			return
		}
		fix[p.Path()] = p
		for _, imp := range p.Imports() {
			add(imp)
		}
	}
	for _, imp := range pkgs[0].Types.Imports() {
		add(imp)
	}
	return fix
}

// analyzeSource type-checks src as the main.go of a package against the fixture, as
// go/packages would with src as an overlay of testdata/fuzzfixture/main.go, and analyses it. A file
// that does not parse or type-check is an error, as Load's.
func analyzeSource(fix fixture, src []byte) (*Code, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "/fuzz/main.go", src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	info := &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		Scopes:       map[ast.Node]*types.Scope{},
		Instances:    map[*ast.Ident]types.Instance{},
		FileVersions: map[*ast.File]string{},
	}
	conf := types.Config{Importer: fix, GoVersion: "go1.26"}
	tpkg, err := conf.Check("example.com/fuzz", fset, []*ast.File{file}, info)
	if err != nil {
		return nil, fmt.Errorf("type-check: %w", err)
	}
	pkg := &packages.Package{ID: "example.com/fuzz", Name: tpkg.Name(), PkgPath: tpkg.Path(), Fset: fset, Syntax: []*ast.File{file}, Types: tpkg, TypesInfo: info}
	code := Analyze([]*packages.Package{pkg}, "/fuzz")
	code.Patterns = []string{"."}
	return code, nil
}

// FuzzCodeImport holds the code importer to its promise on arbitrary Go files: a file that does
// not compile is a clear error; one that does gives a catalogue `instrumentgen -check` accepts,
// alone and merged with a scrape, or says that there is nothing to import; never a panic, never
// an error that calls itself a bug.
func FuzzCodeImport(f *testing.F) {
	fix := loadFixture(f)
	// Small seeds, a feature each: the fuzzer minimizes every input that finds new coverage,
	// and a long one takes it most of a short run. The testdata modules' files go through the
	// same checks in TestFuzzPropertyOnTestdata.
	for _, seed := range fuzzSeeds() {
		f.Add([]byte(seed))
	}
	fams := decodeText(f, fuzzScrape)
	f.Fuzz(func(t *testing.T, src []byte) { checkImport(t, fix, src, fams) })
}

// fuzzScrape is the exposition FuzzCodeImport merges each file's families with.
const fuzzScrape = `# HELP fuzz_requests_total Requests.
# TYPE fuzz_requests_total counter
fuzz_requests_total{code="200",method="GET"} 1
# HELP fuzz_seconds Latency.
# TYPE fuzz_seconds histogram
fuzz_seconds_bucket{a="x",b="y",le="0.5"} 1
fuzz_seconds_bucket{a="x",b="y",le="+Inf"} 1
fuzz_seconds_sum{a="x",b="y"} 0.1
fuzz_seconds_count{a="x",b="y"} 1
# HELP other_items Only the scrape has it.
# TYPE other_items gauge
other_items 1
`

// checkImport is FuzzCodeImport's property for one file.
func checkImport(t *testing.T, fix fixture, src []byte, fams []*dto.MetricFamily) {
	t.Helper()
	code, err := analyzeSource(fix, src)
	if err != nil {
		return
	}
	for _, scraped := range [][]*dto.MetricFamily{nil, fams} {
		res, err := Import(code, scraped, Options{Source: "scrape"})
		if err != nil {
			if strings.Contains(err.Error(), "bug") || !strings.Contains(err.Error(), "nothing to import") {
				t.Fatalf("import: %v\n%s", err, src)
			}
			continue
		}
		if _, _, err := codegen.Build("imported.yaml", res.YAML, codegen.CheckOptions("imported.yaml")); err != nil {
			t.Fatalf("the imported catalogue fails -check: %v\n%s\n%s", err, res.YAML, src)
		}
	}
}

// TestFuzzPropertyOnTestdata holds every Go file of the testdata modules to FuzzCodeImport's
// property, type-checked as a main.go against the fixture (those that import what the fixture
// does not are a clear error, which the property allows).
func TestFuzzPropertyOnTestdata(t *testing.T) {
	fix := loadFixture(t)
	fams := decodeText(t, fuzzScrape)
	files, _ := filepath.Glob("testdata/*/*.go")
	more, _ := filepath.Glob("testdata/*/*/*.go")
	for _, file := range append(files, more...) {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checkImport(t, fix, src, fams)
	}
}

// fuzzSeeds are FuzzCodeImport's seeds.
func fuzzSeeds() []string {
	return []string{
		`package main

import "github.com/prometheus/client_golang/prometheus"

var c = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fuzz", Name: "requests_total", Help: "R."}, []string{"method", "code"})

func main() { c.WithLabelValues("GET", "200").Add(2) }
`,
		`package main

import "github.com/prometheus/client_golang/prometheus/promauto"
import "github.com/prometheus/client_golang/prometheus"

var g = promauto.With(nil).NewGauge(prometheus.GaugeOpts{Name: "fuzz_queue", Help: "Q."})

func move(x prometheus.Gauge) { x.Inc(); x.Dec() }

func main() { move(g) }
`,
		`package main

import "github.com/prometheus/client_golang/prometheus"

var h = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fuzz_seconds", Help: "L.", Buckets: prometheus.ExponentialBucketsRange(0.01, 10, 4)})
var l = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "fuzz_linear_seconds", Help: "L.", Buckets: prometheus.LinearBuckets(1, 2, 3)})

func main() { h.Observe(1); l.Observe(2) }
`,
		`package main

import ("fmt"; "github.com/prometheus/client_golang/prometheus")

var s = prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "fuzz_bytes", Help: fmt.Sprint("S"), Objectives: map[float64]float64{0.9: 0.01}}, []string{"b", "a"})

type c struct{ d *prometheus.Desc }

func (x c) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(x.d, prometheus.CounterValue, 1, "v")
}

var d = c{prometheus.NewDesc(prometheus.BuildFQName("fuzz", "c", "total"), "C.", []string{"k"}, prometheus.Labels{"t": "1"})}

func main() { s.WithLabelValues("1", "2").Observe(3) }
`,
	}
}

// TestAnalyzeSourceRefusesBrokenCode: the fuzz target's clear errors are the compiler's.
func TestAnalyzeSourceRefusesBrokenCode(t *testing.T) {
	fix := loadFixture(t)
	for src, want := range map[string]string{
		"package main\nfunc main() {":                    "parse",
		"package main\nfunc main() { undefined() }":      "type-check",
		"package main\nimport \"example.com/nowhere\"\n": "type-check",
		"package main\nfunc main() {}\n":                 "",
	} {
		_, err := analyzeSource(fix, []byte(src))
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: %v, want %q", src, err, want)
		}
	}
}
