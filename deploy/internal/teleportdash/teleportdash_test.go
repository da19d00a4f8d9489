package teleportdash

import (
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

func TestMetricWithoutSectionNamesFileAndLine(t *testing.T) {
	cat, err := catalog.Parse("cat.yaml", []byte(`metrics:
  - name: rx
    section: SSH
    kind: counter
    value_type: int
    unit: By
    description: Bytes received.
  - name: tx
    kind: counter
    value_type: int
    unit: By
    description: Bytes sent.
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Build(cat)
	if err == nil || !strings.Contains(err.Error(), "cat.yaml:8: metric tx: no section") {
		t.Fatalf("Build: %v, want cat.yaml:8: metric tx: no section", err)
	}
}

func TestPanelsByType(t *testing.T) {
	cat, err := catalog.Parse("cat.yaml", []byte(`labels:
  component:
    description: Component.
metrics:
  - name: rx
    section: A
    kind: counter
    value_type: int
    unit: By
    description: Bytes received.
  - name: backend_read_seconds
    section: A
    kind: histogram
    value_type: double
    unit: s
    description: Reads.
    labels: [component]
    buckets: [0.1, 1]
  - name: process_state
    section: B
    kind: gauge
    observable: true
    value_type: int
    unit: "1"
    description: State.
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(cat)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	exprs := map[string][]string{}
	types := map[string]string{}
	for _, p := range d.Panels {
		titles = append(titles, p.Type+":"+p.Title)
		for _, tg := range p.Targets {
			exprs[p.Title] = append(exprs[p.Title], tg.Expr)
		}
		types[p.Title] = p.Type
	}
	want := "row:Backend availability timeseries:Backend write availability timeseries:Backend read availability " +
		"row:A timeseries:rx (per second) timeseries:backend_read_seconds (p50, p99, per second) row:B state-timeline:process_state"
	if got := strings.Join(titles, " "); got != want {
		t.Errorf("panels:\n got %s\nwant %s", got, want)
	}
	if e := exprs["rx (per second)"]; len(e) != 1 || e[0] != `sum by (instance) (rate(rx{job=~"$job",instance=~"$instance"}[$__rate_interval]))` {
		t.Errorf("rx: %q", e)
	}
	if e := exprs["backend_read_seconds (p50, p99, per second)"]; len(e) != 3 ||
		e[1] != `histogram_quantile(0.99, sum by (le, instance, component) (rate(backend_read_seconds_bucket{job=~"$job",instance=~"$instance"}[$__rate_interval])))` {
		t.Errorf("backend_read_seconds: %q", e)
	}
	if e := exprs["process_state"]; len(e) != 1 || e[0] != `process_state{job=~"$job",instance=~"$instance"}` {
		t.Errorf("process_state: %q", e)
	}
	// Every Teleport process serves process_state from its start: the variables read it.
	var queries []string
	for _, v := range d.Templating.List {
		queries = append(queries, v.Query)
	}
	if got, want := strings.Join(queries, " "), `prometheus label_values(process_state, job) label_values(process_state{job=~"$job"}, instance)`; got != want {
		t.Errorf("variables: %s, want %s", got, want)
	}
}
