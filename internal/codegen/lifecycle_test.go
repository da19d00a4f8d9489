package codegen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// TestLifecycleGenerated: a deprecated metric's type and Instruments field carry a Deprecated
// paragraph (what gopls and staticcheck read to flag the calls that remain), its instrument is
// created with the marked HELP, and every metric's Lifecycle, on its type and in the package's
// list, is what the catalogue declares. The generated package is compiled, vetted and run.
func TestLifecycleGenerated(t *testing.T) {
	c, err := catalog.Load("testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(c, Options{Source: "instruments.yaml", DocsSource: "instruments.yaml", Package: "lifecycle", Scope: "example.com/lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), GoFile, out.Go, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{} // "type X" or "field X" → its doc comment
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			for _, s := range n.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok {
					docs["type "+ts.Name.Name] = n.Doc.Text()
					if st, ok := ts.Type.(*ast.StructType); ok && ts.Name.Name == "Instruments" {
						for _, fld := range st.Fields.List {
							if len(fld.Names) == 1 {
								docs["field "+fld.Names[0].Name] = fld.Doc.Text()
							}
						}
					}
				}
			}
		}
		return true
	})
	for _, key := range []string{"type CacheHitsTotal", "field CacheHitsTotal"} {
		want := "\n\nDeprecated: cache_hits_total is deprecated since 4.2. Hits are counted by backend_requests_total\nwith component=\"cache\". Use [BackendRequestsTotal] (backend_requests_total) instead.\n"
		if !strings.HasSuffix(docs[key], want) {
			t.Errorf("%s: doc %q lacks the Deprecated paragraph %q", key, docs[key], want)
		}
	}
	if d := docs["type CacheMissesTotal"]; !strings.Contains(d, "\n\nDeprecated: cache_misses_total is deprecated since v4.1.0. It is hidden") {
		t.Errorf("hidden metric's doc: %q", d)
	}
	for _, key := range []string{"type BackendRequestsTotal", "field BackendRequestsTotal", "type DebugQueueDepth"} {
		if strings.Contains(docs[key], "Deprecated") {
			t.Errorf("%s is not deprecated, yet its doc says so: %q", key, docs[key])
		}
	}
	for _, want := range []string{
		`metric.WithDescription("(Deprecated since 4.2) Cache hits."),`,
		"| `cache_hits_total` | counter | `{hit}` |  |  | Cache hits. | alpha; deprecated since 4.2, replaced by `backend_requests_total`: Hits are counted by backend_requests_total with component=\"cache\". | generated |",
		"| `backend_requests_total` | counter | `{request}` | `component` |  | Requests to the backend. | stable; also served under its old names `backend_reqs`, `backend_requests`; at most 50 series | generated |",
		"| `cache_misses_total` | counter | `{miss}` |  |  | Cache misses. | development; deprecated since v4.1.0; hidden: served only when hidden metrics are shown | generated |",
		"| `debug_queue_depth` | gauge | `{item}` |  |  | Items queued, for debugging. | stable; disabled by default: served only when enabled | generated |",
		"| `go_goroutines` | gauge | `{goroutine}` |  |  | Goroutines. | beta | provided by go_collector |",
	} {
		if !strings.Contains(string(out.Go), want) && !strings.Contains(string(out.Docs), want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if testing.Short() {
		t.Skip("-short: skips compiling and running the generated package")
	}
	dir, err := os.MkdirTemp("testdata", "gen-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// A test of the package's own, beside the generated one: the values at run time.
	check := `package lifecycle

import (
	"reflect"
	"testing"

	"github.com/telediag/telediag/telemetry/instrument"
)

func TestLifecycleValues(t *testing.T) {
	want := []instrument.Lifecycle{
		{Name: "backend_requests_total", Stability: instrument.StabilityStable, Enabled: true, RenamedFrom: []string{"backend_reqs", "backend_requests"}, MaxSeries: 50},
		{Name: "backend_read_seconds", Stability: instrument.StabilityBeta, Enabled: true, RenamedFrom: []string{"backend_read_latency_seconds"}},
		{Name: "cache_hits_total", Stability: instrument.StabilityAlpha, DeprecatedSince: "4.2", DeprecationNote: "Hits are counted by backend_requests_total with component=\"cache\".", ReplacedBy: "backend_requests_total", Enabled: true},
		{Name: "cache_misses_total", Stability: instrument.StabilityDevelopment, DeprecatedSince: "v4.1.0", Hidden: true, Enabled: true},
		{Name: "debug_queue_depth", Stability: instrument.StabilityStable},
	}
	if got := Lifecycle(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Lifecycle() =\n%+v\nwant\n%+v", got, want)
	}
	i, err := NewInstruments(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !i.CacheMissesTotal.Lifecycle().Hidden || !i.CacheHitsTotal.Lifecycle().Deprecated() || i.CacheHitsTotal.Description() != "(Deprecated since 4.2) Cache hits." {
		t.Errorf("per-type lifecycle: %+v, %q", i.CacheMissesTotal.Lifecycle(), i.CacheHitsTotal.Description())
	}
}
`
	for name, b := range map[string][]byte{GoFile: out.Go, TestFile: out.Test, "lifecycle_values_test.go": []byte(check)} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg := "./" + filepath.ToSlash(dir)
	if out, err := exec.Command("go", "vet", pkg).CombinedOutput(); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
	if out, err := exec.Command("go", "test", "-count=1", pkg).CombinedOutput(); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
