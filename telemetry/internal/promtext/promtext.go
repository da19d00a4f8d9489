// Package promtext renders collected OTel metric data straight into the Prometheus text format
// 0.0.4, byte for byte as the OTel Prometheus exporter (UnderscoreEscapingWithoutSuffixes,
// without scope labels and target_info) followed by a client_golang registry and promhttp would.
//
// The exporter turns every data point into a client_golang metric (a descriptor, label slices,
// a protobuf message), which the registry then checks, sorts and encodes: several times the
// allocations of client_golang itself (docs/benchmarks.md, section Scraping). Rendering skips
// all of that and, with the scratch space of a Renderer reused, allocates nothing per series.
//
// Only what it can render exactly is rendered. Anything else — an exponential histogram, two
// instruments with one exposed name, a label name the exporter would reject, label values that
// are not valid UTF-8, two series with the same labels — makes Prepare return ErrUnsupported,
// and the caller serves that scrape through the exporter, which reports such problems its own
// way.
package promtext

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// ErrUnsupported reports data this package does not render exactly as the exporter would.
var ErrUnsupported = errors.New("promtext: data the direct path does not render")

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnsupported}, args...)...)
}

// maxLabelNameCache bounds the cache of translated label names; attribute keys come from code,
// so a well-behaved program has a few dozen.
const maxLabelNameCache = 4096

// Renderer holds the scratch space of one rendering at a time; reuse it (through a sync.Pool)
// so that steady-state scrapes allocate nothing per series. It is not safe for concurrent use.
type Renderer struct {
	metricNamer otlptranslator.MetricNamer
	labelNamer  otlptranslator.LabelNamer
	labelNames  map[attribute.Key]string

	families []family
	labels   []label
	rows     []row
	buf      []byte
}

// Renames gives the old names under which Prepare also renders an OTel metric's family (a
// catalogue's renamed_from), and the HELP it has under them. The exporter path adds the same
// families to what it gathers; rendering them here keeps a catalogue with renames on the direct
// path.
type Renames interface {
	// OldNames returns the old names of the family exposed as name; nil for most.
	OldNames(name string) []string
	// OldHelp returns the HELP of an old name of the family exposed as name with HELP help.
	OldHelp(name, help string) string
}

// family is one exposed metric family: either an OTel metric or a gathered one.
type family struct {
	name     string
	otel     *metricdata.Metrics
	typ      string // counter, gauge or histogram
	gathered *dto.MetricFamily
	// alias marks an OTel metric rendered under an old name, with help as its HELP; its rows are
	// those of the family rendered under the metric's own name.
	alias bool
	help  string
	// rows are the family's series: Renderer.rows[rows[0]:rows[1]], sorted.
	rows [2]int
}

type label struct{ name, value string }

// row is one data point: its labels are Renderer.labels[start : start+n].
type row struct {
	start, n int32
	point    int32
}

// NewRenderer returns a Renderer that names metrics and labels as the exporter does with
// otlptranslator.UnderscoreEscapingWithoutSuffixes.
func NewRenderer() *Renderer {
	strategy := otlptranslator.UnderscoreEscapingWithoutSuffixes
	return &Renderer{
		metricNamer: otlptranslator.NewMetricNamer("", strategy),
		labelNamer:  otlptranslator.LabelNamer{UTF8Allowed: !strategy.ShouldEscape()},
		labelNames:  map[attribute.Key]string{},
	}
}

// Prepare plans the rendering of rm and the gathered families: every family sorted by name and
// every series sorted by label values, as a client_golang registry orders them. With renames,
// each OTel metric that has old names is rendered under each of them too, from the same data
// points; the gathered families' old names are the caller's to add. It returns ErrUnsupported
// when the output would differ from the exporter's; then nothing should be written. rm and
// gathered must not change until Write returns.
func (r *Renderer) Prepare(rm *metricdata.ResourceMetrics, gathered []*dto.MetricFamily, renames Renames) error {
	if err := r.plan(rm, gathered, renames); err != nil {
		return err
	}
	r.labels, r.rows = r.labels[:0], r.rows[:0]
	aliases := false
	for i := range r.families {
		f := &r.families[i]
		aliases = aliases || f.alias
		if f.otel != nil && !f.alias {
			if err := r.buildRows(f); err != nil {
				return err
			}
		}
	}
	if !aliases {
		return nil
	}
	// An old name's series are its metric's: the same rows, already sorted. A linear search for
	// the metric's own family, since a catalogue renames a handful of metrics.
	for i := range r.families {
		if a := &r.families[i]; a.alias {
			for j := range r.families {
				if f := &r.families[j]; !f.alias && f.otel == a.otel {
					a.rows = f.rows
					break
				}
			}
		}
	}
	return nil
}

// Write writes what Prepare planned to w.
func (r *Renderer) Write(w io.Writer) error {
	r.buf = r.buf[:0]
	for i := range r.families {
		f := &r.families[i]
		if f.gathered != nil {
			if err := r.flush(w); err != nil {
				return err
			}
			if _, err := expfmt.MetricFamilyToText(w, f.gathered); err != nil {
				return err
			}
			continue
		}
		r.writeFamily(f)
		if len(r.buf) >= 32<<10 {
			if err := r.flush(w); err != nil {
				return err
			}
		}
	}
	return r.flush(w)
}

// Reset drops the references a rendering holds to collected data, so that a pooled Renderer
// does not keep it alive.
func (r *Renderer) Reset() {
	clear(r.families) // also the aliases' help strings
	clear(r.labels)
	r.families, r.labels, r.rows = r.families[:0], r.labels[:0], r.rows[:0]
}

func (r *Renderer) flush(w io.Writer) error {
	if len(r.buf) == 0 {
		return nil
	}
	_, err := w.Write(r.buf)
	r.buf = r.buf[:0]
	return err
}

// plan lists the families in output order and rejects name collisions, which the exporter and
// the registry resolve by dropping series and logging.
func (r *Renderer) plan(rm *metricdata.ResourceMetrics, gathered []*dto.MetricFamily, renames Renames) error {
	r.families = r.families[:0]
	for i := range rm.ScopeMetrics {
		sm := &rm.ScopeMetrics[i]
		for j := range sm.Metrics {
			m := &sm.Metrics[j]
			typ, ok := typeOf(m.Data)
			if !ok {
				return unsupported("metric %s: data of type %T", m.Name, m.Data)
			}
			name, err := r.metricNamer.Build(otlptranslator.Metric{Name: m.Name})
			if err != nil || !model.LegacyValidation.IsValidMetricName(name) {
				return unsupported("metric %s: exposed name %q", m.Name, name)
			}
			r.families = append(r.families, family{name: name, otel: m, typ: typ})
		}
	}
	for _, mf := range gathered {
		r.families = append(r.families, family{name: mf.GetName(), gathered: mf})
	}
	slices.SortFunc(r.families, func(a, b family) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(r.families); i++ {
		if r.families[i].name == r.families[i-1].name {
			return unsupported("two families named %s", r.families[i].name)
		}
	}
	if renames != nil {
		return r.planOldNames(renames)
	}
	return nil
}

// planOldNames adds a family for each old name of each OTel metric, in output order. As on the
// exporter path (the pipeline's renames.apply), an old name that a family already has is left
// out: the family that owns the name keeps it.
func (r *Renderer) planOldNames(renames Renames) error {
	n := len(r.families)
	for i := range n {
		f := &r.families[i]
		if f.otel == nil {
			continue
		}
		for _, old := range renames.OldNames(f.name) {
			if _, taken := slices.BinarySearchFunc(r.families[:n], old, func(f family, name string) int { return strings.Compare(f.name, name) }); taken ||
				slices.ContainsFunc(r.families[n:], func(f family) bool { return f.name == old }) {
				continue
			}
			if !model.LegacyValidation.IsValidMetricName(old) {
				return unsupported("metric %s: old name %q", f.name, old)
			}
			r.families = append(r.families, family{name: old, otel: f.otel, typ: f.typ, alias: true, help: renames.OldHelp(f.name, f.otel.Description)})
			f = &r.families[i] // append may have moved the array
		}
	}
	if len(r.families) > n {
		slices.SortFunc(r.families, func(a, b family) int { return strings.Compare(a.name, b.name) })
	}
	return nil
}

func typeOf(data metricdata.Aggregation) (string, bool) {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return sumType(d.IsMonotonic), true
	case metricdata.Sum[float64]:
		return sumType(d.IsMonotonic), true
	case metricdata.Gauge[int64], metricdata.Gauge[float64]:
		return "gauge", true
	case metricdata.Histogram[int64], metricdata.Histogram[float64]:
		return "histogram", true
	}
	return "", false
}

func sumType(monotonic bool) string {
	if monotonic {
		return "counter"
	}
	return "gauge"
}

// buildRows appends f's series to r.rows, sorted, and rejects what the exporter or the
// registry would drop or merge.
func (r *Renderer) buildRows(f *family) error {
	f.rows[0] = len(r.rows)
	for p := range points(f.otel.Data) {
		start := int32(len(r.labels))
		it := attrsAt(f.otel.Data, p).Iter()
		for it.Next() {
			kv := it.Attribute()
			name, err := r.labelName(kv.Key)
			if err != nil {
				return unsupported("metric %s: label %q: %v", f.name, kv.Key, err)
			}
			if strings.HasPrefix(name, model.ReservedLabelPrefix) || (f.typ == "histogram" && name == model.BucketLabel) {
				return unsupported("metric %s: label name %q", f.name, name)
			}
			value := kv.Value.AsString()
			if kv.Value.Type() != attribute.STRING {
				value = kv.Value.Emit()
			}
			if !utf8.ValidString(value) {
				return unsupported("metric %s: label %s: value is not valid UTF-8", f.name, name)
			}
			r.labels = append(r.labels, label{name: name, value: value})
		}
		ls := r.labels[start:]
		// Attributes come sorted by key; translated names may sort differently, and the
		// registry sorts label pairs by name. Two keys translating to one name are merged by
		// the exporter: leave that to it.
		if !slices.IsSortedFunc(ls, compareNames) {
			slices.SortFunc(ls, compareNames)
		}
		for i := 1; i < len(ls); i++ {
			if ls[i].name == ls[i-1].name {
				return unsupported("metric %s: two attributes named %s", f.name, ls[i].name)
			}
		}
		r.rows = append(r.rows, row{start: start, n: int32(len(ls)), point: int32(p)})
	}
	f.rows[1] = len(r.rows)
	labels, rows := r.labels, r.rows[f.rows[0]:f.rows[1]]
	slices.SortFunc(rows, func(a, b row) int { return compareRows(labels, a, b) })
	for i := 1; i < len(rows); i++ {
		// Equal values leave the registry's order undefined (and equal names make it drop one).
		if compareRows(labels, rows[i-1], rows[i]) == 0 {
			return unsupported("metric %s: two series with the same label values", f.name)
		}
	}
	return nil
}

func compareNames(a, b label) int { return strings.Compare(a.name, b.name) }

// compareRows orders series as client_golang's registry does (internal.MetricSorter): by label
// count, then by label values position by position.
func compareRows(labels []label, a, b row) int {
	if a.n != b.n {
		return int(a.n - b.n)
	}
	for i := range a.n {
		if c := strings.Compare(labels[a.start+i].value, labels[b.start+i].value); c != 0 {
			return c
		}
	}
	return 0
}

func (r *Renderer) labelName(k attribute.Key) (string, error) {
	if name, ok := r.labelNames[k]; ok {
		return name, nil
	}
	name, err := r.labelNamer.Build(string(k))
	if err != nil {
		return "", err
	}
	if len(r.labelNames) >= maxLabelNameCache {
		clear(r.labelNames)
	}
	r.labelNames[k] = name
	return name, nil
}

func points(data metricdata.Aggregation) int {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return len(d.DataPoints)
	case metricdata.Sum[float64]:
		return len(d.DataPoints)
	case metricdata.Gauge[int64]:
		return len(d.DataPoints)
	case metricdata.Gauge[float64]:
		return len(d.DataPoints)
	case metricdata.Histogram[int64]:
		return len(d.DataPoints)
	case metricdata.Histogram[float64]:
		return len(d.DataPoints)
	}
	return 0
}

func attrsAt(data metricdata.Aggregation, i int) *attribute.Set {
	switch d := data.(type) {
	case metricdata.Sum[int64]:
		return &d.DataPoints[i].Attributes
	case metricdata.Sum[float64]:
		return &d.DataPoints[i].Attributes
	case metricdata.Gauge[int64]:
		return &d.DataPoints[i].Attributes
	case metricdata.Gauge[float64]:
		return &d.DataPoints[i].Attributes
	case metricdata.Histogram[int64]:
		return &d.DataPoints[i].Attributes
	case metricdata.Histogram[float64]:
		return &d.DataPoints[i].Attributes
	}
	return attribute.EmptySet() // unreachable: plan rejected every other type
}

// writeFamily appends f's HELP, TYPE and samples to r.buf.
func (r *Renderer) writeFamily(f *family) {
	b, rows := r.buf, r.rows[f.rows[0]:f.rows[1]]
	b = append(b, "# HELP "...)
	b = append(b, f.name...)
	b = append(b, ' ')
	help := f.otel.Description
	if f.alias {
		help = f.help
	}
	b = appendEscaped(b, help, false)
	b = append(b, "\n# TYPE "...)
	b = append(b, f.name...)
	b = append(b, ' ')
	b = append(b, f.typ...)
	b = append(b, '\n')
	switch d := f.otel.Data.(type) {
	case metricdata.Sum[int64]:
		b = writeValues(b, f.name, r.labels, rows, d.DataPoints)
	case metricdata.Sum[float64]:
		b = writeValues(b, f.name, r.labels, rows, d.DataPoints)
	case metricdata.Gauge[int64]:
		b = writeValues(b, f.name, r.labels, rows, d.DataPoints)
	case metricdata.Gauge[float64]:
		b = writeValues(b, f.name, r.labels, rows, d.DataPoints)
	case metricdata.Histogram[int64]:
		b = writeHistograms(b, f.name, r.labels, rows, d.DataPoints)
	case metricdata.Histogram[float64]:
		b = writeHistograms(b, f.name, r.labels, rows, d.DataPoints)
	}
	r.buf = b
}

func writeValues[N int64 | float64](b []byte, name string, labels []label, rows []row, pts []metricdata.DataPoint[N]) []byte {
	for _, rw := range rows {
		b = appendSeries(b, name, "", labels[rw.start:rw.start+rw.n], "", 0)
		b = append(b, ' ')
		b = appendFloat(b, float64(pts[rw.point].Value))
		b = append(b, '\n')
	}
	return b
}

func writeHistograms[N int64 | float64](b []byte, name string, labels []label, rows []row, pts []metricdata.HistogramDataPoint[N]) []byte {
	for _, rw := range rows {
		p := &pts[rw.point]
		ls := labels[rw.start : rw.start+rw.n]
		var cumulative uint64
		for i, bound := range p.Bounds {
			cumulative += p.BucketCounts[i]
			b = appendSeries(b, name, "_bucket", ls, model.BucketLabel, bound)
			b = append(b, ' ')
			b = appendFloat(b, float64(cumulative))
			b = append(b, '\n')
		}
		b = appendSeries(b, name, "_bucket", ls, model.BucketLabel, math.Inf(+1))
		b = append(b, ' ')
		b = appendFloat(b, float64(p.Count))
		b = append(b, '\n')
		b = appendSeries(b, name, "_sum", ls, "", 0)
		b = append(b, ' ')
		b = appendFloat(b, float64(p.Sum))
		b = append(b, '\n')
		b = appendSeries(b, name, "_count", ls, "", 0)
		b = append(b, ' ')
		b = appendFloat(b, float64(p.Count))
		b = append(b, '\n')
	}
	return b
}

// appendSeries appends name+suffix and the label set, as expfmt's writeNameAndLabelPairs does.
func appendSeries(b []byte, name, suffix string, ls []label, extraName string, extraValue float64) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	if len(ls) == 0 && extraName == "" {
		return b
	}
	sep := byte('{')
	for _, l := range ls {
		b = append(b, sep)
		b = append(b, l.name...)
		b = append(b, `="`...)
		b = appendEscaped(b, l.value, true)
		b = append(b, '"')
		sep = ','
	}
	if extraName != "" {
		b = append(b, sep)
		b = append(b, extraName...)
		b = append(b, `="`...)
		b = appendFloat(b, extraValue)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendEscaped escapes as expfmt does: backslash and newline always, double quote in label
// values.
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !strings.ContainsAny(s, "\\\n\"") {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat formats f as expfmt's writeFloat does, -0 printing as 0 included.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
