package promimport

import (
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

func patterns(t *testing.T, exprs ...string) []catalog.Pattern {
	t.Helper()
	var out []catalog.Pattern
	for _, e := range exprs {
		p, err := catalog.CompilePattern(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// runTimeService is what an exporter serves: its own families, families it made at run time
// for what it scrapes (upstream_*), and the runtime families.
const runTimeService = `# HELP relay_requests_total Requests relayed.
# TYPE relay_requests_total counter
relay_requests_total 3
# HELP relay_up Whether the upstream answered.
# TYPE relay_up gauge
relay_up 1
# HELP upstream_orders_placed_total Made at run time.
# TYPE upstream_orders_placed_total counter
upstream_orders_placed_total 3
# HELP upstream_cart_items Made at run time.
# TYPE upstream_cart_items gauge
upstream_cart_items 2
# HELP upstream_payload_bytes Made at run time.
# TYPE upstream_payload_bytes summary
upstream_payload_bytes_sum 1
upstream_payload_bytes_count 1
# HELP go_goroutines Goroutines.
# TYPE go_goroutines gauge
go_goroutines 8
# HELP process_cpu_seconds_total CPU.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1
`

// TestFilter: -exclude wins over -include, patterns match whole names, and every family left
// out is in Skipped with the flag and pattern that left it out; runtime families left out for
// want of IncludeRuntime are counted as before, not listed.
func TestFilter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		filter   Filter
		runtime  bool
		imported []string
		skipped  []string // "family: reason"
		counted  int      // Result.Runtime
	}{
		{"none", Filter{}, false,
			[]string{"relay_requests_total", "relay_up", "upstream_cart_items", "upstream_orders_placed_total", "upstream_payload_bytes"},
			nil, 2},
		{"exclude", Filter{Exclude: patterns(t, "upstream_.*")}, false,
			[]string{"relay_requests_total", "relay_up"},
			[]string{
				`upstream_cart_items: matches -exclude "upstream_.*"`,
				`upstream_orders_placed_total: matches -exclude "upstream_.*"`,
				`upstream_payload_bytes: matches -exclude "upstream_.*"`,
			}, 2},
		{"include, anchored", Filter{Include: patterns(t, "relay_.*", "up")}, false,
			[]string{"relay_requests_total", "relay_up"},
			[]string{
				`upstream_cart_items: matches no -include ("relay_.*", "up")`,
				`upstream_orders_placed_total: matches no -include ("relay_.*", "up")`,
				`upstream_payload_bytes: matches no -include ("relay_.*", "up")`,
			}, 2},
		{"exclude wins", Filter{Include: patterns(t, "relay_.*"), Exclude: patterns(t, "nothing", "relay_up")}, false,
			[]string{"relay_requests_total"},
			[]string{
				`relay_up: matches -exclude "relay_up"`,
				`upstream_cart_items: matches no -include ("relay_.*")`,
				`upstream_orders_placed_total: matches no -include ("relay_.*")`,
				`upstream_payload_bytes: matches no -include ("relay_.*")`,
			}, 2},
		{"with runtime families", Filter{Exclude: patterns(t, "upstream_.*", "go_.*")}, true,
			[]string{"process_cpu_seconds_total", "relay_requests_total", "relay_up"},
			[]string{
				`go_goroutines: matches -exclude "go_.*"`,
				`upstream_cart_items: matches -exclude "upstream_.*"`,
				`upstream_orders_placed_total: matches -exclude "upstream_.*"`,
				`upstream_payload_bytes: matches -exclude "upstream_.*"`,
			}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, cat := importOK(t, decode(t, runTimeService), Options{Filter: tc.filter, IncludeRuntime: tc.runtime})
			if got := names(cat); !slices.Equal(got, tc.imported) {
				t.Errorf("imported %v, want %v", got, tc.imported)
			}
			var skipped []string
			for _, s := range res.Skipped {
				skipped = append(skipped, s.String())
			}
			if !slices.Equal(skipped, tc.skipped) {
				t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(skipped, "\n"), strings.Join(tc.skipped, "\n"))
			}
			if len(res.Runtime) != tc.counted {
				t.Errorf("%d runtime families counted, want %d", len(res.Runtime), tc.counted)
			}
		})
	}
}

// TestFilterLeavesNothing: a filter that leaves out every family is an error that points at
// what was left out.
func TestFilterLeavesNothing(t *testing.T) {
	res, err := Import(decode(t, runTimeService), Options{Filter: Filter{Include: patterns(t, "shop_.*")}})
	if err == nil || !strings.Contains(err.Error(), "nothing to import: 5 families left out (see above) and 2 runtime families") {
		t.Fatalf("err = %v", err)
	}
	if len(res.Skipped) != 5 {
		t.Errorf("skipped %v", res.Skipped)
	}
}
