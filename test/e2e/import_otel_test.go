//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
)

// otelServiceMain is a service on the OTel Prometheus exporter, with the exporter's default
// options, otelhttp on its one route (http.server.request.duration and the body sizes, with
// their semantic-convention attributes), and /metrics served as promhttp.Handler() serves it
// but with OpenMetrics on, so that a scraper that asks for OpenMetrics first gets it.
// -no-translation names the families as the semantic conventions do
// (http.server.request.duration{http.request.method=…}), what the exporter answers a scraper
// that allows UTF-8 names with.
const otelServiceMain = `package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	noTranslation := flag.Bool("no-translation", false, "keep the OTel names as they are")
	flag.Parse()
	var opts []otelprom.Option
	if *noTranslation {
		opts = append(opts, otelprom.WithTranslationStrategy(otlptranslator.NoTranslation))
	}
	exporter, err := otelprom.New(opts...)
	if err != nil {
		log.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hello") })
	mux := http.NewServeMux()
	mux.Handle("/hello", otelhttp.NewHandler(hello, "hello", otelhttp.WithMeterProvider(mp)))
	mux.Handle("/metrics", promhttp.InstrumentMetricHandler(prometheus.DefaultRegisterer,
		promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{EnableOpenMetrics: true})))
	log.Fatal(http.ListenAndServe(*addr, mux))
}
`

// buildOTelService builds otelServiceMain in a module of its own outside the repository, on the
// versions of the exporter, the SDK and client_golang telediag's go.mod requires, and
// otelhttp v0.72.0.
func buildOTelService(t *testing.T) string {
	t.Helper()
	root := repoRoot(t)
	pinned := []string{"github.com/prometheus/client_golang", "go.opentelemetry.io/otel/exporters/prometheus", "go.opentelemetry.io/otel/sdk/metric"}
	r := runTool(t, time.Minute, root, nil, "go", append([]string{"list", "-m", "-f", "{{.Path}} {{.Version}}"}, pinned...)...)
	if r.code != 0 {
		t.Fatalf("go list -m: exit %d\n%s", r.code, r.stderr)
	}
	mod := t.TempDir()
	gomod := "module example.com/otelsvc\n\ngo 1.26\n\nrequire (\n\tgo.opentelemetry.io/contrib/instrumentation/net/http/otelhttp v0.72.0\n"
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		gomod += "\t" + line + "\n"
	}
	writeFile(t, filepath.Join(mod, "go.mod"), gomod+")\n")
	writeFile(t, filepath.Join(mod, "main.go"), otelServiceMain)
	if r := runTool(t, 5*time.Minute, mod, nil, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.stderr)
	}
	return goBuild(t, mod, ".", "otelsvc")
}

// prometheusSynthetic reports whether name is a series Prometheus makes for every target itself.
func prometheusSynthetic(name string) bool {
	switch name {
	case "up", "scrape_duration_seconds", "scrape_samples_post_metric_relabeling", "scrape_samples_scraped", "scrape_series_added":
		return true
	}
	return false
}

// TestImportOTelExporterAsPrometheus2Stores imports a service on the OTel Prometheus exporter
// with semantic-convention metrics (otelhttp), once with the exporter's defaults and once with
// the conventions' own dotted names, and holds the catalogue to what a real Prometheus 2
// scraping the same service stores: every series name Prometheus stores for the job is a series
// of an imported family, of a runtime family import names on stderr as telemetry's, or
// target_info, also named; every imported family's series are stored under its name, with the
// label names Prometheus stores.
func TestImportOTelExporterAsPrometheus2Stores(t *testing.T) {
	requireE2E(t)
	promBin := binary(t, envPrometheus)
	gen := instrumentgen(t)
	svc := buildOTelService(t)

	for _, tc := range []struct {
		job      string
		args     []string
		duration string // the name Prometheus stores http.server.request.duration under
	}{
		{"otel-defaults", nil, "http_server_request_duration_seconds"},
		{"otel-no-translation", []string{"-no-translation"}, "http_server_request_duration"},
	} {
		t.Run(tc.job, func(t *testing.T) {
			addr := hostPort(freePort(t))
			p := startProc(t, tc.job, svc, append([]string{"-addr", addr}, tc.args...), nil)
			base := "http://" + addr
			waitFor(t, tc.job+" /metrics", 30*time.Second, func() error {
				_, err := get200(base + "/metrics")
				return err
			}, p)
			for range 5 {
				if _, err := get200(base + "/hello"); err != nil {
					t.Fatal(err)
				}
			}

			prom, promProc := startPrometheusFor(t, promBin, scrapeTarget{job: tc.job, addr: addr, path: "/metrics", proc: p})
			selector := fmt.Sprintf("{job=%q}", tc.job)
			var stored []string
			waitFor(t, "Prometheus stores "+tc.duration, 30*time.Second, func() error {
				if err := promAPI(prom, "/api/v1/label/__name__/values", url.Values{"match[]": {selector}}, &stored); err != nil {
					return err
				}
				if !slices.Contains(stored, tc.duration+"_bucket") {
					return fmt.Errorf("stored %v", stored)
				}
				return nil
			}, promProc, p)

			r := runTool(t, time.Minute, "", nil, gen, "import", base+"/metrics")
			if r.code != 0 {
				t.Fatalf("import: exit %d\n%s", r.code, r.stderr)
			}
			t.Logf("import stderr:\n%s", r.stderr)
			cat, err := catalog.Parse("imported.yaml", []byte(r.stdout))
			if err != nil {
				t.Fatalf("the import does not load: %v\n%s", err, r.stdout)
			}
			withRuntime := runTool(t, time.Minute, "", nil, gen, "import", "-include-runtime", base+"/metrics")
			if withRuntime.code != 0 {
				t.Fatalf("import -include-runtime: exit %d\n%s", withRuntime.code, withRuntime.stderr)
			}
			runtimeCat, err := catalog.Parse("runtime.yaml", []byte(withRuntime.stdout))
			if err != nil {
				t.Fatalf("the -include-runtime import does not load: %v", err)
			}
			named := testutil.LeftOutOnStderr(r.stderr)
			served, err := scrape(base + "/metrics")
			if err != nil {
				t.Fatal(err)
			}

			// series name → the family it belongs to, and whether import left it out.
			type owner struct {
				family  string
				leftOut bool
			}
			owners := map[string]owner{catalog.TargetInfo: {catalog.TargetInfo, true}}
			for _, m := range runtimeCat.Metrics {
				for _, s := range m.Series() {
					owners[s] = owner{m.Name, m.ProvidedBy != ""}
				}
			}
			for _, name := range stored {
				if prometheusSynthetic(name) {
					continue
				}
				o, ok := owners[name]
				switch {
				case !ok:
					t.Errorf("Prometheus stores %s, which import neither imported nor named", name)
				case o.leftOut && !named[o.family]:
					t.Errorf("Prometheus stores %s of %s, which import left out without naming it on stderr", name, o.family)
				case !o.leftOut && cat.Metric(o.family) == nil:
					t.Errorf("Prometheus stores %s of %s, which is not in the catalogue", name, o.family)
				}
			}
			if cat.Metric(tc.duration) == nil {
				t.Errorf("%s was not imported; the catalogue has %v", tc.duration, metricNames(cat))
			}
			for _, m := range cat.Metrics {
				if p := catalog.RuntimeProvider(m.Name); p != "" {
					t.Errorf("%s, served by telemetry (%s), was imported as the service's own", m.Name, p)
				}
				for _, s := range m.Series() {
					if !slices.Contains(stored, s) {
						t.Errorf("imported %s, whose series %s Prometheus does not store", m.Name, s)
					}
				}
				// The label names too: those of the series Prometheus stores, less the target's
				// and the histogram's own.
				var series []map[string]string
				if err := promAPI(prom, "/api/v1/series", url.Values{"match[]": {fmt.Sprintf("{__name__=%q,job=%q}", m.Series()[0], tc.job)}}, &series); err != nil {
					t.Errorf("%s: %v", m.Name, err)
					continue
				}
				keys := map[string]bool{}
				for _, s := range series {
					for k := range s {
						switch k {
						case "__name__", "job", "instance", "le", "quantile":
						default:
							keys[k] = true
						}
					}
				}
				var storedKeys []string
				for k := range keys {
					storedKeys = append(storedKeys, k)
				}
				slices.Sort(storedKeys)
				// A label served empty on every series (the exporter's otel_scope_schema_url="")
				// is imported, but Prometheus stores an empty label as no label.
				empty := emptyLabels(served[m.Name])
				got := slices.DeleteFunc(sortedLabelKeys(m), func(k string) bool { return slices.Contains(empty, k) })
				if !slices.Equal(got, storedKeys) {
					t.Errorf("%s: imported with labels %v (less %v, always empty), Prometheus stores %v", m.Name, got, empty, storedKeys)
				}
			}
			if !named[catalog.TargetInfo] {
				t.Errorf("target_info is not named on stderr:\n%s", r.stderr)
			}
		})
	}
}

// emptyLabels are the label names f carries with an empty value on every series.
func emptyLabels(f *dto.MetricFamily) []string {
	nonEmpty := map[string]bool{}
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, lp := range m.GetLabel() {
			seen[lp.GetName()] = true
			nonEmpty[lp.GetName()] = nonEmpty[lp.GetName()] || lp.GetValue() != ""
		}
	}
	var out []string
	for k := range seen {
		if !nonEmpty[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func metricNames(cat *catalog.Catalog) []string {
	var out []string
	for _, m := range cat.Metrics {
		out = append(out, m.Name)
	}
	return out
}
