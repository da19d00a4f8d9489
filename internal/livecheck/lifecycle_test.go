package livecheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/scrape"
)

func globs(t *testing.T, exprs ...string) []catalog.Glob {
	t.Helper()
	var out []catalog.Glob
	for _, e := range exprs {
		g, err := catalog.CompileGlob(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, g)
	}
	return out
}

// TestLifecycle: both names of a renamed family are checked as the family, the old one with
// its HELP marked, and neither is undeclared; a family served against the operator's switches
// is a finding, and the switches that serve it make it none; a budget is counted.
func TestLifecycle(t *testing.T) {
	cat, fams := setupWith(t, "testdata/lifecycle.yaml", "testdata/lifecycle.prom")
	for _, tc := range []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{}, []string{
			"cache_misses_total hidden error",
			"debug_queue_depth disabled error",
			"process_uptime_seconds help warning",
			"process_uptime_seconds labels error",
			"requests_total budget warning",
		}},
		{"switches as the service runs", Options{Switches: catalog.Switches{Enable: globs(t, "debug_*"), ShowHidden: true}}, []string{
			"process_uptime_seconds help warning",
			"process_uptime_seconds labels error",
			"requests_total budget warning",
		}},
		{"a disable glob wins", Options{Switches: catalog.Switches{Enable: globs(t, "debug_*"), Disable: globs(t, "uptime_*", "debug_queue_*"), ShowHidden: true}}, []string{
			"debug_queue_depth disabled error",
			"process_uptime_seconds disabled error",
			"requests_total budget warning",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := RunWith(cat, fams, tc.opts)
			if got := summary(res.Findings); !slices.Equal(got, tc.want) {
				t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, f := range res.Findings {
				if m := cat.MetricServing(f.Family); m == nil || f.Line != m.Line {
					t.Errorf("%s: line %d, not its declaration's", f.Family, f.Line)
				}
			}
		})
	}
	messages := map[string]string{}
	for _, f := range RunWith(cat, fams, Options{}).Findings {
		messages[f.Family+" "+string(f.Check)] = f.Message
	}
	for key, want := range map[string]string{
		"process_uptime_seconds help":   `declared "(Deprecated: renamed to uptime_seconds) Time since start.", served "Time since start."`,
		"cache_misses_total hidden":     "served, but hidden (deprecated and on its way out) and hidden metrics are not shown: pass -show-hidden",
		"debug_queue_depth disabled":    "served, but disabled by default (enabled: false) and no -enable glob names it",
		"requests_total budget":         "4 of its 5 series (80 %): near its budget",
		"process_uptime_seconds labels": "label names differ: declared [], served [zone]",
	} {
		if !strings.Contains(messages[key], want) {
			t.Errorf("%s: %q, want …%s…", key, messages[key], want)
		}
	}
	// One budget, counted under the family's own name.
	if b := RunWith(cat, fams, Options{}).Budgets; len(b) != 1 || b[0] != (Budget{Family: "requests_total", Served: "requests_total", Line: 4, Series: 4, MaxSeries: 5}) || b[0].Percent() != 80 {
		t.Errorf("budgets: %+v", b)
	}
}

// cacheHits is what every exposition of lifecycle.yaml serves besides the family under test: a
// label-less counter is always served.
const cacheHits = "# HELP cache_hits_total (Deprecated since 4.2) Cache hits.\n# TYPE cache_hits_total counter\ncache_hits_total 0\n"

// TestRenamedServedUnderOneName: a renamed family served only under its old name (the release
// before the rename) or only under its new one (a pipeline that does not serve old names yet)
// conforms, and is not missing.
func TestRenamedServedUnderOneName(t *testing.T) {
	cat, err := catalog.Load("testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, exposition := range []string{
		"# HELP uptime_seconds Time since start.\n# TYPE uptime_seconds gauge\nuptime_seconds 1\n",
		"# HELP process_uptime_seconds (Deprecated: renamed to uptime_seconds) Time since start.\n# TYPE process_uptime_seconds gauge\nprocess_uptime_seconds 1\n",
	} {
		exp, err := scrape.Open("-", strings.NewReader(cacheHits+exposition))
		if err != nil {
			t.Fatal(err)
		}
		if fs := RunWith(cat, exp.Families, Options{}).Findings; len(fs) != 0 {
			t.Errorf("findings for\n%s%s", exposition, strings.Join(summary(fs), "\n"))
		}
	}
	// Neither: an observable without labels is always served, under one name at least.
	if fs := summary(RunWith(cat, nil, Options{}).Findings); !slices.Equal(fs, []string{"cache_hits_total missing error", "uptime_seconds missing error"}) {
		t.Errorf("nothing served: %v", fs)
	}
}

// TestBudget: a family is warned about from 80 % of its budget, and is an error past it: more
// series than the budget, or label sets folded into the overflow series.
func TestBudget(t *testing.T) {
	cat, err := catalog.Load("testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	series := func(methods ...string) string {
		s := cacheHits + "# HELP requests_total Requests answered.\n# TYPE requests_total counter\n"
		for _, m := range methods {
			s += "requests_total{" + m + "} 1\n"
		}
		return s + "# HELP uptime_seconds Time since start.\n# TYPE uptime_seconds gauge\nuptime_seconds 1\n"
	}
	for _, tc := range []struct {
		exposition string
		want       []string
		message    string
	}{
		{series(`method="GET"`, `method="PUT"`, `method="POST"`), nil, ""},
		{series(`method="GET"`, `method="PUT"`, `method="POST"`, `method="HEAD"`, `method="DELETE"`), []string{"requests_total budget warning"}, "5 of its 5 series (100 %)"},
		{series(`method="GET"`, `method="PUT"`, `method="POST"`, `method="HEAD"`, `method="DELETE"`, `method="PATCH"`), []string{"requests_total budget error"}, "past its budget: 6 series served, max_series is 5"},
		{series(`method="GET"`, `otel_metric_overflow="true"`), []string{"requests_total budget error"}, `past its budget of 5 series: label sets were folded into the otel_metric_overflow="true" series (1 served besides it)`},
	} {
		exp, err := scrape.Open("-", strings.NewReader(tc.exposition))
		if err != nil {
			t.Fatal(err)
		}
		fs := RunWith(cat, exp.Families, Options{}).Findings
		if got := summary(fs); !slices.Equal(got, tc.want) || (len(fs) > 0 && !strings.Contains(fs[0].Message, tc.message)) {
			t.Errorf("findings %v (%v), want %v: …%s…\n%s", got, fs, tc.want, tc.message, tc.exposition)
		}
	}
}
