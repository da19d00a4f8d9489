package dashboard

import (
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// TestLifecyclePanels: a renamed family's panel queries its new name only and names the old
// ones; a deprecated, hidden or disabled family's panel says so in its title and description;
// every panel gives its family's stability.
func TestLifecyclePanels(t *testing.T) {
	cat, err := catalog.Load("../codegen/testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(cat, Options{Title: "lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	panels := map[string]Panel{}
	for _, p := range d.Panels {
		for _, q := range append([]Panel{p}, p.Panels...) {
			if q.Type != "row" {
				panels[strings.Fields(q.Title)[0]] = q
			}
		}
	}
	for name, want := range map[string]struct{ title, desc string }{
		"backend_requests_total": {"backend_requests_total (per second)",
			"Requests to the backend. (counter, {request}; stable) Formerly backend_reqs, backend_requests, which the family still serves for the queries not moved yet; this panel reads backend_requests_total."},
		"backend_read_seconds": {"backend_read_seconds (p50, p99, per second)", "Latency for read operations. (histogram, s; beta) Formerly backend_read_latency_seconds,"},
		"cache_hits_total": {"cache_hits_total (per second) [deprecated]",
			"Deprecated since 4.2. Hits are counted by backend_requests_total with component=\"cache\". Replaced by backend_requests_total. Cache hits. (counter, {hit}; alpha)"},
		"cache_misses_total": {"cache_misses_total (per second) [deprecated, hidden]",
			"Deprecated since v4.1.0. Hidden: served only where the operator shows hidden metrics, so this panel is empty elsewhere. Cache misses. (counter, {miss}; development)"},
		"debug_queue_depth": {"debug_queue_depth [off by default]",
			"Disabled by default: served only where the operator enables it, so this panel is empty elsewhere. Items queued, for debugging. (gauge, {item}; stable)"},
		"go_goroutines": {"go_goroutines", "Goroutines. (gauge, {goroutine}; beta)"},
	} {
		p, ok := panels[name]
		if !ok {
			t.Errorf("no panel for %s", name)
			continue
		}
		if p.Title != want.title || !strings.HasPrefix(p.Description, want.desc) {
			t.Errorf("%s:\n title %q\n desc  %q\nwant\n title %q\n desc  %q…", name, p.Title, p.Description, want.title, want.desc)
		}
	}
	// The old names are in no query, the variables' included.
	for _, old := range []string{"backend_reqs", "backend_requests{", "backend_requests[", "backend_read_latency_seconds"} {
		for _, p := range panels {
			for _, tg := range p.Targets {
				if strings.Contains(tg.Expr, old) {
					t.Errorf("%s queries the old name %s: %s", p.Title, old, tg.Expr)
				}
			}
		}
		for _, v := range d.Templating.List {
			if strings.Contains(v.Query, old) {
				t.Errorf("variable %s queries the old name %s: %s", v.Name, old, v.Query)
			}
		}
	}
}
