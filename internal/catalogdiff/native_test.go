package catalogdiff

import (
	"slices"
	"strings"
	"testing"
)

// The histogram of base, backend_read_seconds, in the four shapes a histogram takes.
const (
	classicBuckets = "    buckets: [0.001, 0.01, 0.1, 1]\n"
	withNative     = classicBuckets + "    native: {bucket_factor: 1.1}\n"
	nativeOnly     = "    native: {bucket_factor: 1.1}\n"
)

// TestNativeChanges: every edit of a histogram's native declaration, and of the classic
// buckets beside it, is one change, classified by what the three kinds of Prometheus (not
// scraping native histograms, scraping them, scraping them with always_scrape_classic_histograms)
// ingest before and after, with the series whose queries it breaks.
func TestNativeChanges(t *testing.T) {
	const name = "backend_read_seconds"
	classic := []string{name + "_bucket", name + "_sum", name + "_count"}
	for _, tc := range []struct {
		name     string
		old, new string // the histogram's bucket keys before and after
		sev      Severity
		field    string
		msg      []string // parts of the message
		series   []string
	}{
		{"native added beside classic buckets", classicBuckets, withNative, Breaking, "native",
			[]string{"native buckets added beside the classic ones (schema 3, from bucket_factor 1.1)",
				"scrape_native_histograms: true from 3.8", "instead of backend_read_seconds_bucket, backend_read_seconds_sum, backend_read_seconds_count",
				"always_scrape_classic_histograms: true (scrape_classic_histograms before 3.0)", "does not scrape native histograms reads them as before"},
			classic},
		{"classic buckets replaced by native", classicBuckets, nativeOnly, Breaking, "native",
			[]string{"classic buckets replaced by native ones", "whatever always_scrape_classic_histograms says", `keeps only le="+Inf"`,
				"histogram_quantile(φ, sum(rate(backend_read_seconds[…])))"},
			classic},
		{"native removed, classic kept", withNative, classicBuckets, Breaking, "native",
			[]string{"native buckets removed", "no longer ingests the native series backend_read_seconds",
				"histogram_quantile() without le, histogram_count(), histogram_sum() and histogram_fraction()",
				"ingests backend_read_seconds_bucket, backend_read_seconds_sum and backend_read_seconds_count instead, as a Prometheus that does not scrape native histograms always has"},
			[]string{name}},
		{"native replaced by classic buckets", nativeOnly, classicBuckets, Breaking, "native",
			[]string{"native buckets replaced by classic ones [0.001, 0.01, 0.1, 1]", "no longer ingests the native series",
				"histogram_quantile(φ, sum by (le) (rate(backend_read_seconds_bucket[…])))"},
			[]string{name}},
		{"classic buckets removed, native kept", withNative, nativeOnly, Breaking, "buckets",
			[]string{"classic buckets removed, native ones kept", `keeps only le="+Inf"`,
				"with always_scrape_classic_histograms", "the native series backend_read_seconds reads as before"},
			classic},
		{"classic buckets added to a native histogram", nativeOnly, withNative, Compatible, "buckets",
			[]string{"classic buckets [0.001, 0.01, 0.1, 1] added beside the native ones", "the native series backend_read_seconds is unchanged"},
			nil},
		{"schema changed", withNative, classicBuckets + "    native: {schema: 2}\n", Compatible, "native",
			[]string{"native resolution changed (schema 2 instead of 3 (schema: 2 instead of bucket_factor: 1.1))",
				"at the coarser of the two", "queries are unaffected"},
			nil},
		{"same schema, spelled otherwise", nativeOnly, "    native: {schema: 3}\n", Compatible, "native",
			[]string{"declared as schema: 3 instead of bucket_factor: 1.1, the same schema 3"}, nil},
		{"max_buckets, zero_threshold, min_reset_duration changed", nativeOnly,
			"    native: {bucket_factor: 1.1, max_buckets: 80, zero_threshold: 0, min_reset_duration: 1h}\n", Compatible, "native",
			[]string{"max_buckets 80 instead of 160, zero_threshold 0 instead of 2.938735877055719e-39, min_reset_duration 1h0m0s instead of 0"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := Compare(parse(t, "old.yaml", edit(t, classicBuckets, tc.old)), parse(t, "new.yaml", edit(t, classicBuckets, tc.new)))
			if len(changes) != 1 {
				t.Fatalf("%d changes, want 1:\n%v", len(changes), changes)
			}
			c := changes[0]
			if c.Severity != tc.sev || c.Metric != name || c.Field != tc.field {
				t.Errorf("got %s, want %s: metric %s: %s", c, tc.sev, name, tc.field)
			}
			for _, m := range tc.msg {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q\nlacks %q", c.Message, m)
				}
			}
			if !slices.Equal(c.Series, tc.series) {
				t.Errorf("series %v, want %v", c.Series, tc.series)
			}
		})
	}
}

// TestNativeWithClassicBoundariesChanged: a histogram with both whose classic boundaries change
// and whose native resolution changes in the same edit gets both changes, each as it would
// alone: the boundaries break the _bucket queries, the resolution breaks none.
func TestNativeWithClassicBoundariesChanged(t *testing.T) {
	changes := Compare(parse(t, "old.yaml", edit(t, classicBuckets, withNative)),
		parse(t, "new.yaml", edit(t, classicBuckets, "    buckets: [0.001, 0.01, 1]\n    native: {bucket_factor: 1.1, max_buckets: 100}\n")))
	var got []string
	for _, c := range changes {
		got = append(got, string(c.Severity)+" "+c.Field)
	}
	if want := []string{"compatible native", "breaking buckets"}; !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v:\n%v", got, want, changes)
	}
	if want := []string{"backend_read_seconds_bucket"}; !slices.Equal(changes[1].Series, want) {
		t.Errorf("series %v, want %v", changes[1].Series, want)
	}
}

// TestNativeSeriesOfBreakingChanges: a breaking change to a histogram with native buckets
// touches its native series too, under its own name and every old one, since that is what a
// Prometheus that scrapes native histograms stores; and native buckets added to a renamed
// histogram break the classic series of the old names as well.
func TestNativeSeriesOfBreakingChanges(t *testing.T) {
	renamed := func(src string) string {
		return strings.Replace(src, "name: backend_read_seconds\n", "name: backend_read_duration_seconds\n    renamed_from: [backend_read_seconds]\n", 1)
	}
	withBoth := edit(t, classicBuckets, withNative)
	for _, tc := range []struct {
		name     string
		old, new string
		field    string
		series   []string
	}{
		{"removed", withBoth, edit(t, "  - name: backend_read_seconds\n    section: Backend\n    kind: histogram\n    value_type: double\n    unit: s\n    description: Read latency.\n    labels: [component]\n"+classicBuckets, ""),
			"metric", []string{"backend_read_seconds_bucket", "backend_read_seconds_sum", "backend_read_seconds_count", "backend_read_seconds"}},
		{"old name dropped", renamed(withBoth), strings.Replace(renamed(withBoth), "    renamed_from: [backend_read_seconds]\n", "", 1),
			"renamed_from", []string{"backend_read_seconds_bucket", "backend_read_seconds_sum", "backend_read_seconds_count", "backend_read_seconds"}},
		{"native added to a renamed family", renamed(base), renamed(withBoth), "native",
			[]string{"backend_read_duration_seconds_bucket", "backend_read_duration_seconds_sum", "backend_read_duration_seconds_count",
				"backend_read_seconds_bucket", "backend_read_seconds_sum", "backend_read_seconds_count"}},
		{"native removed from a renamed family", renamed(withBoth), renamed(base), "native",
			[]string{"backend_read_duration_seconds", "backend_read_seconds"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := Compare(parse(t, "old.yaml", tc.old), parse(t, "new.yaml", tc.new))
			i := slices.IndexFunc(changes, func(c Change) bool { return c.Field == tc.field })
			if i < 0 {
				t.Fatalf("no %s change in %v", tc.field, changes)
			}
			if c := changes[i]; c.Severity != Breaking || !slices.Equal(c.Series, tc.series) {
				t.Errorf("%s\nseries %v, want breaking with %v", c, c.Series, tc.series)
			}
		})
	}
}

// TestNativeAddedNamesItsQueries: with -queries, native buckets added beside the classic ones
// name every rule that reads the classic series, and none that reads another family; removed,
// they name the rules that read the native series.
func TestNativeAddedNamesItsQueries(t *testing.T) {
	dir := writeFiles(t, map[string]string{"rules.yaml": `groups:
  - name: backend
    rules:
      - record: backend:read_seconds:p99
        expr: histogram_quantile(0.99, sum by (le) (rate(backend_read_seconds_bucket[5m])))
      - record: backend:read_seconds:mean
        expr: rate(backend_read_seconds_sum[5m]) / rate(backend_read_seconds_count[5m])
      - record: backend:read_seconds:p99_native
        expr: histogram_quantile(0.99, sum(rate(backend_read_seconds[5m])))
      - record: backend:reads
        expr: sum(rate(backend_read_requests_total[5m]))
`})
	lines := func(old, new string) []int {
		var series []string
		for _, c := range Compare(parse(t, "old.yaml", edit(t, classicBuckets, old)), parse(t, "new.yaml", edit(t, classicBuckets, new))) {
			series = append(series, c.Series...)
		}
		uses, skipped, err := FindQueries(dir, series)
		if err != nil || len(skipped) > 0 {
			t.Fatal(err, skipped)
		}
		var out []int
		for _, u := range uses {
			out = append(out, u.Line)
		}
		return out
	}
	if got, want := lines(classicBuckets, withNative), []int{5, 7}; !slices.Equal(got, want) {
		t.Errorf("native added: queries at lines %v, want %v", got, want)
	}
	if got, want := lines(withNative, classicBuckets), []int{9}; !slices.Equal(got, want) {
		t.Errorf("native removed: queries at lines %v, want %v", got, want)
	}
}
