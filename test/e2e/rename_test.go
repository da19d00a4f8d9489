//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// renameV1 is a shop's catalogue before the rename: a counter and a histogram that rules and a
// dashboard query.
const renameV1 = `labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: shop_orders
    section: Orders
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted, by payment method."
    labels: [payment_method]
  - name: shop_checkout_latency_seconds
    section: Orders
    kind: histogram
    value_type: double
    unit: s
    description: "Time to check an order out."
    buckets: [0.1, 0.5, 1]
`

// renameV2 renames both families, keeping the old names served (renamed_from).
const renameV2 = `labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: shop_orders_placed_total
    section: Orders
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted, by payment method."
    labels: [payment_method]
    renamed_from: [shop_orders]
  - name: shop_checkout_duration_seconds
    section: Orders
    kind: histogram
    value_type: double
    unit: s
    description: "Time to check an order out."
    buckets: [0.1, 0.5, 1]
    renamed_from: [shop_checkout_latency_seconds]
`

// renameRules are rules written against the old names: a recording rule and an alert that fires
// on the service's traffic, so that both expressions return data while it runs.
const renameRules = `groups:
  - name: shop
    rules:
      - record: job:shop_orders:rate1m
        expr: sum by (job) (rate(shop_orders[1m]))
      - alert: ShopCheckoutSlow
        expr: histogram_quantile(0.99, sum by (job, le) (rate(shop_checkout_latency_seconds_bucket[1m]))) > 0.05
`

// renameNames maps the old names to the new ones, for the rules and dashboards on the new names.
var renameNames = strings.NewReplacer(
	"shop_orders", "shop_orders_placed_total",
	"shop_checkout_latency_seconds", "shop_checkout_duration_seconds",
)

// renameMain is the shop built from renameV2: it records an order and a checkout every 10ms and
// serves /metrics on -addr, on the exporter's path or, with -direct, on the direct one.
const renameMain = `package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"time"

	"example.com/renamed/shopmetrics"
	"github.com/telediag/telediag/telemetry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9464", "where to serve /metrics")
	direct := flag.Bool("direct", false, "serve /metrics on the direct path")
	flag.Parse()
	ctx := context.Background()
	opts := []telemetry.Option{telemetry.WithServiceName("shop")}
	if *direct {
		opts = append(opts, telemetry.WithDirectScrape())
	}
	tel, err := telemetry.New(ctx, opts...)
	if err != nil {
		log.Fatal(err)
	}
	m, err := shopmetrics.NewInstruments(tel.MeterProvider())
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		methods := []shopmetrics.PaymentMethodAttr{shopmetrics.PaymentMethodCard, shopmetrics.PaymentMethodInvoice}
		for i := 0; ; i++ {
			m.ShopOrdersPlacedTotal.Add(ctx, 1, methods[i%len(methods)])
			m.ShopCheckoutDurationSeconds.Record(ctx, float64(i%10)/10)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	http.Handle("/metrics", tel.Handler())
	log.Fatal(http.ListenAndServe(*addr, nil))
}
`

// TestRenameKeepsQueriesWorking is issue 24's rename, end to end: rules and a dashboard generated
// by instrumentgen dashboard query two families of catalogue v1. v2 renames both with
// renamed_from; a service built from v2 outside the repository is scraped by a real Prometheus,
// which evaluates the rules, and every query of the rules and dashboards on the old names and on
// the new ones returns data, on the exporter's scrape path and on the direct one; instrumentgen
// diff v1 v2 exits 0. v3 drops renamed_from: diff v2 v3 exits 1, and -queries names every query
// still on an old name, and none on a new one. Over OTLP a real Collector receives the new names
// only, and both with TELEDIAG_OTLP_OLD_NAMES=true.
func TestRenameKeepsQueriesWorking(t *testing.T) {
	requireE2E(t)
	promBin := binary(t, envPrometheus)
	gen := instrumentgen(t)

	work := t.TempDir()
	v1, v2, v3 := filepath.Join(work, "v1.yaml"), filepath.Join(work, "v2.yaml"), filepath.Join(work, "v3.yaml")
	writeFile(t, v1, renameV1)
	writeFile(t, v2, renameV2)
	writeFile(t, v3, regexp.MustCompile(`(?m)^ +renamed_from: .*\n`).ReplaceAllString(renameV2, ""))
	queries := filepath.Join(work, "queries")
	if err := os.Mkdir(queries, 0o755); err != nil {
		t.Fatal(err)
	}
	oldRules, newRules := filepath.Join(queries, "rules-old.yml"), filepath.Join(queries, "rules-new.yml")
	writeFile(t, oldRules, renameRules)
	writeFile(t, newRules, renameNames.Replace(renameRules))
	oldDash, newDash := filepath.Join(queries, "dashboard-v1.json"), filepath.Join(queries, "dashboard-v2.json")
	for _, d := range []struct{ out, catalogue string }{{oldDash, v1}, {newDash, v2}} {
		if r := runTool(t, time.Minute, work, nil, gen, "dashboard", "-title", "shop", "-o", d.out, d.catalogue); r.code != 0 {
			t.Fatalf("instrumentgen dashboard %s: exit %d\n%s%s", d.catalogue, r.code, r.stdout, r.stderr)
		}
	}
	// promtool checks the rules as Prometheus's own CI would, when the package installed it
	// beside prometheus; Prometheus loading them below checks them again.
	if promtool := filepath.Join(filepath.Dir(promBin), "promtool"); isExecutable(promtool) {
		if out, err := exec.Command(promtool, "check", "rules", oldRules, newRules).CombinedOutput(); err != nil {
			t.Fatalf("promtool check rules: %v\n%s", err, out)
		}
	}

	t.Run("diff v1 v2: the rename with renamed_from is compatible", func(t *testing.T) {
		r := runTool(t, time.Minute, work, nil, gen, "diff", "-queries", queries, v1, v2)
		if r.code != 0 {
			t.Errorf("diff v1 v2: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, old := range []string{"shop_orders", "shop_checkout_latency_seconds"} {
			if !strings.Contains(r.stdout, "compatible: metric "+old+": name: renamed to ") {
				t.Errorf("diff v1 v2 does not call the rename of %s compatible:\n%s", old, r.stdout)
			}
		}
	})

	t.Run("diff v2 v3: dropping renamed_from breaks, and -queries names the queries", func(t *testing.T) {
		r := runTool(t, time.Minute, work, nil, gen, "diff", "-queries", queries, v2, v3)
		if r.code != 1 {
			t.Errorf("diff v2 v3: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
		}
		want := queryLines(t, oldRules, "shop_orders", "shop_checkout_latency_seconds")
		want = append(want, queryLines(t, oldDash, "shop_orders", "shop_checkout_latency_seconds")...)
		if len(want) < 4 {
			t.Fatalf("only %d queries on the old names in the rules and the dashboard: %v", len(want), want)
		}
		for _, w := range want {
			if !strings.Contains(r.stdout, w+" names ") {
				t.Errorf("diff -queries does not name %s:\n%s", w, r.stdout)
			}
		}
		for _, f := range []string{newRules, newDash} {
			if strings.Contains(r.stdout, f+":") {
				t.Errorf("diff -queries names a query of %s, which reads only the new names:\n%s", f, r.stdout)
			}
		}
	})

	// The service, built from v2 in a module of its own.
	mod := outsideModule(t, "example.com/renamed")
	pkg := filepath.Join(mod, "shopmetrics")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(pkg, "instruments.yaml"), renameV2)
	writeFile(t, filepath.Join(pkg, "doc.go"), "// Package shopmetrics is the shop's metric catalogue.\npackage shopmetrics\n")
	if r := runTool(t, time.Minute, pkg, nil, gen, "instruments.yaml"); r.code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(mod, "main.go"), renameMain)
	if r := runTool(t, 5*time.Minute, mod, nil, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.stderr)
	}
	shop := goBuild(t, mod, ".", "shop")

	// Served on the exporter's path (the default) and on the direct one, each scraped by a
	// Prometheus of its own.
	for _, path := range []struct {
		name string
		args []string
	}{{"exporter path", nil}, {"direct path", []string{"-direct"}}} {
		t.Run(path.name, func(t *testing.T) {
			scrapedByPrometheus(t, promBin, shop, oldRules, newRules, oldDash, newDash, path.args...)
		})
	}

	// Over OTLP, a real Collector receives the new names only, and the old ones too on request.
	otelcol := binary(t, envOtelcol)
	for _, tc := range []struct {
		name     string
		env      []string
		oldNames bool
	}{{"OTLP: the new names", nil, false}, {"OTLP: both names with TELEDIAG_OTLP_OLD_NAMES", []string{"TELEDIAG_OTLP_OLD_NAMES=true"}, true}} {
		t.Run(tc.name, func(t *testing.T) {
			ports := newCollectorPorts(t)
			col := startCollector(t, otelcol, writeCollectorConfig(t, ports), ports)
			addr := hostPort(freePort(t))
			p := startProc(t, "shop", shop, []string{"-addr", addr}, append(otlpEnv("http/protobuf", ports.otlpEndpoint("http/protobuf")), tc.env...))
			var fams map[string]*dto.MetricFamily
			waitFor(t, "the new names at the collector", 30*time.Second, func() error {
				var err error
				if fams, err = scrape(ports.metricsURL()); err != nil {
					return err
				}
				for _, name := range []string{"shop_orders_placed_total", "shop_checkout_duration_seconds"} {
					if fams[name] == nil {
						return fmt.Errorf("%s not at the collector (%d families there)", name, len(fams))
					}
				}
				return nil
			}, col, p)
			renamed := map[string]string{"shop_orders_placed_total": "shop_orders", "shop_checkout_duration_seconds": "shop_checkout_latency_seconds"}
			if !tc.oldNames {
				for _, old := range renamed {
					if fams[old] != nil {
						t.Errorf("%s at the collector, though the old names were not asked for", old)
					}
				}
				return
			}
			// Both names come from one export; the collector updates them one after the other, so
			// a scrape may fall between the two: poll until they agree.
			waitFor(t, "the old names at the collector, as the new ones", 30*time.Second, func() error {
				fams, err := scrape(ports.metricsURL())
				if err != nil {
					return err
				}
				for newName, old := range renamed {
					f, n := fams[old], fams[newName]
					if f == nil {
						return fmt.Errorf("%s not at the collector", old)
					}
					if want := "(Deprecated: renamed to " + newName + ") " + n.GetHelp(); f.GetHelp() != want {
						return fmt.Errorf("%s at the collector: HELP %q, want %q", old, f.GetHelp(), want)
					}
					if f.GetType() != n.GetType() || sampleSum(f) != sampleSum(n) {
						return fmt.Errorf("%s at the collector: %s %v, %s: %s %v", old, f.GetType(), sampleSum(f), newName, n.GetType(), sampleSum(n))
					}
				}
				return nil
			}, col, p)
		})
	}
}

// scrapedByPrometheus runs the shop with args, scraped by a real Prometheus that evaluates the
// rules files; every query of the rules and dashboards returns data, the old and new names are
// one series, and both names' alerts fire.
func scrapedByPrometheus(t *testing.T, promBin, shop, oldRules, newRules, oldDash, newDash string, args ...string) {
	addr := hostPort(freePort(t))
	p := startProc(t, "shop", shop, append([]string{"-addr", addr}, args...), nil)
	waitFor(t, "shop /metrics", 30*time.Second, func() error {
		_, err := get200("http://" + addr + "/metrics")
		return err
	}, p)
	base, prom := startPrometheusFor(t, promBin, scrapeTarget{job: "shop", addr: addr, path: "/metrics", proc: p}, oldRules, newRules)
	vars := strings.NewReplacer("$__rate_interval", "15s", "$job", "shop", "$instance", ".+")
	waitFor(t, "a rate over the old name", 30*time.Second, func() error {
		_, err := promQuery(base, `rate(shop_orders{job="shop"}[15s]) > 0`)
		return err
	}, prom, p)

	t.Run("the queries on the old and the new names return data", func(t *testing.T) {
		type query struct{ where, expr string }
		var all []query
		for _, f := range []string{oldRules, newRules} {
			for _, r := range ruleExprs(t, f) {
				all = append(all, query{filepath.Base(f) + ": " + r.name, r.expr})
			}
		}
		for _, f := range []string{oldDash, newDash} {
			qs := dashboardQueries(t, f)
			if len(qs) < 3 {
				t.Fatalf("%s: only %d panel queries", f, len(qs))
			}
			for _, q := range qs {
				all = append(all, query{filepath.Base(f) + ": " + q.where, vars.Replace(q.expr)})
			}
		}
		for _, q := range all {
			if err := poll(30*time.Second, 500*time.Millisecond, func() error {
				_, err := promQuery(base, q.expr)
				return err
			}, prom, p); err != nil {
				t.Errorf("%s: %s: %v", q.where, q.expr, err)
			}
		}
		// The dashboards' job and instance variables list the service, on either name.
		for _, f := range []string{oldDash, newDash} {
			for _, v := range dashboardVariables(t, f) {
				var series []map[string]string
				if err := promAPI(base, "/api/v1/series", url.Values{"match[]": {vars.Replace(v.selector)}}, &series); err != nil {
					t.Errorf("%s: variable %s: %v", filepath.Base(f), v.name, err)
					continue
				}
				if len(series) == 0 || series[0][v.label] == "" {
					t.Errorf("%s: variable %s: label_values(%s, %s) lists nothing", filepath.Base(f), v.name, v.selector, v.label)
				}
			}
		}
		// Both names are one series: the old name's value is the new one's, sample for sample.
		res, err := promQuery(base, `sum(shop_orders{job="shop"}) - sum(shop_orders_placed_total{job="shop"})`)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := res[0].float(); err != nil || v != 0 {
			t.Errorf("shop_orders - shop_orders_placed_total = %v (%v), want 0: the names are not one series", v, err)
		}
	})

	t.Run("Prometheus evaluates every rule on both names", func(t *testing.T) {
		waitFor(t, "the recording rules' series on both names", 30*time.Second, func() error {
			for _, rec := range []string{"job:shop_orders:rate1m", "job:shop_orders_placed_total:rate1m"} {
				if _, err := promQuery(base, rec+` > 0`); err != nil {
					return fmt.Errorf("%s: %w", rec, err)
				}
			}
			return nil
		}, prom, p)
		waitFor(t, "both alerts firing", 30*time.Second, func() error {
			var data struct {
				Alerts []struct {
					Labels map[string]string `json:"labels"`
					State  string            `json:"state"`
				} `json:"alerts"`
			}
			if err := promAPI(base, "/api/v1/alerts", url.Values{}, &data); err != nil {
				return err
			}
			var firing []string
			for _, a := range data.Alerts {
				if a.State == "firing" || a.State == "pending" {
					firing = append(firing, a.Labels["alertname"]+"/"+a.Labels["job"])
				}
			}
			// Both rules files name their alert ShopCheckoutSlow; one per file, each on one name.
			if n := len(slices.DeleteFunc(firing, func(s string) bool { return s != "ShopCheckoutSlow/shop" })); n != 2 {
				return fmt.Errorf("%d ShopCheckoutSlow alerts pending or firing, want 2 (one per name)", n)
			}
			return nil
		}, prom, p)
	})
}

// queryLines returns "FILE:LINE: KEY" for every line of path that holds a PromQL expression (a
// YAML or JSON expr field, or a Grafana variable's query) naming one of names as a whole token.
func queryLines(t *testing.T, path string, names ...string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var alt []string
	for _, n := range names {
		alt = append(alt, regexp.QuoteMeta(n))
	}
	token := regexp.MustCompile(`(^|[^A-Za-z0-9_:])(` + strings.Join(alt, "|") + `)(_bucket|_count|_sum)?($|[^A-Za-z0-9_:])`)
	var out []string
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		key := ""
		switch {
		case strings.HasPrefix(trimmed, "expr:"), strings.HasPrefix(trimmed, `"expr":`):
			key = "expr"
		case strings.HasPrefix(trimmed, `"query":`):
			key = "query"
		default:
			continue
		}
		if token.MatchString(line) {
			out = append(out, fmt.Sprintf("%s:%d: %s", path, i+1, key))
		}
	}
	return out
}

// isExecutable reports whether path is an executable file.
func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}
