package catalogdiff

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/telediag/telediag/internal/catalog"
)

// What a Prometheus ingests of a histogram depends on the histogram and on the Prometheus, so a
// change of native: is judged against three kinds of server:
//
//   - one that does not scrape native histograms (Prometheus 2 without
//     --enable-feature=native-histograms; Prometheus 3 without scrape_native_histograms: true,
//     the default before 4.0) ingests the classic series NAME_bucket, NAME_sum and NAME_count;
//     of a native-only histogram, telediag's text formats serve NAME_sum, NAME_count and a lone
//     le="+Inf" bucket;
//   - one that scrapes them ingests a histogram with native buckets as one native series, NAME,
//     and nothing of its classic series: "classic float series ❌, exponential nh ✅" for a
//     target that "exposes both classic and exponential native histograms" with
//     scrape_classic=false (prometheus/prometheus#13532, the table of the case). In the
//     protobuf parser, the classic series of a native histogram (_count, _sum and _bucket, one
//     per le) are emitted only when parseClassicHistograms is set and the histogram has classic
//     buckets (model/textparse/protobufparse.go, Histogram and Next: redoClassic);
//   - one that scrapes them with always_scrape_classic_histograms: true on the job ingests both:
//     "Specifies whether to scrape a classic histogram, even if it is also exposed as a native
//     histogram" (docs/configuration/configuration.md); Prometheus 3.0 renamed the option from
//     scrape_classic_histograms (docs/migration.md, "Configuration"). It keeps nothing classic of
//     a native-only histogram, which has no classic buckets to scrape.
//
// The native-histograms feature flag exists since 2.40; from 3.8 scraping is
// scrape_native_histograms, and from 3.9 the flag is a no-op (prometheus.io/docs/specs/
// native_histograms, docs/migration.md "Flags").
//
// A change is breaking when a series that one of the three ingested before is gone from the
// same server after it, as everywhere else in this package; its Series are those series, so
// that -queries names every query that reads them.

// classicNote names the Prometheus settings that decide whether the classic series survive
// native buckets, for the messages.
const classicNote = "a Prometheus that scrapes native histograms (--enable-feature=native-histograms from 2.40, scrape_native_histograms: true from 3.8)"

// hasClassic reports whether histogram m declares classic buckets. A provided histogram has
// none declared but is served classic by its collector, so it counts as classic.
func hasClassic(m *catalog.Metric) bool { return len(m.Buckets) > 0 || !m.Generated() }

// histogram compares the buckets of two versions of a histogram: the classic boundaries, the
// native declaration, and the classic buckets added to or removed from a native histogram.
// Each edit is one change, so that an edit that swaps classic buckets for native ones reads as
// what it is rather than as a boundary change and a native one.
func (d *differ) histogram(o, n *catalog.Metric) {
	oc, nc := hasClassic(o), hasClassic(n)
	on, nn := o.Native != nil, n.Native != nil
	switch {
	case !on && nn:
		d.nativeAdded(o, n, nc)
		return
	case on && !nn:
		d.nativeRemoved(o, n, oc)
		if !oc {
			return // the classic buckets are new, which nativeRemoved says
		}
	case on && nn:
		d.nativeChanged(o, n)
		switch {
		case oc && !nc:
			d.classicRemoved(o, n)
			return
		case !oc && nc:
			d.add(Compatible, o, n, "buckets", "", n.BucketsSpec,
				"classic buckets %s added beside the native ones: where native histograms are not scraped, %s_bucket gains these boundaries beside +Inf, and where they are scraped with always_scrape_classic_histograms, %s_bucket, %s_sum and %s_count appear; the native series %s is unchanged, so queries are unaffected",
				formatBounds(n.Buckets), n.Name, n.Name, n.Name, n.Name, n.Name)
			return
		}
	}
	d.buckets(o, n)
}

// nativeAdded reports native buckets declared on a histogram that had none. keepsClassic says
// whether the new version still declares classic buckets.
func (d *differ) nativeAdded(o, n *catalog.Metric, keepsClassic bool) {
	if keepsClassic {
		d.add(Breaking, o, n, "native", "", nativeText(n.Native),
			"native buckets added beside the classic ones (%s): %s ingests %s as one native series instead of %s, so queries of those find nothing there unless its scrape job sets always_scrape_classic_histograms: true (scrape_classic_histograms before 3.0), which keeps both; a Prometheus that does not scrape native histograms reads them as before",
			schemaText(n.Native), classicNote, o.Name, strings.Join(o.Series(), ", "))
		d.changes[len(d.changes)-1].Series = classicSeries(o)
		return
	}
	d.add(Breaking, o, n, "native", formatBounds(o.Buckets), nativeText(n.Native),
		"classic buckets replaced by native ones (%s): %s ingests %s as one native series and none of %s, whatever always_scrape_classic_histograms says, since no classic buckets are left to scrape; elsewhere %s_bucket keeps only le=\"+Inf\", so histogram_quantile() over it finds nothing useful; read %s instead: histogram_quantile(φ, sum(rate(%s[…]))), histogram_count(), histogram_sum()",
		schemaText(n.Native), classicNote, o.Name, strings.Join(o.Series(), ", "), o.Name, n.Name, n.Name)
	d.changes[len(d.changes)-1].Series = classicSeries(o)
}

// nativeRemoved reports a histogram's native buckets removed. hadClassic says whether the old
// version declared classic buckets too; when it did not, the new version's classic buckets
// replace the native ones.
func (d *differ) nativeRemoved(o, n *catalog.Metric, hadClassic bool) {
	consequence := fmt.Sprintf("%s no longer ingests the native series %s, so histogram_quantile() without le, histogram_count(), histogram_sum() and histogram_fraction() over it find nothing", classicNote, o.Name)
	if hadClassic {
		d.add(Breaking, o, n, "native", nativeText(o.Native), "",
			"native buckets removed: %s; it ingests %s_bucket, %s_sum and %s_count instead, as a Prometheus that does not scrape native histograms always has",
			consequence, n.Name, n.Name, n.Name)
	} else {
		d.add(Breaking, o, n, "native", nativeText(o.Native), formatBounds(n.Buckets),
			"native buckets replaced by classic ones %s: %s; read %s_bucket instead: histogram_quantile(φ, sum by (le) (rate(%s_bucket[…]))), and %s_sum and %s_count through rate()",
			formatBounds(n.Buckets), consequence, n.Name, n.Name, n.Name, n.Name)
	}
	d.changes[len(d.changes)-1].Series = nativeSeries(o)
}

// classicRemoved reports the classic buckets removed from a histogram that keeps its native
// ones.
func (d *differ) classicRemoved(o, n *catalog.Metric) {
	d.add(Breaking, o, n, "buckets", formatBounds(o.Buckets), "",
		"classic buckets removed, native ones kept: where native histograms are not scraped, %s_bucket keeps only le=\"+Inf\", so histogram_quantile() over it finds nothing useful; where they are scraped with always_scrape_classic_histograms, %s finds nothing, since no classic buckets are left to scrape; the native series %s reads as before",
		o.Name, strings.Join(o.Series(), ", "), o.Name)
	d.changes[len(d.changes)-1].Series = classicSeries(o)
}

// nativeChanged reports a native declaration changed in resolution: schema (or the factor it
// is declared by), max_buckets, zero_threshold, min_reset_duration. None of it changes which
// series exist, only how finely the one native series is bucketed, so it is compatible.
func (d *differ) nativeChanged(o, n *catalog.Metric) {
	on, nn := o.Native, n.Native
	var what []string
	switch {
	case on.Schema != nn.Schema:
		what = append(what, fmt.Sprintf("schema %d instead of %d (%s instead of %s)", nn.Schema, on.Schema, spelling(nn), spelling(on)))
	case on.BucketFactor != nn.BucketFactor:
		what = append(what, fmt.Sprintf("declared as %s instead of %s, the same schema %d", spelling(nn), spelling(on), nn.Schema))
	}
	if on.MaxBuckets != nn.MaxBuckets {
		what = append(what, fmt.Sprintf("max_buckets %d instead of %d", nn.MaxBuckets, on.MaxBuckets))
	}
	if on.ZeroThreshold != nn.ZeroThreshold {
		what = append(what, fmt.Sprintf("zero_threshold %s instead of %s", formatQ(nn.ZeroThreshold), formatQ(on.ZeroThreshold)))
	}
	if on.MinResetDuration != nn.MinResetDuration {
		what = append(what, fmt.Sprintf("min_reset_duration %s instead of %s", durationText(nn.MinResetDuration), durationText(on.MinResetDuration)))
	}
	if len(what) == 0 {
		return
	}
	// PromQL brings histograms of different schemas to the coarser one when it adds them, as
	// rate() over a range that spans the change does, and merges zero buckets to the wider
	// threshold: a query reads the same series, at the resolution the two share.
	d.add(Compatible, o, n, "native", nativeText(on), nativeText(nn),
		"native resolution changed (%s): the same native series %s, bucketed more or less finely; histogram_quantile() and the other histogram functions read any schema, and over a range that spans the change at the coarser of the two; queries are unaffected",
		strings.Join(what, ", "), n.Name)
}

// classicSeries are the classic series of histogram o under every name it serves.
func classicSeries(o *catalog.Metric) []string {
	return append(o.Series(), o.RenamedSeries()...)
}

// nativeSeries are the native series of histogram o: its own name and each old name it serves,
// which a Prometheus that scrapes native histograms stores without suffix.
func nativeSeries(o *catalog.Metric) []string {
	return append([]string{o.Name}, o.RenamedFrom...)
}

// nativeText writes a native declaration with its effective values, as an inline mapping of
// the catalogue: the schema as declared (bucket_factor or schema), then the other keys.
func nativeText(n *catalog.Native) string {
	return fmt.Sprintf("{%s, max_buckets: %d, zero_threshold: %s, min_reset_duration: %s}",
		spelling(n), n.MaxBuckets, formatQ(n.ZeroThreshold), durationText(n.MinResetDuration))
}

// spelling is how the resolution is declared: "bucket_factor: 1.1" or "schema: 3".
func spelling(n *catalog.Native) string {
	if n.BucketFactor != 0 {
		return "bucket_factor: " + formatQ(n.BucketFactor)
	}
	return "schema: " + strconv.Itoa(int(n.Schema))
}

// schemaText names the schema and how it is declared, for a message: "schema 3, from
// bucket_factor 1.1".
func schemaText(n *catalog.Native) string {
	if n.BucketFactor != 0 {
		return fmt.Sprintf("schema %d, from bucket_factor %s", n.Schema, formatQ(n.BucketFactor))
	}
	return fmt.Sprintf("schema %d", n.Schema)
}

// durationText writes a duration as the catalogue would: 0 for never.
func durationText(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	return d.String()
}
