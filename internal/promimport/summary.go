package promimport

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/internal/catalog"
)

// A scrape shows a summary's quantiles but not the error client_golang allows on each, nor its
// max_age. The importer writes, for each quantile q, the error min(q, 1-q)/10, which gives
// client_golang's own example objectives (0.5: 0.05, 0.9: 0.01, 0.99: 0.001), and leaves
// max_age and age_buckets out, so that client_golang's defaults (10m, 5) apply; the file and
// the import's notes say so, for a person to check against the service's SummaryOpts.
const (
	objectivesComment = "allowed errors are not on /metrics: min(q, 1-q)/10 each, client_golang's own 0.5: 0.05, 0.9: 0.01, 0.99: 0.001;\n" +
		"max_age and age_buckets neither: client_golang's defaults (10m, 5) apply. Set the service's SummaryOpts here."
	noSeriesSummaryComment = "No series on the source: its labels and quantiles, if any, are unknown."
)

// defaultError is the error the importer allows on quantile q: a tenth of its distance to 0 or
// 1, to three significant digits, always inside what the catalogue accepts.
func defaultError(q float64) float64 {
	e, _ := strconv.ParseFloat(strconv.FormatFloat(math.Min(q, 1-q)/10, 'g', 3, 64), 64)
	return e
}

// summaryQuantiles returns the quantiles mf's series serve, sorted and once each, and those the
// catalogue cannot declare as objectives (0, 1, NaN: some libraries serve a minimum and a
// maximum as quantiles 0 and 1).
func summaryQuantiles(mf *dto.MetricFamily) (quantiles, refused []float64) {
	for _, m := range mf.GetMetric() {
		for _, q := range m.GetSummary().GetQuantile() {
			v := q.GetQuantile()
			if v > 0 && v < 1 {
				quantiles = append(quantiles, v)
			} else {
				refused = append(refused, v)
			}
		}
	}
	slices.Sort(quantiles)
	slices.Sort(refused)
	return slices.Compact(quantiles), slices.CompactFunc(refused, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })
}

// objectivesNode is the objectives mapping of a generated summary, with the comment that says
// where its errors come from.
func objectivesNode(f *family) (key, value *yaml.Node) {
	key, value = str("objectives"), &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, q := range f.quantiles {
		value.Content = append(value.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(q, 'g', -1, 64)},
			&yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(defaultError(q), 'g', -1, 64)})
	}
	key.HeadComment = objectivesComment
	if len(f.refusedQuantiles) > 0 {
		value.LineComment = "served but not declarable as objectives: quantile " + formatList(f.refusedQuantiles)
	}
	return key, value
}

// summaryNote is what the import says on stderr of a summary it wrote with objectives.
func summaryNote(f *family) string {
	objs := make([]string, len(f.quantiles))
	for i, q := range f.quantiles {
		objs[i] = strconv.FormatFloat(q, 'g', -1, 64) + ": " + strconv.FormatFloat(defaultError(q), 'g', -1, 64)
	}
	note := fmt.Sprintf("%s: summary with objectives {%s}: /metrics shows the quantiles, not the errors allowed on them nor max_age, so each error is min(q, 1-q)/10 and max_age client_golang's default %s; set the service's own",
		f.name, strings.Join(objs, ", "), strings.TrimSuffix(catalog.DefaultMaxAge.String(), "0s"))
	if len(f.refusedQuantiles) > 0 {
		note += "; quantile " + formatList(f.refusedQuantiles) + " left out (a catalogue's quantiles are between 0 and 1, both excluded)"
	}
	return note
}

// nativeNote says what an imported native histogram's declaration could not read from the scrape.
func nativeNote(f *family) string {
	classic := "without classic buckets"
	if len(f.buckets) > 0 {
		classic = "with its classic buckets"
	}
	return fmt.Sprintf("%s: native histogram (schema %d, zero threshold %s) %s: a scrape shows neither max_buckets nor min_reset_duration, so they are the defaults (%d buckets, never reset), and the schema is the highest a series served, which is lower than the service's when its buckets overflowed; set the service's own",
		f.name, f.native.schema, strconv.FormatFloat(f.native.zeroThreshold, 'g', -1, 64), classic, catalog.DefaultNativeMaxBuckets)
}

func formatList(vs []float64) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(s, ", ")
}
