// Package dashboard builds a Grafana dashboard for any metric catalogue (instruments.yaml): one
// row per catalogue section, in file order, with a panel for every family, each read as its
// type must be: rate() on counters; histogram_quantile() over a histogram's buckets (p50 and
// p99), classic or native, with the rate of its observations on a second axis; gauges as they are; a summary's
// quantiles, or the mean of one of count and sum only. Every panel breaks its series down by the family's labels and the instance.
//
// The dashboard imports into any Grafana: its data source is a variable (no fixed data source
// uid), and job and instance variables, filled from the series of the catalogue's own families,
// select the processes. `instrumentgen dashboard` writes it for a service's catalogue;
// deploy/'s Teleport dashboard is this output plus Teleport's own rows and panels, added
// through Options.
//
// The output is deterministic: the same catalogue and options give the same bytes, so that
// `go generate` in CI catches a dashboard that was not regenerated.
package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
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

// DefaultRow is the row of the families that declare no section.
const DefaultRow = "Metrics"

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

// Prometheus is the data source of every panel and variable: the one the datasource variable
// selects, so that no uid of a particular Grafana is baked in.
func Prometheus() *Datasource { return &Datasource{Type: "prometheus", UID: "${datasource}"} }

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

// FieldConfig sets a panel's unit, bounds and value mappings, and the settings of some of its
// series (Overrides).
type FieldConfig struct {
	Defaults FieldDefaults `json:"defaults"`
	// Overrides is never null: Grafana expects the key.
	Overrides []Override `json:"overrides"`
}

// FieldDefaults are the field settings of a panel.
type FieldDefaults struct {
	Unit     string    `json:"unit,omitempty"`
	Min      *float64  `json:"min,omitempty"`
	Max      *float64  `json:"max,omitempty"`
	Mappings []Mapping `json:"mappings,omitempty"`
}

// Override changes the settings of the series a matcher selects.
type Override struct {
	Matcher    Matcher    `json:"matcher"`
	Properties []Property `json:"properties"`
}

// Matcher selects series, here by the query (refId) that returned them.
type Matcher struct {
	ID      string `json:"id"`
	Options string `json:"options"`
}

// Property is one setting an override changes.
type Property struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Mapping maps values to text and colour.
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

// Row is a row of panels placed before the catalogue's sections (Options.Before).
type Row struct {
	Title     string
	Collapsed bool
	Panels    []Panel
}

// Options name the dashboard and let a catalogue's owner add what only it needs.
type Options struct {
	// Title is the dashboard's title; required.
	Title string
	// UID is the dashboard's stable identifier, so that a re-import replaces it; default: the
	// title, lower-cased, with every run of other characters than a-z and 0-9 made one '-',
	// at most 40 characters as Grafana allows.
	UID string
	// Description is shown in Grafana's dashboard settings.
	Description string
	// Tags are Grafana's dashboard tags.
	Tags []string
	// VariableSelector is the series selector whose job and instance labels fill the job and
	// instance variables. Default: every series of the catalogue's families, so that a process
	// appears as soon as it exposes any of them.
	VariableSelector string
	// Before are rows placed before the catalogue's sections.
	Before []Row
	// Panel, when set, may change the panel of each family after it is built (Teleport's
	// readiness gauges become state timelines).
	Panel func(m *catalog.Metric, p *Panel)
}

const (
	panelW, panelH = 8, 7
	perLine        = 24 / panelW
	maxUIDLen      = 40 // Grafana refuses longer dashboard uids
)

// Build returns the dashboard of cat.
func Build(cat *catalog.Catalog, opts Options) (*Dashboard, error) {
	if strings.TrimSpace(opts.Title) == "" {
		return nil, fmt.Errorf("dashboard: a title is required")
	}
	if opts.UID == "" {
		opts.UID = uidFor(opts.Title)
	}
	if err := CheckUID(opts.UID); err != nil {
		return nil, fmt.Errorf("dashboard: %w", err)
	}
	if opts.VariableSelector == "" {
		opts.VariableSelector = anySeries(cat)
	}
	tags := opts.Tags
	if tags == nil {
		tags = []string{}
	}
	d := &Dashboard{
		UID:           opts.UID,
		Title:         opts.Title,
		Description:   opts.Description,
		Tags:          tags,
		Editable:      true,
		GraphTooltip:  1,
		Refresh:       "30s",
		SchemaVersion: 39,
		Time:          TimeRange{From: "now-1h", To: "now"},
		Templating: Templating{List: []Variable{
			{Name: "datasource", Label: "Data source", Type: "datasource", Query: "prometheus"},
			{Name: "job", Label: "Job", Type: "query", Datasource: Prometheus(), Refresh: 2,
				Query: fmt.Sprintf("label_values(%s, job)", opts.VariableSelector), IncludeAll: true, Multi: true, AllValue: ".+"},
			{Name: "instance", Label: "Instance", Type: "query", Datasource: Prometheus(), Refresh: 2,
				Query: fmt.Sprintf("label_values(%s, instance)", withMatcher(opts.VariableSelector, `job=~"`+JobVar+`"`)), IncludeAll: true, Multi: true, AllValue: ".+"},
		}},
	}
	l := layout{}
	for _, r := range opts.Before {
		l.row(d, r.Title, r.Collapsed, r.Panels)
	}

	var sections []string
	bySection := map[string][]*catalog.Metric{}
	for _, m := range cat.Metrics {
		s := m.Section
		if s == "" {
			s = DefaultRow
		}
		if _, ok := bySection[s]; !ok {
			sections = append(sections, s)
		}
		bySection[s] = append(bySection[s], m)
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
			annotateLifecycle(m, &p)
			if opts.Panel != nil {
				opts.Panel(m, &p)
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

var (
	// uidUnsafe is what a uid made from a title leaves out.
	uidUnsafe = regexp.MustCompile(`[^a-z0-9]+`)
	// uidRE is what Grafana accepts as a dashboard uid.
	uidRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
)

// CheckUID reports whether Grafana accepts uid as a dashboard's uid: 1 to 40 letters, digits,
// '-' and '_'.
func CheckUID(uid string) error {
	if !uidRE.MatchString(uid) {
		return fmt.Errorf("uid %q: Grafana wants 1 to %d letters, digits, - and _", uid, maxUIDLen)
	}
	return nil
}

// uidFor makes a Grafana dashboard uid of a title: lower case, runs of other characters than
// a-z and 0-9 replaced by one '-', at most 40 characters.
func uidFor(title string) string {
	uid := strings.Trim(uidUnsafe.ReplaceAllString(strings.ToLower(title), "-"), "-")
	if len(uid) > maxUIDLen {
		uid = strings.TrimRight(uid[:maxUIDLen], "-")
	}
	if uid == "" {
		uid = "metrics"
	}
	return uid
}

// anySeries selects every series of cat's families: one name per family (a histogram's or
// summary's _count, and a native histogram's own name too), as a __name__ regular expression.
func anySeries(cat *catalog.Catalog) string {
	names := make([]string, 0, len(cat.Metrics))
	for _, m := range cat.Metrics {
		switch m.PrometheusType() {
		case "histogram", "summary":
			names = append(names, m.Name+"_count")
			if m.Native != nil {
				// Where native histograms are scraped, NAME is its only series.
				names = append(names, m.Name)
			}
		default:
			names = append(names, m.Name)
		}
	}
	return fmt.Sprintf(`{__name__=~"%s"}`, strings.Join(names, "|"))
}

// withMatcher adds a label matcher to a selector: NAME becomes NAME{m}, {a} becomes {a,m}.
func withMatcher(selector, m string) string {
	if s, ok := strings.CutSuffix(selector, "}"); ok {
		return s + "," + m + "}"
	}
	return selector + "{" + m + "}"
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

// Selector is name restricted to the dashboard's job and instance variables.
func Selector(name string) string {
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

// familyPanel is the panel of one family, read as its type must be.
func familyPanel(m *catalog.Metric) (Panel, error) {
	p := Panel{
		Type:        "timeseries",
		Title:       m.Name,
		Description: fmt.Sprintf("%s (%s, %s; %s)", m.Description, typeText(m), m.Unit, m.Stability.Level()),
		Datasource:  Prometheus(),
	}
	switch m.PrometheusType() {
	case "counter":
		p.Title += " (per second)"
		p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, ""), Datasource: Prometheus(),
			Expr: fmt.Sprintf("sum by (%s) (rate(%s[%s]))", by(m), Selector(m.Name), RateInterval)}}
		p.FieldConfig = unit(rateUnit(m.Unit))
	case "histogram":
		for i, q := range []struct{ q, name string }{{"0.5", "p50"}, {"0.99", "p99"}} {
			p.Targets = append(p.Targets, Target{
				RefID:        string(rune('A' + i)),
				LegendFormat: legend(m, q.name),
				Datasource:   Prometheus(),
				Expr:         quantileExpr(m, q.q),
			})
		}
		// How often the quantiles are drawn from: observations per second, on the right axis.
		p.Targets = append(p.Targets, Target{RefID: "C", LegendFormat: legend(m, "per second"), Datasource: Prometheus(),
			Expr: countExpr(m)})
		p.Title += " (p50, p99, per second)"
		p.FieldConfig = unit(gaugeUnit(m))
		p.FieldConfig.Overrides = []Override{{
			Matcher:    Matcher{ID: "byFrameRefID", Options: "C"},
			Properties: []Property{{ID: "unit", Value: "ops"}, {ID: "custom.axisPlacement", Value: "right"}},
		}}
	case "summary":
		p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, "q{{quantile}}"), Datasource: Prometheus(), Expr: Selector(m.Name)}}
		if m.Generated() && len(m.Objectives) == 0 {
			// A summary of count and sum only has no quantile series: its mean is what it tells.
			p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, "mean"), Datasource: Prometheus(),
				Expr: fmt.Sprintf("sum by (%s) (rate(%s[%s])) / sum by (%s) (rate(%s[%s]))",
					by(m), Selector(m.Name+"_sum"), RateInterval, by(m), Selector(m.Name+"_count"), RateInterval)}}
			p.Title += " (mean)"
		}
		p.FieldConfig = unit(gaugeUnit(m))
	case "gauge":
		p.Targets = []Target{{RefID: "A", LegendFormat: legend(m, ""), Datasource: Prometheus(), Expr: Selector(m.Name)}}
		p.FieldConfig = unit(gaugeUnit(m))
	default:
		return Panel{}, fmt.Errorf("kind %s has no panel", m.Kind)
	}
	return p, nil
}

// A histogram's panel reads its classic series, its native series, or either, by what it
// declares. A Prometheus that scrapes native histograms stores a histogram with native buckets
// as one native series, NAME, and its classic series NAME_bucket, NAME_sum and NAME_count only
// with always_scrape_classic_histograms; one that does not scrape them stores only the classic
// series (catalogdiff's native.go cites Prometheus on both). So:
//
//   - a classic histogram is read through NAME_bucket and NAME_count, as always;
//   - a native-only histogram through NAME: histogram_quantile() over the rate of the native
//     series, grouped by the same labels less le, and histogram_count() of that rate for the
//     observations per second. Its classic side (a lone +Inf bucket) has no quantiles to give;
//   - a histogram with both through the classic query or, where it finds nothing, the native
//     one: CLASSIC or NATIVE. Both sides have the same labels, so where a Prometheus stores both,
//     the classic result is drawn and the panel reads as it did before native buckets were
//     declared; where it stores one, that one is. Either query alone would leave the panel empty
//     on one of the two kinds of server.

// typeText is m's type for a panel's description: a histogram says which buckets it has when
// it has native ones, since that decides which Prometheus the panel finds data on.
func typeText(m *catalog.Metric) string {
	switch {
	case classicOnly(m):
		return m.PrometheusType()
	case nativeOnly(m):
		return "native histogram"
	default:
		return "histogram, classic and native"
	}
}

// classicOnly reports whether m is read through its classic series only.
func classicOnly(m *catalog.Metric) bool { return m.Native == nil }

// nativeOnly reports whether m is a histogram with native buckets and no classic ones.
func nativeOnly(m *catalog.Metric) bool { return m.Native != nil && len(m.Buckets) == 0 }

// quantileExpr is the query of histogram m's quantile q.
func quantileExpr(m *catalog.Metric, q string) string {
	classic := fmt.Sprintf("histogram_quantile(%s, sum by (%s) (rate(%s[%s])))", q, by(m, "le"), Selector(m.Name+"_bucket"), RateInterval)
	native := fmt.Sprintf("histogram_quantile(%s, sum by (%s) (rate(%s[%s])))", q, by(m), Selector(m.Name), RateInterval)
	return either(m, classic, native)
}

// countExpr is the query of histogram m's observations per second.
func countExpr(m *catalog.Metric) string {
	classic := fmt.Sprintf("sum by (%s) (rate(%s[%s]))", by(m), Selector(m.Name+"_count"), RateInterval)
	native := fmt.Sprintf("histogram_count(sum by (%s) (rate(%s[%s])))", by(m), Selector(m.Name), RateInterval)
	return either(m, classic, native)
}

// either picks the classic query, the native one, or the first or else the second, by what
// histogram m declares.
func either(m *catalog.Metric, classic, native string) string {
	switch {
	case classicOnly(m):
		return classic
	case nativeOnly(m):
		return native
	default:
		return classic + " or " + native
	}
}

func unit(u string) *FieldConfig {
	return &FieldConfig{Defaults: FieldDefaults{Unit: u}, Overrides: []Override{}}
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

// Marshal encodes d as indented JSON with a final newline, without HTML escaping, so that
// PromQL's < and > stay readable.
func Marshal(d *Dashboard) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("dashboard: encode: %w", err)
	}
	return b.Bytes(), nil
}
