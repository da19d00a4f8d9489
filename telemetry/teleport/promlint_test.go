package teleport

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

// knownLintFindings are the promlint findings the documented names cannot avoid: Teleport
// named these families before (or against) the Prometheus naming rules, and renaming them would
// break the dashboards and alerts this module exists to keep working. The go_* ones are the OTel
// runtime instrumentation's semantic-convention names, which are not ours to change either. Anything else promlint
// finds is a new mistake and fails the test.
var knownLintFindings = []string{
	"audit_failed_disk_monitoring: counter metrics should have \"_total\" suffix",
	"audit_failed_emit_events: counter metrics should have \"_total\" suffix",
	"etcd_backend_batch_read_requests: counter metrics should have \"_total\" suffix",
	"etcd_backend_read_requests: counter metrics should have \"_total\" suffix",
	"etcd_backend_tx_requests: counter metrics should have \"_total\" suffix",
	"etcd_backend_write_requests: counter metrics should have \"_total\" suffix",
	"firestore_events_backend_batch_read_requests: counter metrics should have \"_total\" suffix",
	"firestore_events_backend_batch_write_requests: counter metrics should have \"_total\" suffix",
	"gcs_event_storage_downloads: counter metrics should have \"_total\" suffix",
	"gcs_event_storage_uploads: counter metrics should have \"_total\" suffix",
	"go_goroutine_count: non-histogram and non-summary metrics should not have \"_count\" suffix", // OTel semconv's go.goroutine.count
	"go_memory_allocated: counter metrics should have \"_total\" suffix",                          // OTel semconv's go.memory.allocated
	"go_memory_allocations: counter metrics should have \"_total\" suffix",                        // OTel semconv's go.memory.allocations
	"rx: counter metrics should have \"_total\" suffix",
	"server_interactive_sessions_total: non-counter metrics should not have \"_total\" suffix",
	"teleport_audit_emit_events: counter metrics should have \"_total\" suffix",
	"teleport_cache_events: counter metrics should have \"_total\" suffix",
	"teleport_cache_stale_events: counter metrics should have \"_total\" suffix",
	"tx: counter metrics should have \"_total\" suffix",
}

func TestPromlintFindingsArePinned(t *testing.T) {
	tel, m := newTestTelemetry(t, nil)
	instrumenttest.RecordAll(context.Background(), m.Instruments, 1, exampleLabel)
	families, _ := scrape(t, tel.Handler())
	list := make([]*dto.MetricFamily, 0, len(families))
	for _, mf := range families {
		list = append(list, mf)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].GetName() < list[j].GetName() })
	problems, err := promlint.NewWithMetricFamilies(list).Lint()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.Metric+": "+p.Text)
	}
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(knownLintFindings, "\n") {
		t.Errorf("promlint findings changed.\ngot:\n%s\n\nwant:\n%s", strings.Join(got, "\n"), strings.Join(knownLintFindings, "\n"))
	}
}
