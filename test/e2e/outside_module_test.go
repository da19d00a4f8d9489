//go:build e2e

package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// shopCatalogue is a service's own catalogue: nothing of Teleport's.
const shopCatalogue = `labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: shop_orders_placed_total
    section: Orders
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted, by payment method."
    labels: [payment_method]
  - name: shop_checkout_seconds
    section: Orders
    kind: histogram
    value_type: double
    unit: s
    description: "Time to check an order out."
    buckets: [0.1, 0.5, 1]
`

// shopMain creates the pipeline and the catalogue as docs/instrumentgen.md's "Your own metrics" says, records
// once, and prints one /metrics page.
const shopMain = `package main

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"example.com/shop/shopmetrics"
	"github.com/telediag/telediag/telemetry"
)

func main() {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("shop"))
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	metrics, err := shopmetrics.NewInstruments(tel.MeterProvider())
	if err != nil {
		log.Fatal(err)
	}
	metrics.ShopOrdersPlacedTotal.Add(ctx, 1, shopmetrics.PaymentMethodCard)
	metrics.ShopCheckoutSeconds.Record(ctx, 0.3)
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	fmt.Print(rec.Body.String())
}
`

// TestOwnCatalogueOutsideTheRepository follows docs/instrumentgen.md as a service that has never
// imported telediag: a new module outside the repository points at this checkout (the
// local-checkout note: no module proxy serves telediag yet), gets instrumentgen with go get -tool,
// declares its own catalogue with //go:generate go tool instrumentgen, and runs go mod tidy,
// go generate, go vet and go test (the generated test) before it serves. The tool line must
// survive tidy.
//
// Its /metrics has its families and the runtime's go_* and process_* ones, and neither of the
// go_memstats families that only Teleport's catalogue asks for (each costs a stop-the-world
// runtime.ReadMemStats per scrape), nor any Teleport family.
func TestOwnCatalogueOutsideTheRepository(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	mod := t.TempDir()
	goCmd := func(env []string, args ...string) toolResult {
		t.Helper()
		r := runTool(t, 5*time.Minute, mod, env, "go", args...)
		if r.code != 0 {
			t.Fatalf("go %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r
	}
	goCmd(nil, "mod", "init", "example.com/shop")
	goCmd(nil, "mod", "edit", "-replace=github.com/telediag/telediag="+root)
	// The public module proxy answers 404 for .../cmd/instrumentgen, which is a package and not
	// a module, and go get moves on to the module that holds it (here the replaced one). The
	// proxy this machine reaches answers 403 instead, which stops go get. GOPROXY=off makes that
	// lookup the plain "not found" the public proxy gives; every module comes from the cache the
	// checkout's own build filled, whose checksums were verified when it was filled (the
	// checksum database, reached only through the proxy here, is not asked again: GOSUMDB=off).
	goCmd([]string{"GOPROXY=off", "GOSUMDB=off"}, "get", "-tool", "github.com/telediag/telediag/cmd/instrumentgen")

	pkg := filepath.Join(mod, "shopmetrics")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pkg, "instruments.yaml"), shopCatalogue)
	writeFile(t, filepath.Join(pkg, "doc.go"), "// Package shopmetrics is the shop's metric catalogue.\npackage shopmetrics\n\n//go:generate go tool instrumentgen instruments.yaml\n")
	writeFile(t, filepath.Join(mod, "main.go"), shopMain)
	goCmd(nil, "mod", "tidy")
	gomod, err := os.ReadFile(filepath.Join(mod, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gomod, []byte("\ntool github.com/telediag/telediag/cmd/instrumentgen\n")) {
		t.Fatalf("go mod tidy dropped the tool line:\n%s", gomod)
	}
	goCmd(nil, "generate", "./...")
	for _, f := range []string{"instruments_gen.go", "instruments_gen_test.go"} {
		if _, err := os.Stat(filepath.Join(pkg, f)); err != nil {
			t.Fatalf("go generate with go tool instrumentgen: %v", err)
		}
	}
	goCmd(nil, "vet", "./...")
	if r := goCmd(nil, "test", "-count=1", "-v", "./shopmetrics/"); !strings.Contains(r.stdout, "--- PASS") {
		t.Fatalf("the generated test ran nothing:\n%s", r.stdout)
	}
	r := goCmd(nil, "run", ".")
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader([]byte(r.stdout)))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, r.stdout)
	}
	var goN, processN int
	for name := range fams {
		switch {
		case name == "go_memstats_lookups_total" || name == "go_memstats_gc_cpu_fraction":
			t.Errorf("a service on its own catalogue serves %s, which only Teleport's catalogue asks for", name)
		case strings.HasPrefix(name, "go_"):
			goN++
		case strings.HasPrefix(name, "process_state"), strings.HasPrefix(name, "teleport_"), strings.HasPrefix(name, "backend_"):
			t.Errorf("a service on its own catalogue serves Teleport's %s", name)
		case strings.HasPrefix(name, "process_"):
			processN++
		case name == "shop_orders_placed_total", name == "shop_checkout_seconds", strings.HasPrefix(name, "promhttp_"):
		default:
			t.Errorf("unexpected family %s", name)
		}
	}
	if goN < 10 || processN < 3 {
		t.Errorf("want the runtime's go_* and process_* families, got %d and %d", goN, processN)
	}
	if f := fams["shop_orders_placed_total"]; f == nil || f.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("shop_orders_placed_total: %v", f)
	}
	if f := fams["shop_checkout_seconds"]; f == nil || f.GetMetric()[0].GetHistogram().GetSampleCount() != 1 {
		t.Errorf("shop_checkout_seconds: %v", f)
	}
	t.Logf("served %d go_* and %d process_* families beside the shop's own", goN, processN)
}
