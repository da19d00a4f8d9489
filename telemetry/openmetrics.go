package telemetry

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// WithoutOpenMetrics answers every scrape in the text format (or protobuf, when asked), as
// telediag did before it served OpenMetrics: for a Prometheus 2 server whose queries select
// histogram buckets by a literal le value. OpenMetrics writes le="1.0" where the text format
// writes le="1", and Prometheus 2 stores the label as written (Prometheus 3 normalises it), so
// a selector such as x_bucket{le="1"} finds nothing after the switch; histogram_quantile and
// every query that does not name an le or quantile value are unaffected.
func WithoutOpenMetrics() Option { return func(c *config) { c.openMetrics = false } }

// WithCreatedSamples adds a _created sample to every counter and histogram a scrape gets in
// OpenMetrics, as promhttp's EnableOpenMetricsTextCreatedSamples does: the series' start time,
// for a Prometheus that ingests it (created-timestamp-zero-ingestion) but scrapes OpenMetrics
// rather than protobuf, which carries the start time without it. Off by default, as in
// client_golang: every such series gets a second sample, stored by Prometheus 2 as a series of
// its own. The start time is known for a catalogue's instruments (see fastFamilies); other
// OTel instruments, which the OTel exporter serves, get none.
func WithCreatedSamples() Option { return func(c *config) { c.createdSamples = true } }

// openMetricsGatherer is what /metrics serves in OpenMetrics: the same families, with every
// counter whose name lacks _total served as unknown instead. OpenMetrics writes a counter's
// samples as NAME_total, so a Teleport counter such as rx would be stored as rx_total, and
// every dashboard and alert querying rx would lose it; as unknown, its sample keeps its name
// and still works with rate() and increase(). Only its TYPE line changes, which is what
// Prometheus's metadata API then reports. client_golang with EnableOpenMetrics renames such a
// counter instead; telediag keeps the documented names.
type openMetricsGatherer struct{ prometheus.Gatherer }

// Gather gathers and retypes.
//
// A counter NAME_total beside another family called NAME (client_golang's Go collector serves
// the counter go_memstats_alloc_bytes_total and the gauge go_memstats_alloc_bytes) is served as
// unknown too: OpenMetrics would name both families NAME, which its specification forbids and
// expfmt's decoder refuses ("metadata for metric after samples"). client_golang with
// EnableOpenMetrics serves that clash as it is.
func (g openMetricsGatherer) Gather() ([]*dto.MetricFamily, error) {
	mfs, err := g.Gatherer.Gather()
	names := make(map[string]bool, len(mfs))
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for i, mf := range mfs {
		if mf.GetType() != dto.MetricType_COUNTER {
			continue
		}
		if base, ok := strings.CutSuffix(mf.GetName(), "_total"); !ok || names[base] {
			mfs[i] = counterAsUnknown(mf)
		}
	}
	return mfs, err
}

// counterAsUnknown returns a copy of the counter family mf typed unknown, leaving mf, which a
// gatherer may share with the next scrape, untouched. The series' labels are shared, not
// copied; their exemplars are dropped, since OpenMetrics carries none on an unknown sample.
func counterAsUnknown(mf *dto.MetricFamily) *dto.MetricFamily {
	out := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Unit: mf.Unit, Type: dto.MetricType_UNTYPED.Enum(), Metric: make([]*dto.Metric, len(mf.Metric))}
	for i, m := range mf.Metric {
		out.Metric[i] = &dto.Metric{Label: m.Label, TimestampMs: m.TimestampMs, Untyped: &dto.Untyped{Value: m.GetCounter().Value}}
	}
	return out
}
