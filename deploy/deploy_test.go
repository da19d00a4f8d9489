package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/deploy/internal/promqlcheck"
	"github.com/telediag/telediag/deploy/internal/teleportdash"
	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/dashboard"
)

const (
	catalogPath   = "../instruments.yaml"
	rulesPath     = "prometheus/telediag.rules.yaml"
	ruleTestsPath = "prometheus/telediag.rules.test.yaml"
	dashboardPath = "grafana/telediag.json"
)

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	return loadCatalogAt(t, catalogPath)
}

func loadCatalogAt(t *testing.T, path string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// rule is one rule of the rules file, with the line of its expression.
type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        yaml.Node         `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func (r rule) name() string {
	if r.Record != "" {
		return "record " + r.Record
	}
	return "alert " + r.Alert
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	b, err := os.ReadFile(rulesPath)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []rule `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesPath, err)
	}
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) < 10 {
		t.Fatalf("%s: only %d rules", rulesPath, len(out))
	}
	return out
}

// recorded are the names the recording rules define.
func recorded(rules []rule) []string {
	var out []string
	for _, r := range rules {
		if r.Record != "" {
			out = append(out, r.Record)
		}
	}
	return out
}

func loadDashboard(t *testing.T) *dashboard.Dashboard {
	t.Helper()
	return loadDashboardAt(t, dashboardPath)
}

func loadDashboardAt(t *testing.T, path string) *dashboard.Dashboard {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard.Dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &d
}

// placed is a graph panel with the row it sits in.
type placed struct {
	row   string
	panel dashboard.Panel
}

// graphs lists the dashboard's graph panels, open rows' and collapsed rows' alike.
func graphs(d *dashboard.Dashboard) []placed {
	var out []placed
	row := ""
	for _, p := range d.Panels {
		if p.Type == "row" {
			row = p.Title
			for _, q := range p.Panels {
				out = append(out, placed{row, q})
			}
			continue
		}
		out = append(out, placed{row, p})
	}
	return out
}

// promql replaces the dashboard's Grafana variables as Grafana does with "All" selected.
func promql(expr string) string {
	return strings.NewReplacer(dashboard.RateInterval, "5m", dashboard.JobVar, ".+", dashboard.InstanceVar, ".+").Replace(expr)
}

// TestRulesReadDeclaredMetricsByType: every metric a rule selects is declared in
// instruments.yaml (or recorded by a rule) and read as its type allows.
func TestRulesReadDeclaredMetricsByType(t *testing.T) {
	rules := loadRules(t)
	c := promqlcheck.New(loadCatalog(t), recorded(rules)...)
	for _, r := range rules {
		uses, problems := c.Check(r.Expr.Value)
		for _, p := range problems {
			t.Errorf("%s:%d: %s: %s", rulesPath, r.Expr.Line, r.name(), p)
		}
		if len(uses) == 0 && len(problems) == 0 {
			t.Errorf("%s:%d: %s selects no metric", rulesPath, r.Expr.Line, r.name())
		}
	}
}

// TestDashboardReadsDeclaredMetricsByType: the same for every query of the dashboard, and for
// the selectors of its label_values() variables.
func TestDashboardReadsDeclaredMetricsByType(t *testing.T) {
	if n := checkDashboardQueries(t, loadCatalog(t), loadDashboard(t), dashboardPath); n < 100 {
		t.Fatalf("only %d queries in %s", n, dashboardPath)
	}
}

// TestDashboardCoversTheCatalogue: one row per catalogue section, and in each a panel for every
// family of the section, reading it as its type must be read.
func TestDashboardCoversTheCatalogue(t *testing.T) {
	checkDashboardCoverage(t, loadCatalog(t), loadDashboard(t), teleportdash.AvailabilityRow)
}

// The orders example's dashboard, which `instrumentgen dashboard` writes from its own catalogue.
const (
	ordersCatalogPath   = "../examples/orders/ordermetrics/instruments.yaml"
	ordersDashboardPath = "../examples/orders/dashboard.json"
)

// TestOrdersDashboard: every query of examples/orders' generated dashboard is valid PromQL that
// reads a family of its catalogue as its type allows, and every family has its panel.
func TestOrdersDashboard(t *testing.T) {
	cat, d := loadCatalogAt(t, ordersCatalogPath), loadDashboardAt(t, ordersDashboardPath)
	if n := checkDashboardQueries(t, cat, d, ordersDashboardPath); n < len(cat.Metrics) {
		t.Errorf("%d queries for %d families", n, len(cat.Metrics))
	}
	checkDashboardCoverage(t, cat, d)
}

// TestGeneratedDashboardsOfOtherCatalogues: the generator's queries are valid for any
// catalogue, not only the two whose dashboards are committed: Teleport's without its extension,
// and the loader's and generator's test catalogues.
func TestGeneratedDashboardsOfOtherCatalogues(t *testing.T) {
	files := []string{catalogPath, "../internal/catalog/testdata/good.yaml"}
	more, err := filepath.Glob("../internal/codegen/testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	built := 0
	for _, f := range append(files, more...) {
		cat, err := catalog.Load(f)
		if err != nil {
			continue // some generator fixtures are invalid on purpose
		}
		built++
		d, err := dashboard.Build(cat, dashboard.Options{Title: f})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		checkDashboardQueries(t, cat, d, f)
		checkDashboardCoverage(t, cat, d)
	}
	if built < 4 {
		t.Errorf("only %d catalogues built", built)
	}
}

// checkDashboardQueries checks every panel query of d, and the selector of every label_values()
// variable, against cat with Prometheus's parser, and returns how many panel queries there are.
func checkDashboardQueries(t *testing.T, cat *catalog.Catalog, d *dashboard.Dashboard, where string) int {
	t.Helper()
	c := promqlcheck.New(cat)
	n := 0
	for _, g := range graphs(d) {
		for _, tg := range g.panel.Targets {
			n++
			uses, problems := c.Check(promql(tg.Expr))
			for _, p := range problems {
				t.Errorf("%s: row %q, panel %q, query %s: %s", where, g.row, g.panel.Title, tg.RefID, p)
			}
			if len(uses) == 0 && len(problems) == 0 {
				t.Errorf("%s: panel %q, query %s selects no metric", where, g.panel.Title, tg.RefID)
			}
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		sel, ok := strings.CutPrefix(v.Query, "label_values(")
		i := strings.LastIndex(sel, ",")
		if !ok || i < 0 {
			t.Errorf("%s: variable %s: query %q is not label_values(selector, label)", where, v.Name, v.Query)
			continue
		}
		for _, p := range variableProblems(c, cat, promql(sel[:i])) {
			t.Errorf("%s: variable %s: %s", where, v.Name, p)
		}
	}
	return n
}

// variableProblems checks a variable's selector: a family's name, or a __name__ regular
// expression whose every alternative is a series of a family of cat.
func variableProblems(c *promqlcheck.Checker, cat *catalog.Catalog, sel string) []string {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(sel)
	if err != nil {
		return []string{fmt.Sprintf("%s does not parse: %v", sel, err)}
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok {
		return []string{fmt.Sprintf("%s is not a series selector", sel)}
	}
	for _, m := range vs.LabelMatchers {
		if m.Name != labels.MetricName || m.Type != labels.MatchRegexp {
			continue
		}
		var problems []string
		for _, alt := range strings.Split(m.Value, "|") {
			base := strings.TrimSuffix(alt, "_count")
			if f := cat.Metric(alt); f == nil {
				if f = cat.Metric(base); f == nil || (f.PrometheusType() != "histogram" && f.PrometheusType() != "summary") {
					problems = append(problems, fmt.Sprintf("%s selects %s, which is no series of the catalogue", sel, alt))
				}
			}
		}
		return problems
	}
	_, problems := c.Check(sel)
	return problems
}

// checkDashboardCoverage checks that d has one row per section of cat, in file order, after
// the rows named in extraRows, and in each a panel for every family of the section that reads it
// as its type must be read: a histogram both through quantiles and as a rate of observations.
func checkDashboardCoverage(t *testing.T, cat *catalog.Catalog, d *dashboard.Dashboard, extraRows ...string) {
	t.Helper()
	c := promqlcheck.New(cat)
	var rows, sections []string
	for _, p := range d.Panels {
		if p.Type == "row" && !slices.Contains(extraRows, p.Title) {
			rows = append(rows, p.Title)
		}
	}
	section := func(m *catalog.Metric) string {
		if m.Section == "" {
			return dashboard.DefaultRow
		}
		return m.Section
	}
	// read[section][family] says how the section's row reads the family.
	read := map[string]map[string][]promqlcheck.Use{}
	for _, g := range graphs(d) {
		for _, tg := range g.panel.Targets {
			uses, _ := c.Check(promql(tg.Expr))
			for _, u := range uses {
				if u.Family == nil {
					continue
				}
				if !slices.Contains(extraRows, g.row) && section(u.Family) != g.row {
					t.Errorf("panel %q in row %q reads %s, of section %q", g.panel.Title, g.row, u.Family.Name, u.Family.Section)
				}
				if read[g.row] == nil {
					read[g.row] = map[string][]promqlcheck.Use{}
				}
				read[g.row][u.Family.Name] = append(read[g.row][u.Family.Name], u)
			}
		}
	}
	for _, m := range cat.Metrics {
		if !slices.Contains(sections, section(m)) {
			sections = append(sections, section(m))
		}
		uses := read[section(m)][m.Name]
		reads := func(series string, rate, quantile bool) bool {
			return slices.ContainsFunc(uses, func(u promqlcheck.Use) bool {
				return u.Series == series && u.Rate == rate && u.Quantile == quantile
			})
		}
		var ok bool
		switch m.PrometheusType() {
		case "counter":
			ok = reads(m.Name, true, false)
		case "histogram":
			// A histogram with classic buckets is read through them; a native-only one through
			// its native series, both for quantiles and for the rate of observations.
			ok = reads(m.Name+"_bucket", true, true) && reads(m.Name+"_count", true, false)
			if m.Native != nil && len(m.Buckets) == 0 {
				ok = reads(m.Name, true, true) && reads(m.Name, true, false)
			}
		default:
			ok = reads(m.Name, false, false)
		}
		if !ok {
			t.Errorf("%s:%d: %s %s has no panel in row %q that reads it as a %s (reads: %v)",
				cat.File, m.Line, m.PrometheusType(), m.Name, section(m), m.PrometheusType(), uses)
		}
	}
	if !slices.Equal(rows, sections) {
		t.Errorf("rows %q, want one per catalogue section in file order: %q", rows, sections)
	}
}

// TestDashboardIsGenerated: the committed dashboard is what the generator makes of today's
// catalogue (CI's go generate + git diff says the same; this says it locally, with the fix).
func TestDashboardIsGenerated(t *testing.T) {
	d, err := teleportdash.Build(loadCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	want, err := dashboard.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the catalogue gives: run `go generate ./...` in deploy/", dashboardPath)
	}
}

// TestAvailabilityPanelIsTheRecordingRule: the dashboard's write availability and the recording
// rule the alert uses are one formula, apart from the dashboard's variables and grouping.
func TestAvailabilityPanelIsTheRecordingRule(t *testing.T) {
	var rec string
	for _, r := range loadRules(t) {
		if r.Record == "job_instance_component:backend_write_availability:ratio_rate5m" {
			rec = r.Expr.Value
		}
	}
	if rec == "" {
		t.Fatal("no backend write availability recording rule")
	}
	norm := func(expr string) string {
		t.Helper()
		e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok {
				vs.LabelMatchers = slices.DeleteFunc(vs.LabelMatchers, func(m *labels.Matcher) bool { return m.Name != labels.MetricName })
			}
			return nil
		})
		return e.String()
	}
	panel := teleportdash.WriteAvailability("job, instance, component", "5m")
	if a, b := norm(rec), norm(promql(panel)); a != b {
		t.Errorf("the recording rule and the dashboard's formula differ:\nrule:  %s\npanel: %s", a, b)
	}
}

// TestAlertsAreDocumentedAndUnitTested: every alert has a severity, a summary and a
// description, and telediag.rules.test.yaml has a case where it fires and one where it does not;
// every recording rule has an expression test.
func TestAlertsAreDocumentedAndUnitTested(t *testing.T) {
	b, err := os.ReadFile(ruleTestsPath)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Tests []struct {
			Name       string `yaml:"name"`
			AlertTests []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
			ExprTests []struct {
				Expr string `yaml:"expr"`
			} `yaml:"promql_expr_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", ruleTestsPath, err)
	}
	fires, quiet, exprs := map[string]bool{}, map[string]bool{}, ""
	for _, tc := range f.Tests {
		for _, a := range tc.AlertTests {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
		for _, e := range tc.ExprTests {
			exprs += e.Expr + "\n"
		}
	}
	for _, r := range loadRules(t) {
		at := fmt.Sprintf("%s:%d: %s", rulesPath, r.Expr.Line, r.name())
		if r.Record != "" {
			if !strings.Contains(exprs, r.Record) {
				t.Errorf("%s: no promql_expr_test in %s reads it", at, ruleTestsPath)
			}
			continue
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("%s: severity %q, want critical or warning", at, s)
		}
		for _, a := range []string{"summary", "description"} {
			if r.Annotations[a] == "" {
				t.Errorf("%s: no %s annotation", at, a)
			}
		}
		if !fires[r.Alert] {
			t.Errorf("%s: no test in %s where it fires", at, ruleTestsPath)
		}
		if !quiet[r.Alert] {
			t.Errorf("%s: no test in %s where it stays quiet", at, ruleTestsPath)
		}
	}
}
