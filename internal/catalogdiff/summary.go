package catalogdiff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// summaryHistogram reports a summary replaced by a histogram or the reverse, and reports
// whether it did. Both expose _sum and _count, which read as before; what breaks is how the
// quantiles are read, so only the series that carry them are touched: a summary's own name,
// selected with {quantile="…"}, and a histogram's _bucket, read by histogram_quantile().
func (d *differ) summaryHistogram(o, n *catalog.Metric) bool {
	ot, nt := o.PrometheusType(), n.PrometheusType()
	var msg string
	var series []string
	switch {
	case ot == "summary" && nt == "histogram":
		over := o.Name + "_bucket"
		if n.Native != nil && len(n.Buckets) == 0 {
			// A native-only histogram has no classic buckets to read quantiles from.
			over = "the native series " + n.Name
		}
		sumCount := fmt.Sprintf("%s_sum and %s_count read as before", o.Name, o.Name)
		series = []string{o.Name}
		if n.Native != nil {
			// A Prometheus that scrapes native histograms stores the histogram as its native
			// series alone (nativeDiff's rule): the summary's _sum and _count stop there.
			sumCount = fmt.Sprintf("%s_sum and %s_count read as before only on a Prometheus that does not scrape native histograms, or keeps classic ones (always_scrape_classic_histograms)", o.Name, o.Name)
			series = append(series, o.Name+"_sum", o.Name+"_count")
		}
		msg = fmt.Sprintf("exposed type changed from summary to histogram: the quantile series %s{quantile=…} disappear, so queries that select quantile on %s find nothing and must compute histogram_quantile() over %s instead; %s",
			o.Name, o.Name, over, sumCount)
	case ot == "histogram" && nt == "summary":
		msg = fmt.Sprintf("exposed type changed from histogram to summary: %s_bucket disappears, so histogram_quantile() over it finds nothing, and %s now carries precomputed quantiles that cannot be aggregated across series; %s_sum and %s_count read as before",
			o.Name, o.Name, o.Name, o.Name)
		series = []string{o.Name + "_bucket"}
		if o.Native != nil {
			// The native series NAME becomes the summary's quantiles: histogram functions over
			// it find nothing.
			series = append(series, o.Name)
		}
	default:
		return false
	}
	d.add(Breaking, o, n, "kind", string(o.Kind), string(n.Kind), "%s", msg)
	d.changes[len(d.changes)-1].Series = series
	return true
}

// objectives compares two generated summaries' quantiles and window. A quantile removed breaks
// the queries that select it; anything else changes what the quantiles are estimated from, not
// which series exist.
func (d *differ) objectives(o, n *catalog.Metric) {
	if o.Kind != catalog.KindSummary || n.Kind != catalog.KindSummary || !o.Generated() || !n.Generated() {
		return
	}
	oq, nq := o.Quantiles(), n.Quantiles()
	var gone, came, retuned []string
	for _, ob := range o.Objectives {
		i := slices.Index(nq, ob.Quantile)
		switch {
		case i < 0:
			gone = append(gone, formatQ(ob.Quantile))
		case n.Objectives[i].Error != ob.Error:
			retuned = append(retuned, fmt.Sprintf("%s: ±%s instead of ±%s", formatQ(ob.Quantile), formatQ(n.Objectives[i].Error), formatQ(ob.Error)))
		}
	}
	for _, q := range nq {
		if !slices.Contains(oq, q) {
			came = append(came, formatQ(q))
		}
	}
	if len(gone) > 0 {
		d.add(Breaking, o, n, "objectives", objectivesText(o), objectivesText(n),
			"quantile %s removed: selectors on %s{quantile=%q} find nothing", strings.Join(gone, ", "), o.Name, gone[0])
		d.changes[len(d.changes)-1].Series = []string{o.Name}
	}
	if len(came) > 0 {
		d.add(Compatible, o, n, "objectives", objectivesText(o), objectivesText(n),
			"quantile %s added: new series %s{quantile=…} appear; selectors on other quantiles are unaffected", strings.Join(came, ", "), n.Name)
	}
	if len(retuned) > 0 {
		d.add(Compatible, o, n, "objectives", objectivesText(o), objectivesText(n),
			"allowed error changed (%s): the same quantile series, estimated more or less tightly", strings.Join(retuned, "; "))
	}
	if o.MaxAge != n.MaxAge || o.AgeBuckets != n.AgeBuckets {
		if len(o.Objectives) > 0 && len(n.Objectives) > 0 {
			d.add(Compatible, o, n, "max_age", fmt.Sprintf("%s/%d", o.MaxAge, o.AgeBuckets), fmt.Sprintf("%s/%d", n.MaxAge, n.AgeBuckets),
				"quantile window changed from %s in %d age buckets to %s in %d: the same series, over another span of observations; alerts tuned to how fast the quantiles move may need retuning",
				o.MaxAge, o.AgeBuckets, n.MaxAge, n.AgeBuckets)
		}
	}
}

func objectivesText(m *catalog.Metric) string {
	parts := make([]string, len(m.Objectives))
	for i, ob := range m.Objectives {
		parts[i] = formatQ(ob.Quantile) + ": " + formatQ(ob.Error)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func formatQ(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
