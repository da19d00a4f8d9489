// Package dashboard builds telediag's Grafana dashboard from the metric catalogue
// (instruments.yaml): one row per catalogue section, in file order, with a panel for every
// family, each read as its type must be: rate() on counters, histogram_quantile() over the
// buckets of histograms (p50 and p99), gauges as they are, and process_state and
// teleport_component_state as state timelines. A first row shows backend availability by
// Teleport's formula, without the label-less vector(0) that leaves Teleport's panel empty.
//
// The output is deterministic: the same catalogue gives the same bytes, so `go generate` in CI
// catches a dashboard that was not regenerated.
package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// Grafana variables the queries use. A query is PromQL once they are replaced, as Grafana does.
const (
	// RateInterval is Grafana's range for rate(): at least four scrape intervals.
	RateInterval = "$__rate_interval"
	// JobVar and InstanceVar select the scraped processes; "All" is ".+".
	JobVar      = "$job"
	InstanceVar = "$instance"
)

// UID is the dashboard's stable identifier, so a re-import replaces it.
const UID = "telediag-teleport"

// Dashboard is the part of Grafana's dashboard JSON model the generator writes.
type Dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Description   string     `json:"description"`
	Tags          []string   `json:"tags"`
	Editable      bool       `json:"editable"`
	GraphTooltip  int        `json:"graphTooltip"`
	Refresh       string     `json:"refresh"`
	SchemaVersion int        `json:"schemaVersion"`
	Time          TimeRange  `json:"time"`
	Templating    Templating `json:"templating"`
	Panels        []Panel    `json:"panels"`
}

// TimeRange is the default time range.
type TimeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Templating holds the dashboard's variables.
type Templating struct {
	List []Variable `json:"list"`
}

// Variable is a dashboard variable: the Prometheus data source, or a label's values.
type Variable struct {
	Name       string      `json:"name"`
	Label      string      `json:"label"`
	Type       string      `json:"type"`
	Query      string      `json:"query"`
	Datasource *Datasource `json:"datasource,omitempty"`
	Refresh    int         `json:"refresh,omitempty"`
	IncludeAll bool        `json:"includeAll,omitempty"`
	Multi      bool        `json:"multi,omitempty"`
	AllValue   string      `json:"allValue,omitempty"`
}

// Datasource points a panel or a variable at the dashboard's data source variable.
type Datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

var prometheusDS = &Datasource{Type: "prometheus", UID: "${datasource}"}

// GridPos places a panel on Grafana's 24-column grid.
type GridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

// Panel is a row or a graph. A collapsed row holds its panels; an open one is followed by them.
type Panel struct {
	ID          int          `json:"id"`
	Type        string       `json:"type"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	GridPos     GridPos      `json:"gridPos"`
	Collapsed   *bool        `json:"collapsed,omitempty"`
	Panels      []Panel      `json:"panels,omitempty"`
	Datasource  *Datasource  `json:"datasource,omitempty"`
	Targets     []Target     `json:"targets,omitempty"`
	FieldConfig *FieldConfig `json:"fieldConfig,omitempty"`
}

// Target is one query of a panel.
type Target struct {
	RefID        string      `json:"refId"`
	Expr         string      `json:"expr"`
	LegendFormat string      `json:"legendFormat,omitempty"`
	Datasource   *Datasource `json:"datasource"`
}

// FieldConfig sets a panel's unit, bounds and value mappings.
type FieldConfig struct {
	Defaults FieldDefaults `json:"defaults"`
	// Overrides is always empty; Grafana expects the key.
	Overrides []any `json:"overrides"`
}

// FieldDefaults are the field settings of a panel.
type FieldDefaults struct {
	Unit     string    `json:"unit,omitempty"`
	Min      *float64  `json:"min,omitempty"`
	Max      *float64  `json:"max,omitempty"`
	Mappings []Mapping `json:"mappings,omitempty"`
}

// Mapping maps values to text and colour (the readiness states).
type Mapping struct {
	Type    string                  `json:"type"`
	Options map[string]MappingValue `json:"options"`
}

// MappingValue is the text and colour of one mapped value.
type MappingValue struct {
	Text  string `json:"text"`
	Color string `json:"color"`
	Index int    `json:"index"`
}

// stateFamilies are the gauges whose value is a readiness state.
var stateFamilies = map[string]bool{"process_state": true, "teleport_component_state": true}

// AvailabilityRow is the title of the first row, which is not a catalogue section.
const AvailabilityRow = "Backend availability"

const (
	panelW, panelH = 8, 7
	perLine        = 24 / panelW
)

// Build returns the dashboard for cat.
func Build(cat *catalog.Catalog) (*Dashboard, error) {
	d := &Dashboard{
		UID:   UID,
		Title: "telediag: Teleport diagnostics",
		Description: "Every family telediag's catalogue (instruments.yaml) serves, one row per section; " +
			"generated by deploy/internal/dashgen, do not edit by hand.",
		Tags:          []string{"telediag", "teleport"},
		Editable:      true,
		GraphTooltip:  1,
		Refresh:       "30s",
		SchemaVersion: 39,
		Time:          TimeRange{From: "now-1h", To: "now"},
		Templating: Templating{List: []Variable{
			{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus"},
			{Name: "job", Label: "Job", Type: "query", Datasource: prometheusDS, Refresh: 2,
				Query: "label_values(process_state, job)", IncludeAll: true, Multi: true, AllValue: ".+"},
			{Name: "instance", Label: "Instance", Type: "query", Datasource: prometheusDS, Refresh: 2,
				Query: `label_values(process_state{job=~"$job"}, instance)`, IncludeAll: true, Multi: true, AllValue: ".+"},
		}},
	}
	l := layout{}
	l.row(d, AvailabilityRow, false, availabilityPanels())

	var sections []string
	bySection := map[string][]*catalog.Metric{}
	for _, m := range cat.Metrics {
		if m.Section == "" {
			return nil, fmt.Errorf("%s:%d: metric %s: no section, so no row to put its panel in", cat.File, m.Line, m.Name)
		}
		if _, ok := bySection[m.Section]; !ok {
			sections = append(sections, m.Section)
		}
		bySection[m.Section] = append(bySection[m.Section], m)
	}
	for _, s := range sections {
		var panels []Panel
		// Rows of the runtime's families start closed: a row with a family that client_golang or
		// the OTel runtime serves (beside the few runtime families a catalogue generates itself,
		// such as Teleport's go_memstats_lookups_total).
		collapsed := false
		for _, m := range bySection[s] {
			p, err := familyPanel(m)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: metric %s: %w", cat.File, m.Line, m.Name, err)
			}
			panels = append(panels, p)
			if !m.Generated() {
				collapsed = true
			}
		}
		l.row(d, s, collapsed, panels)
	}
	return d, nil
}

// layout hands out panel ids and grid positions.
type layout struct{ id, y int }

func (l *layout) row(d *Dashboard, title string, collapsed bool, panels []Panel) {
	l.id++
	row := Panel{ID: l.id, Type: "row", Title: title, GridPos: GridPos{H: 1, W: 24, Y: l.y}, Collapsed: &collapsed, Panels: []Panel{}}
	l.y++
	for i := range panels {
		l.id++
		panels[i].ID = l.id
		panels[i].GridPos = GridPos{H: panelH, W: panelW, X: (i % perLine) * panelW, Y: l.y + (i/perLine)*panelH}
	}
	l.y += (len(panels) + perLine - 1) / perLine * panelH
	if collapsed {
		row.Panels = panels
		d.Panels = append(d.Panels, row)
		return
	}
	d.Panels = append(d.Panels, row)
	d.Panels = append(d.Panels, panels...)
}

// selector is name restricted to the dashboard's job and instance variables.
func selector(name string) string {
	return fmt.Sprintf(`%s{job=~"%s",instance=~"%s"}`, name, JobVar, InstanceVar)
}

// by is the grouping of a family's series: per instance and per label of the family.
func by(m *catalog.Metric, extra ...string) string {
	return strings.Join(append(extra, append([]string{"instance"}, m.LabelKeys()...)...), ", ")
}

// legend names a series by its instance and the family's labels.
func legend(m *catalog.Metric, prefix string) string {
	parts := []string{"{{instance}}"}
	if prefix != "" {
		parts = []string{prefix, "{{instance}}"}
	}
	for _, k := range m.LabelKeys() {
		parts = append(parts, "{{"+k+"}}")
	}
	return strings.Join(parts, " ")
}

func familyPanel(m *catalog.Metric) (Panel, error) {
	p := Panel{
		Type:        "timeseries",
		Title:       m.Name,
		Description: fmt.Sprintf("%s (%s, %s)", m.Description, m.PrometheusType(), m.Unit),
		Datasource:  prometheusDS,
	}
	switch m.PrometheusType() {
	case "counter":
		p.Title += " (per second)"
		p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, ""),
			Expr: fmt.Sprintf("sum by (%s) (rate(%s[%s]))", by(m), selector(m.Name), RateInterval)}}
		p.FieldConfig = unit(rateUnit(m.Unit))
	case "histogram":
		for i, q := range []struct{ q, name string }{{"0.5", "p50"}, {"0.99", "p99"}} {
			p.Targets = append(p.Targets, Target{
				RefID:        string(rune('A' + i)),
				LegendFormat: legend(m, q.name),
				Expr: fmt.Sprintf("histogram_quantile(%s, sum by (%s) (rate(%s[%s])))",
					q.q, by(m, "le"), selector(m.Name+"_bucket"), RateInterval),
			})
		}
		p.Title += " (p50, p99)"
		p.FieldConfig = unit(gaugeUnit(m))
	case "summary":
		p.Targets = []Target{{RefID: "A", LegendFormat: "{{instance}} q{{quantile}}", Expr: selector(m.Name)}}
		p.FieldConfig = unit(gaugeUnit(m))
	case "gauge":
		p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, ""), Expr: selector(m.Name)}}
		p.FieldConfig = unit(gaugeUnit(m))
		if stateFamilies[m.Name] {
			p.Type = "state-timeline"
			p.FieldConfig.Defaults.Mappings = stateMappings()
		}
	default:
		return Panel{}, fmt.Errorf("kind %s has no panel", m.Kind)
	}
	return p, nil
}

func unit(u string) *FieldConfig {
	return &FieldConfig{Defaults: FieldDefaults{Unit: u}, Overrides: []any{}}
}

// rateUnit is the Grafana unit of a counter's per-second rate, from its UCUM unit.
func rateUnit(ucum string) string {
	switch ucum {
	case "By":
		return "Bps"
	case "{request}":
		return "reqps"
	case "s":
		return "short" // seconds per second: a share of one CPU, or of one request slot
	default:
		return "cps"
	}
}

// gaugeUnit is the Grafana unit of a gauge's (or a quantile's) value.
func gaugeUnit(m *catalog.Metric) string {
	switch {
	case m.Unit == "s" && strings.HasSuffix(m.Name, "_time_seconds"):
		return "dateTimeFromNow"
	case m.Unit == "s":
		return "s"
	case m.Unit == "By":
		return "bytes"
	case m.Unit == "%":
		return "percent"
	default:
		return "short"
	}
}

// stateMappings names process_state's values, as Teleport's own dashboard does.
func stateMappings() []Mapping {
	return []Mapping{{Type: "value", Options: map[string]MappingValue{
		"0": {Text: "ok", Color: "green", Index: 0},
		"1": {Text: "recovering", Color: "yellow", Index: 1},
		"2": {Text: "degraded", Color: "red", Index: 2},
		"3": {Text: "starting", Color: "#a2a1a1", Index: 3},
	}}}
}

// WriteAvailability is Teleport's backend write availability formula (its metrics guide), made
// to parse and without its dashboard's `OR on() vector(0)`: a label-less 0 matches none of the
// labelled denominators, so a backend that has not failed yet, and has no failure series, would
// show nothing. Here a missing failure series counts as 0 for exactly the series that have
// writes. Expected (precondition) failures are taken out. It is the same formula as the
// recording rule in deploy/prometheus, which alerts use.
func WriteAvailability(grouping, rng string) string {
	sum := func(name string) string {
		return fmt.Sprintf("sum by (%s) (rate(%s[%s]))", grouping, selector(name), rng)
	}
	return fmt.Sprintf("1 - (\n  (\n    %s\n    - (%s or 0 * %s)\n  )\n  or 0 * %s\n)\n/ %s",
		sum("backend_write_requests_failed_total"),
		sum("teleport_backend_write_requests_failed_precondition_total"), sum("backend_write_requests_failed_total"),
		sum("backend_write_requests_total"), sum("backend_write_requests_total"))
}

// ReadAvailability is the same for reads, which have no expected failures.
func ReadAvailability(grouping, rng string) string {
	sum := func(name string) string {
		return fmt.Sprintf("sum by (%s) (rate(%s[%s]))", grouping, selector(name), rng)
	}
	return fmt.Sprintf("1 - (\n  %s\n  or 0 * %s\n)\n/ %s",
		sum("backend_read_requests_failed_total"), sum("backend_read_requests_total"), sum("backend_read_requests_total"))
}

func availabilityPanels() []Panel {
	zero, one := 0.0, 1.0
	panel := func(title, desc, expr string) Panel {
		return Panel{
			Type: "timeseries", Title: title, Description: desc, Datasource: prometheusDS,
			Targets:     []Target{{RefID: "A", LegendFormat: "{{instance}} {{component}}", Expr: expr}},
			FieldConfig: &FieldConfig{Defaults: FieldDefaults{Unit: "percentunit", Min: &zero, Max: &one}, Overrides: []any{}},
		}
	}
	return []Panel{
		panel("Backend write availability",
			"Share of backend writes that did not fail for an unexpected reason: 1 - (failed - failed precondition) / writes, per component. Precondition failures (already exists, not found, revision changed) happen in a healthy cluster. No writes, no value.",
			WriteAvailability("instance, component", RateInterval)),
		panel("Backend read availability",
			"Share of backend reads that did not fail: 1 - failed / reads, per component. No reads, no value.",
			ReadAvailability("instance, component", RateInterval)),
	}
}

// Marshal encodes d as indented JSON with a final newline, without HTML escaping, so that
// PromQL's < and > stay readable.
func Marshal(d *Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
