//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// TestOrdersDashboardOnPrometheus: the dashboard `instrumentgen dashboard` generated for
// examples/orders' own catalogue (examples/orders/dashboard.json) works on a real Prometheus
// scraping the service under load. The example is built from its own module; orders are placed
// with every payment method and a bad one (a rejection) all along, and its inventory
// dependency is a closed port, so that inventory checks fail and count. Then every query of
// every panel returns data, and the job and instance variables list the service.
func TestOrdersDashboardOnPrometheus(t *testing.T) {
	requireE2E(t)
	promBin := binary(t, envPrometheus)
	root := repoRoot(t)
	orders := buildOrders(t, filepath.Join(root, "examples", "orders"))

	addr := hostPort(freePort(t))
	closed := testutil.ClosedAddr(t) // nothing listens there: every inventory check fails
	p := startProc(t, "orders", orders, []string{"-addr", addr, "-inventory", closed}, nil)
	waitFor(t, "orders /diag/metrics", 60*time.Second, func() error {
		_, err := get200("http://" + addr + "/diag/metrics")
		return err
	}, p)
	placeOrders(t, "http://"+addr+"/orders")

	base, prom := startPrometheusFor(t, promBin, scrapeTarget{job: "orders", addr: addr, path: "/diag/metrics", proc: p})
	vars := strings.NewReplacer("$__rate_interval", "15s", "$job", "orders", "$instance", ".+")
	waitFor(t, "a rate over the orders placed", 30*time.Second, func() error {
		_, err := promQuery(base, `rate(orders_placed_total{job="orders"}[15s]) > 0`)
		return err
	}, prom, p)

	dashboard := filepath.Join(root, "examples", "orders", "dashboard.json")
	t.Run("every panel returns data", func(t *testing.T) {
		panels := dashboardQueries(t, dashboard)
		if len(panels) < 5 {
			t.Fatalf("only %d panel queries in %s", len(panels), dashboard)
		}
		for _, q := range panels {
			expr := vars.Replace(q.expr)
			if err := poll(20*time.Second, 500*time.Millisecond, func() error {
				_, err := promQuery(base, expr)
				return err
			}, prom, p); err != nil {
				t.Errorf("%s: %v", q.where, err)
			}
		}
	})

	t.Run("the job and instance variables list the service", func(t *testing.T) {
		for _, v := range dashboardVariables(t, dashboard) {
			sel, label := v.selector, v.label
			var series []map[string]string
			if err := promAPI(base, "/api/v1/series", url.Values{"match[]": {vars.Replace(sel)}}, &series); err != nil {
				t.Errorf("variable %s: %v", v.name, err)
				continue
			}
			want := map[string]string{"job": "orders", "instance": addr}[label]
			found := false
			for _, s := range series {
				found = found || s[label] == want
			}
			if !found {
				t.Errorf("variable %s: label_values(%s, %s) does not list %s (%d series)", v.name, sel, label, want, len(series))
			}
		}
	})
}

// buildOrders builds the example service from its own module into a temporary directory.
func buildOrders(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orders")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in %s: %v\n%s", dir, err, out)
	}
	return bin
}

// placeOrders posts orders to url until the test ends: each payment method, and one the service
// refuses, so that every family of its catalogue moves.
func placeOrders(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	client := &http.Client{Timeout: 2 * time.Second}
	wg.Add(1)
	go func() {
		defer wg.Done()
		methods := []string{"card", "invoice", "voucher", "bitcoin"}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"?payment="+methods[i%len(methods)], nil)
			if err != nil {
				return
			}
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

type dashboardVariable struct{ name, selector, label string }

// dashboardVariables reads the label_values(selector, label) variables of a dashboard.
func dashboardVariables(t *testing.T, path string) []dashboardVariable {
	t.Helper()
	var d struct {
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	readJSON(t, path, &d)
	var out []dashboardVariable
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		inner, ok := strings.CutPrefix(v.Query, "label_values(")
		inner, ok2 := strings.CutSuffix(inner, ")")
		i := strings.LastIndex(inner, ",")
		if !ok || !ok2 || i < 0 {
			t.Fatalf("%s: variable %s: %q is not label_values(selector, label)", path, v.Name, v.Query)
		}
		out = append(out, dashboardVariable{v.Name, strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])})
	}
	if len(out) != 2 {
		t.Fatalf("%s: %d query variables, want job and instance", path, len(out))
	}
	return out
}

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
