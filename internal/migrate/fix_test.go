package migrate

import (
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/packages"

	"github.com/telediag/telediag/internal/catalog"
)

// TestApplyFixes: a fix applies whole or not at all, the same fix twice (a package and its test
// variant) counts once, and the client_golang imports left unused go.
func TestApplyFixes(t *testing.T) {
	src := "package p\n\nimport \"github.com/prometheus/client_golang/prometheus\"\n\nvar a = prometheus.NewCounter(prometheus.CounterOpts{})\nvar b = 2\n"
	fset := token.NewFileSet()
	tf := fset.AddFile("/p/p.go", -1, len(src))
	tf.SetLinesForContent([]byte(src))
	at := func(s string) (token.Pos, token.Pos) {
		i := strings.Index(src, s)
		return tf.Pos(i), tf.Pos(i + len(s))
	}
	fix := func(old, new string) analysis.Diagnostic {
		pos, end := at(old)
		return analysis.Diagnostic{Pos: pos, Message: old, SuggestedFixes: []analysis.SuggestedFix{{TextEdits: []analysis.TextEdit{{Pos: pos, End: end, NewText: []byte(new)}}}}}
	}
	diags := []analysis.Diagnostic{
		fix("prometheus.NewCounter(prometheus.CounterOpts{})", "1"),
		fix("prometheus.NewCounter(prometheus.CounterOpts{})", "1"), // the test variant's
		fix("prometheus.NewCounter", "x"),                           // overlaps the first
		fix("2", "3"),
		{Pos: tf.Pos(0), Message: "a refusal: no fix"},
	}
	fixed, err := ApplyFixes(fset, diags, func(string) ([]byte, error) { return []byte(src), nil })
	if err != nil {
		t.Fatal(err)
	}
	want := "package p\n\nvar a = 1\nvar b = 3\n"
	if got := string(fixed.Files["/p/p.go"]); got != want {
		t.Errorf("fixed:\n%s\nwant:\n%s", got, want)
	}
	if len(fixed.Skipped) != 1 || !strings.Contains(fixed.Skipped[0], "/p/p.go:5: prometheus.NewCounter") {
		t.Errorf("skipped %q, want the overlapping fix at /p/p.go:5", fixed.Skipped)
	}
}

// catalogueDir makes dir a generated catalogue's package directory.
func catalogueDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"instruments.yaml", "instruments_gen.go"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFindCatalogue: the catalogue of an imported generated package first, else the only one
// in the main module, test data and nested modules aside; several is an error naming them.
func TestFindCatalogue(t *testing.T) {
	root := t.TempDir()
	catalogueDir(t, filepath.Join(root, "internal", "shopmetrics"))
	catalogueDir(t, filepath.Join(root, "testdata", "other"))
	catalogueDir(t, filepath.Join(root, "nested", "metrics"))
	if err := os.WriteFile(filepath.Join(root, "nested", "go.mod"), []byte("module nested\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	main := &packages.Package{PkgPath: "shop", Module: &packages.Module{Main: true, Dir: root}, GoFiles: []string{filepath.Join(root, "main.go")}}
	got, err := FindCatalogue([]*packages.Package{main})
	if want := filepath.Join(root, "internal", "shopmetrics", "instruments.yaml"); err != nil || got != want {
		t.Errorf("FindCatalogue = %q, %v; want %q", got, err, want)
	}

	imported := filepath.Join(t.TempDir(), "vendored", "metrics")
	catalogueDir(t, imported)
	main.Imports = map[string]*packages.Package{"metrics": {PkgPath: "metrics", GoFiles: []string{filepath.Join(imported, "instruments_gen.go")}}}
	got, err = FindCatalogue([]*packages.Package{main})
	if want := filepath.Join(imported, "instruments.yaml"); err != nil || got != want {
		t.Errorf("FindCatalogue with an import = %q, %v; want %q", got, err, want)
	}

	main.Imports = nil
	catalogueDir(t, filepath.Join(root, "cmd", "metrics"))
	if _, err := FindCatalogue([]*packages.Package{main}); err == nil || !strings.Contains(err.Error(), "several catalogues") || !strings.Contains(err.Error(), "pass -catalog") {
		t.Errorf("two catalogues in the module: %v, want an error that says to pass -catalog", err)
	}
}

// TestEnsureSupportFile: written once, left alone when the package declares Default, and never
// written over a file of the same name that is someone else's.
func TestEnsureSupportFile(t *testing.T) {
	dir := t.TempDir()
	target := &Target{Catalog: &catalog.Catalog{File: filepath.Join(dir, "instruments.yaml")}, Path: "shop/shopmetrics", Name: "shopmetrics"}
	path, err := EnsureSupportFile(target)
	if err != nil || path != filepath.Join(dir, SupportFileName) {
		t.Fatalf("EnsureSupportFile = %q, %v", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(data), "package shopmetrics\n") || !strings.Contains(string(data), "func SetDefault(mp metric.MeterProvider) error") {
		t.Fatalf("%s:\n%s (%v)", path, data, err)
	}
	if again, err := EnsureSupportFile(target); err != nil || again != "" {
		t.Errorf("a second EnsureSupportFile = %q, %v; want nothing written", again, err)
	}
	if err := os.WriteFile(path, []byte("package shopmetrics\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := EnsureSupportFile(target); err == nil || !strings.Contains(err.Error(), "declares no Default") {
		t.Errorf("over a file of another's: %v, want a refusal", err)
	}
}
