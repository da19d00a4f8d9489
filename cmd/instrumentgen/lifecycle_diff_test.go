package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/catalogdiff"
)

// rxRenamed is rxEntry renamed to rx_bytes_total, still serving rx.
var rxRenamed = strings.Replace(rxEntry, "  - name: rx\n", "  - name: rx_bytes_total\n", 1) + "    renamed_from: [rx]\n"

// writeCatalogue writes src as a catalogue file of its own.
func writeCatalogue(t *testing.T, name, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDiffLifecycle: a rename that keeps the old name under renamed_from exits 0; dropping the
// old name later exits 1, and -queries names the rule that still reads it; a breaking change
// exits 0 on an alpha family and 1 on a stable one.
func TestDiffLifecycle(t *testing.T) {
	renamed := editedCatalogue(t, rxEntry, rxRenamed)
	code, stdout, stderr := diff(t, "", repoCatalogue, renamed)
	if code != 0 || !strings.Contains(stdout, "compatible: metric rx: name: renamed to rx_bytes_total, which keeps serving rx from the same series (renamed_from)") ||
		!strings.HasSuffix(stdout, ": 0 breaking, 1 compatible change(s)\n") {
		t.Errorf("rename with renamed_from: exit %d\n%s%s", code, stdout, stderr)
	}

	dropped := editedCatalogue(t, rxEntry, strings.Replace(rxRenamed, "    renamed_from: [rx]\n", "", 1))
	code, stdout, stderr = diff(t, "", "-queries", "testdata/lifecycle-rules", renamed, dropped)
	rule := "testdata/lifecycle-rules/ssh.rules.yaml:9: expr names rx, which a breaking change touches"
	if code != 1 || !strings.Contains(stdout, "breaking: metric rx_bytes_total: renamed_from: old name rx no longer served") || !strings.Contains(stdout, rule) {
		t.Errorf("renamed_from dropped: exit %d, want 1 and %q\n%s%s", code, rule, stdout, stderr)
	}
	if strings.Contains(stdout, "ssh.rules.yaml:7") || strings.Contains(stdout, "ssh.rules.yaml:12") {
		t.Errorf("-queries names a rule of a family nothing breaks:\n%s", stdout)
	}

	// The same removal of rx, on an alpha family and on one without stability (stable).
	alpha := editedCatalogue(t, rxEntry, rxEntry+"    stability: alpha\n")
	gone := editedCatalogue(t, rxEntry, "")
	code, stdout, _ = diff(t, "", alpha, gone)
	if code != 0 || !strings.Contains(stdout, "breaking (alpha: allowed): metric rx: metric: removed") ||
		!strings.HasSuffix(stdout, ": 1 breaking (1 allowed: to development or alpha families), 0 compatible change(s)\n") {
		t.Errorf("alpha: exit %d, want 0\n%s", code, stdout)
	}
	if code, stdout, _ = diff(t, "", repoCatalogue, gone); code != 1 || !strings.Contains(stdout, "breaking: metric rx: metric: removed") {
		t.Errorf("stable: exit %d, want 1\n%s", code, stdout)
	}
	beta := editedCatalogue(t, rxEntry, rxEntry+"    stability: beta\n")
	if code, stdout, _ = diff(t, "", beta, gone); code != 1 {
		t.Errorf("beta: exit %d, want 1\n%s", code, stdout)
	}
}

// TestDiffJSONCarriesStability: each change of -json has the family's stability, and the report
// counts the breaking changes that are allowed.
func TestDiffJSONCarriesStability(t *testing.T) {
	alpha := editedCatalogue(t, rxEntry, rxEntry+"    stability: alpha\n")
	edited := editedCatalogue(t, rxEntry, "", `"Latency for read operations."`, `"Read latency."`)
	code, stdout, stderr := diff(t, "", "-json", alpha, edited)
	if code != 0 {
		t.Fatalf("exit %d, want 0: the only breaking change is to an alpha family\n%s%s", code, stdout, stderr)
	}
	var rep diffReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("not the JSON report: %v\n%s", err, stdout)
	}
	if rep.Breaking != 1 || rep.Allowed != 1 || rep.Compatible != 1 || len(rep.Changes) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	for _, c := range rep.Changes {
		want := catalog.StabilityStable
		if c.Metric == "rx" {
			want = catalog.StabilityAlpha
		}
		if c.Stability != want {
			t.Errorf("%s: stability %q, want %q", c.Metric, c.Stability, want)
		}
	}
	if !strings.Contains(stdout, `"stability": "alpha"`) || !strings.Contains(stdout, `"allowed": 1`) {
		t.Errorf("the JSON lacks the stability or the allowed count:\n%s", stdout)
	}
	if rm := rep.Changes[1]; rm.Severity != catalogdiff.Breaking || rm.Fails() {
		t.Errorf("removal of an alpha family: %+v", rm)
	}
}
