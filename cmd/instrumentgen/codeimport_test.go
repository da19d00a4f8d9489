package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
)

// shopModule is codeimport's testdata service: its metrics package and package main, in a
// module of their own.
const shopModule = "../../internal/codeimport/testdata/shop"

// TestImportFromCode imports the shop from its code with -o, then checks and generates the
// file as a service would: -check accepts it, and the generated methods take the labels in
// the order the code declared them (type, metric_name), not the exposition's sorted order.
func TestImportFromCode(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "shopmetrics", "instruments.yaml")
	r := runImportCmd("", "-o", out, shopModule+"/...")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		shopModule + "/metrics/metrics.go:",
		"metric shop_computed_seconds: Help computed at run time (fmt.Sprintf(",
		"promauto.NewCounter: name computed at run time (*prefix + \"_computed_total\")",
		"from the code, 0 from the scrape alone",
		"to " + out,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if r := run([]string{"-check", out}, &strings.Builder{}, &strings.Builder{}); r != 0 {
		t.Fatalf("-check refuses the imported catalogue")
	}
	if code := run([]string{"-package", "shopmetrics", "-scope", "example.com/shop/shopmetrics", "-o", filepath.Dir(out), out}, &strings.Builder{}, &strings.Builder{}); code != 0 {
		t.Fatalf("generation from the imported catalogue exits %d", code)
	}
	src, err := os.ReadFile(filepath.Join(filepath.Dir(out), "instruments_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if got := params(t, src, "ShopRequestsTotal", "Add"); !slices.Equal(got, []string{"ctx", "incr", "typeValue", "metricName"}) {
		t.Errorf("ShopRequestsTotal.Add(%s): want the code's label order, type then metric_name", strings.Join(got, ", "))
	}
	cat, err := catalog.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m := cat.Metric("shop_in_flight_requests"); m == nil || m.Kind != catalog.KindUpDownCounter {
		t.Errorf("shop_in_flight_requests: %v, want the updowncounter package main's Inc and Dec make it", m)
	}
	if r := runImportCmd("", "-o", out, shopModule+"/..."); r.code != 1 || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("-o over the catalogue: exit %d, %s", r.code, r.stderr)
	}
}

// TestImportFromCodeAndScrape: a package pattern and a file together; the scrape fills in what
// the code computes and brings the families only it has.
func TestImportFromCodeAndScrape(t *testing.T) {
	r := runImportCmd("", shopModule+"/...", "../../internal/codeimport/testdata/shop.prom")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	cat, err := catalog.Parse("stdout", []byte(r.stdout))
	if err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if m := cat.Metric("shop_computed_seconds"); m == nil || m.Description != "Computed with a start of 2." {
		t.Errorf("shop_computed_seconds: %v, want the scrape's help for the code's computed one", m)
	}
	for _, name := range []string{"shop_legacy_items", "shop_never_total", "shop_requests_total"} {
		if cat.Metric(name) == nil {
			t.Errorf("%s is not imported", name)
		}
	}
	for _, want := range []string{"the scrape's HELP is written", "from the scrape alone", "metric shop_never_total: not in the scrape", "2 from the scrape alone"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestImportSourcesUsage: how SOURCE arguments combine, and what a bad combination says.
func TestImportSourcesUsage(t *testing.T) {
	dir := t.TempDir()
	garbage := testutil.WriteFile(t, dir, "garbage.pem", []byte("nope\n"))
	testutil.WriteFile(t, dir, "go.mod", []byte("module example.com/broken\n\ngo 1.26.0\n"))
	testutil.WriteFile(t, dir, "main.go", []byte("package main\n\nfunc main() { undefined() }\n"))
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"two expositions", []string{shopModule + "/...", "a.prom", "b.prom"}, 2, `two expositions, "a.prom" and "b.prom"`},
		{"TLS flags without a URL", []string{"-ca", garbage, shopModule + "/..."}, 2, "no URL is given"},
		{"flag after the patterns", []string{shopModule + "/...", "-o", "x"}, 2, "-o after SOURCE: flags go before it"},
		{"code that does not compile", []string{dir + "/..."}, 1, "main.go:3:15: undefined: undefined"},
		{"a missing exposition beside the code", []string{shopModule + "/...", filepath.Join(dir, "missing.prom")}, 1, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runImportCmd("", tc.args...)
			if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", r.code, r.stdout, r.stderr, tc.code, tc.want)
			}
		})
	}
	if r := runImportCmd("", "-h"); r.code != 0 || !strings.Contains(r.stderr, "instrumentgen import ./... http://127.0.0.1:8080/metrics") {
		t.Errorf("-h does not show the code and a scrape together: exit %d, %s", r.code, r.stderr)
	}
}

// params are the parameter names of the generated method typeName.method.
func params(t *testing.T, src []byte, typeName, method string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "instruments_gen.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Name.Name != method || len(fd.Recv.List) != 1 {
			continue
		}
		if id, ok := fd.Recv.List[0].Type.(*ast.Ident); !ok || id.Name != typeName {
			continue
		}
		var names []string
		for _, field := range fd.Type.Params.List {
			for _, n := range field.Names {
				names = append(names, n.Name)
			}
		}
		return names
	}
	t.Fatalf("no method %s.%s in the generated code", typeName, method)
	return nil
}
