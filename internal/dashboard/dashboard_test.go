package dashboard

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

const testCatalogue = `labels:
  payment_method:
    description: How the customer paid.
    enum: [card, invoice]
  reason:
    description: Why.
metrics:
  - name: orders_placed_total
    section: Orders
    kind: counter
    value_type: int
    unit: "{order}"
    description: Orders accepted.
    labels: [payment_method]
  - name: inventory_unreachable_total
    section: Dependencies
    kind: counter
    value_type: int
    unit: "{check}"
    description: Inventory checks that failed.
  - name: orders_in_flight
    section: Orders
    kind: updowncounter
    value_type: int
    unit: "{order}"
    description: Orders being processed.
  - name: order_processing_seconds
    section: Orders
    kind: histogram
    value_type: double
    unit: s
    description: Time to accept an order.
    labels: [reason]
    buckets: [0.01, 0.1, 1]
  - name: queue_depth
    kind: gauge
    observable: true
    value_type: int
    unit: "{order}"
    description: Orders waiting.
  - name: go_gc_duration_seconds
    section: Go runtime
    provided_by: go_collector
    kind: summary
    unit: s
    description: GC pauses.
`

func build(t *testing.T, opts Options) *Dashboard {
	t.Helper()
	cat, err := catalog.Parse("orders.yaml", []byte(testCatalogue))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRowsPanelsAndQueries: a row per section in file order (families without one last, in
// "Metrics"), a panel per family read as its kind must be and broken down by its labels.
func TestRowsPanelsAndQueries(t *testing.T) {
	d := build(t, Options{Title: "Orders"})
	var layout []string
	exprs := map[string][]string{}
	for _, p := range d.Panels {
		layout = append(layout, p.Type+":"+p.Title)
		for _, q := range p.Panels {
			layout = append(layout, "  "+q.Type+":"+q.Title)
		}
		for _, tg := range p.Targets {
			exprs[p.Title] = append(exprs[p.Title], tg.Expr)
		}
	}
	want := []string{
		"row:Orders",
		"timeseries:orders_placed_total (per second)",
		"timeseries:orders_in_flight",
		"timeseries:order_processing_seconds (p50, p99, per second)",
		"row:Dependencies",
		"timeseries:inventory_unreachable_total (per second)",
		"row:Metrics",
		"timeseries:queue_depth",
		"row:Go runtime", // only provided families: collapsed, its panels inside
		"  timeseries:go_gc_duration_seconds",
	}
	if !slices.Equal(layout, want) {
		t.Errorf("layout:\n%s\nwant:\n%s", strings.Join(layout, "\n"), strings.Join(want, "\n"))
	}
	sel := `{job=~"$job",instance=~"$instance"}`
	for title, want := range map[string][]string{
		"orders_placed_total (per second)": {`sum by (instance, payment_method) (rate(orders_placed_total` + sel + `[$__rate_interval]))`},
		"orders_in_flight":                 {`orders_in_flight` + sel},
		"order_processing_seconds (p50, p99, per second)": {
			`histogram_quantile(0.5, sum by (le, instance, reason) (rate(order_processing_seconds_bucket` + sel + `[$__rate_interval])))`,
			`histogram_quantile(0.99, sum by (le, instance, reason) (rate(order_processing_seconds_bucket` + sel + `[$__rate_interval])))`,
			`sum by (instance, reason) (rate(order_processing_seconds_count` + sel + `[$__rate_interval]))`,
		},
		"queue_depth": {`queue_depth` + sel},
	} {
		if !slices.Equal(exprs[title], want) {
			t.Errorf("%s:\n got %q\nwant %q", title, exprs[title], want)
		}
	}
}

// TestImportsIntoAnyGrafana: the data source is a variable everywhere, never a fixed uid, and
// the job and instance variables read the catalogue's own series.
func TestImportsIntoAnyGrafana(t *testing.T) {
	d := build(t, Options{Title: "Orders: the service's own metrics!"})
	if d.UID != "orders-the-service-s-own-metrics" {
		t.Errorf("uid %q", d.UID)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name+"="+v.Query)
	}
	names := `orders_placed_total|inventory_unreachable_total|orders_in_flight|order_processing_seconds_count|queue_depth|go_gc_duration_seconds_count`
	want := []string{
		"datasource=prometheus",
		`job=label_values({__name__=~"` + names + `"}, job)`,
		`instance=label_values({__name__=~"` + names + `",job=~"$job"}, instance)`,
	}
	if !slices.Equal(vars, want) {
		t.Errorf("variables:\n%s\nwant:\n%s", strings.Join(vars, "\n"), strings.Join(want, "\n"))
	}
	b, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	// Every "datasource" object in the JSON names the variable.
	var walk func(v any)
	n := 0
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if k == "datasource" {
					n++
					if ds, ok := c.(map[string]any); !ok || ds["uid"] != "${datasource}" || ds["type"] != "prometheus" {
						t.Errorf("datasource %v is not the ${datasource} variable", c)
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
	if n < 10 {
		t.Errorf("only %d datasource references", n)
	}
}

func TestOptions(t *testing.T) {
	extra := Panel{Type: "stat", Title: "Extra", Targets: []Target{{RefID: "A", Expr: "vector(1)"}}}
	d := build(t, Options{
		Title: "Orders", UID: "orders_v2", Tags: []string{"orders"}, VariableSelector: "orders_in_flight",
		Before: []Row{{Title: "Overview", Panels: []Panel{extra}}},
		Panel: func(m *catalog.Metric, p *Panel) {
			if m.Name == "orders_in_flight" {
				p.Type = "stat"
			}
		},
	})
	if d.UID != "orders_v2" || !slices.Equal(d.Tags, []string{"orders"}) {
		t.Errorf("uid %q tags %q", d.UID, d.Tags)
	}
	if d.Panels[0].Title != "Overview" || d.Panels[1].Title != "Extra" || d.Panels[1].ID != 2 || d.Panels[2].Title != "Orders" {
		t.Errorf("the Before row is not first: %q %q %q", d.Panels[0].Title, d.Panels[1].Title, d.Panels[2].Title)
	}
	for _, p := range d.Panels {
		if p.Title == "orders_in_flight" && p.Type != "stat" {
			t.Errorf("Panel hook not applied: %s", p.Type)
		}
	}
	if q := d.Templating.List[2].Query; q != `label_values(orders_in_flight{job=~"$job"}, instance)` {
		t.Errorf("instance variable: %s", q)
	}
	cat, _ := catalog.Parse("orders.yaml", []byte(testCatalogue))
	for _, o := range []Options{{}, {Title: "x", UID: strings.Repeat("u", 41)}, {Title: "x", UID: "a/b"}} {
		if _, err := Build(cat, o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// TestDeterministicAndLaidOut: the same input gives the same bytes; panel ids are unique and
// panels of a row do not overlap on Grafana's grid.
func TestDeterministicAndLaidOut(t *testing.T) {
	a, err := Marshal(build(t, Options{Title: "Orders"}))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Marshal(build(t, Options{Title: "Orders"}))
	if !bytes.Equal(a, b) || !bytes.HasSuffix(a, []byte("}\n")) || bytes.Contains(a, []byte(`\u003c`)) {
		t.Fatal("output is not deterministic, not newline-terminated, or HTML-escaped")
	}
	d := build(t, Options{Title: "Orders"})
	ids := map[int]bool{}
	type cell struct{ x, y int }
	used := map[cell]string{}
	var all []Panel
	for _, p := range d.Panels {
		all = append(all, p)
		all = append(all, p.Panels...)
	}
	for _, p := range all {
		if ids[p.ID] {
			t.Errorf("panel id %d repeated", p.ID)
		}
		ids[p.ID] = true
		for x := p.GridPos.X; x < p.GridPos.X+p.GridPos.W; x++ {
			for y := p.GridPos.Y; y < p.GridPos.Y+p.GridPos.H; y++ {
				if other, ok := used[cell{x, y}]; ok {
					t.Fatalf("%s overlaps %s at %d,%d", p.Title, other, x, y)
				}
				used[cell{x, y}] = p.Title
			}
		}
		if p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("%s is wider than the grid", p.Title)
		}
	}
}
