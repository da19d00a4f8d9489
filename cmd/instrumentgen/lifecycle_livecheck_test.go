package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/livecheck"
)

const (
	liveLifecycle     = "../../internal/livecheck/testdata/lifecycle.yaml"
	liveLifecycleProm = "../../internal/livecheck/testdata/lifecycle.prom"
)

// TestLiveCheckLifecycleFlags: a hidden and a disabled family served are problems until
// -show-hidden and -enable say the service runs with them; -disable expects a family absent;
// a budget is reported at the family's line; a bad glob is a usage error.
func TestLiveCheckLifecycleFlags(t *testing.T) {
	r := runLiveCheckCmd(liveLifecycle, liveLifecycleProm)
	for _, want := range []string{
		liveLifecycle + ":25: cache_misses_total: hidden: served, but hidden",
		liveLifecycle + ":32: debug_queue_depth: disabled: served, but disabled by default (enabled: false)",
		liveLifecycle + ":12: warning: process_uptime_seconds: help: HELP differs from the declared description: declared \"(Deprecated: renamed to uptime_seconds) Time since start.\"",
		liveLifecycle + ":4: warning: requests_total: budget: 4 of its 5 series (80 %)",
		liveLifecycle + ":4: budget requests_total: 4 of 5 series (80 %)\n",
		": 6 families served, 3 problem(s), 2 warning(s)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("defaults: stdout lacks %q\n%s", want, r.stdout)
		}
	}
	if r.code != 1 || strings.Contains(r.stdout, ": undeclared:") {
		t.Errorf("defaults: exit %d, want 1 and no old name undeclared\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = runLiveCheckCmd("-enable", "debug_*", "-show-hidden", liveLifecycle, liveLifecycleProm)
	if strings.Contains(r.stdout, "hidden:") || strings.Contains(r.stdout, "disabled:") || !strings.Contains(r.stdout, ": 6 families served, 1 problem(s), 2 warning(s)\n") {
		t.Errorf("-enable, -show-hidden: exit %d\n%s", r.code, r.stdout)
	}
	r = runLiveCheckCmd("-enable", "debug_*", "-show-hidden", "-disable", "uptime_*", "-disable", "requests_total", "-json", liveLifecycle, liveLifecycleProm)
	var rep liveCheckReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	var disabled []string
	for _, f := range rep.Findings {
		if f.Check == livecheck.Disabled {
			disabled = append(disabled, f.Family)
		}
	}
	if r.code != 1 || strings.Join(disabled, " ") != "http_requests_total process_uptime_seconds requests_total" || len(rep.Budgets) != 0 {
		t.Errorf("-disable: exit %d, disabled findings %v, budgets %v\n%s", r.code, disabled, rep.Budgets, r.stdout)
	}
	rep = liveCheckReport{}
	r = runLiveCheckCmd("-json", liveLifecycle, liveLifecycleProm)
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Budgets) != 1 || rep.Budgets[0].MaxSeries != 5 || rep.Budgets[0].Series != 4 {
		t.Errorf("-json budgets: %v %+v\n%s", err, rep.Budgets, r.stdout)
	}
	if r = runLiveCheckCmd("-disable", "a[", liveLifecycle, liveLifecycleProm); r.code != 2 || !strings.Contains(r.stderr, `invalid value "a[" for flag -disable`) {
		t.Errorf("bad glob: exit %d\n%s", r.code, r.stderr)
	}
	if r = runLiveCheckCmd("-json", liveCatalog, serveFile(t, liveGood)); !strings.Contains(r.stdout, `"budgets": []`) {
		t.Errorf("no budget is [] in JSON:\n%s", r.stdout)
	}
}
