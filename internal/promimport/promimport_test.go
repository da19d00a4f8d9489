package promimport

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
	"github.com/telediag/telediag/internal/scrape"
)

// load decodes a testdata exposition as `instrumentgen import FILE` does.
func load(t testing.TB, path string) []*dto.MetricFamily {
	t.Helper()
	exp, err := scrape.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return exp.Families
}

// decode reads an exposition as `instrumentgen import -` reads stdin.
func decode(t testing.TB, text string) []*dto.MetricFamily {
	t.Helper()
	exp, err := scrape.Open("-", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return exp.Families
}

// importOK imports fams and checks the result as -check would, returning the parsed catalogue.
func importOK(t *testing.T, fams []*dto.MetricFamily, opts Options) (*Result, *catalog.Catalog) {
	t.Helper()
	res, err := Import(fams, opts)
	if err != nil {
		t.Fatal(err)
	}
	cat, _, err := codegen.Build("imported.yaml", res.YAML, codegen.Options{Source: "imported.yaml", Package: "x", Scope: "x"})
	if err != nil {
		t.Fatalf("the imported catalogue does not load and generate: %v\n%s", err, res.YAML)
	}
	return res, cat
}

func skippedReason(res *Result, family string) string {
	for _, s := range res.Skipped {
		if s.Family == family {
			return s.Reason
		}
	}
	return ""
}

func TestImportTextFormat(t *testing.T) {
	res, cat := importOK(t, load(t, "testdata/service.prom"), Options{Source: "testdata/service.prom"})

	type want struct {
		kind    catalog.Kind
		unit    string
		labels  []string
		buckets []float64
		desc    string
	}
	for name, w := range map[string]want{
		"api_request_duration_seconds":     {catalog.KindHistogram, "s", []string{"handler", "method"}, []float64{0.005, 0.05, 0.5}, "Time to answer an API request."},
		"api_requests_total":               {catalog.KindCounter, "1", []string{"code", "handler", "method"}, nil, "API requests answered, by handler, method and code."},
		"cache_hit_ratio":                  {catalog.KindGauge, "1", nil, nil, "Share of lookups the cache answered."},
		"disk_temperature_celsius":         {catalog.KindGauge, "Cel", []string{"disk"}, nil, "Temperature of the data disk."},
		"network_receive_bytes_per_second": {catalog.KindGauge, "By/s", []string{"device"}, nil, "Bytes received per second, smoothed."},
		"queue_depth":                      {catalog.KindGauge, "1", []string{"HTTPMethod", "queue"}, nil, TODOPrefix + "describe queue_depth; its family had no HELP."},
	} {
		m := cat.Metric(name)
		if m == nil {
			t.Errorf("%s not imported", name)
			continue
		}
		if m.Kind != w.kind || m.Unit != w.unit || !slices.Equal(m.LabelKeys(), w.labels) || !slices.Equal(m.Buckets, w.buckets) || m.Description != w.desc {
			t.Errorf("%s: kind %s unit %q labels %v buckets %v description %q; want %s %q %v %v %q", name, m.Kind, m.Unit, m.LabelKeys(), m.Buckets, m.Description, w.kind, w.unit, w.labels, w.buckets, w.desc)
		}
		if m.ValueType != catalog.ValueDouble || !m.Generated() || m.Section != strings.Split(name, "_")[0] {
			t.Errorf("%s: value_type %s, provided_by %q, section %q", name, m.ValueType, m.ProvidedBy, m.Section)
		}
	}
	if m := cat.Metric("api_response_size_bytes"); m == nil || m.Kind != catalog.KindSummary || m.Unit != "By" ||
		!slices.Equal(m.Objectives, []catalog.Objective{{Quantile: 0.5, Error: 0.05}, {Quantile: 0.99, Error: 0.001}}) || m.MaxAge != catalog.DefaultMaxAge {
		t.Errorf("api_response_size_bytes: %+v, want a summary with objectives 0.5: 0.05, 0.99: 0.001 and client_golang's max_age", m)
	}
	if len(cat.Metrics) != 7 || res.Metrics != 7 {
		t.Errorf("imported %d metrics (result says %d), want 7:\n%s", len(cat.Metrics), res.Metrics, res.YAML)
	}
	if len(res.Notes) != 1 || !strings.HasPrefix(res.Notes[0], "api_response_size_bytes: summary with objectives {0.5: 0.05, 0.99: 0.001}: /metrics shows the quantiles, not the errors") {
		t.Errorf("notes %q", res.Notes)
	}
	for family, reason := range map[string]string{
		"legacy_thing": "untyped",
		"target_info":  "the OTel Resource, not a metric",
		"weird_total":  `label "le": label key "le" is reserved`,
	} {
		if got := skippedReason(res, family); !strings.Contains(got, reason) {
			t.Errorf("%s: skipped for %q, want a reason containing %q", family, got, reason)
		}
	}
	if len(res.Skipped) != 3 || len(res.Runtime) != 2 {
		t.Errorf("skipped %v and runtime families %v, want 3 and 2", res.Skipped, res.Runtime)
	}
	// Each label once, with a placeholder that says it must be written, and its values as a
	// comment, never as an enum.
	for _, l := range cat.Labels {
		if l.Description != TODOPrefix+"write what the label "+l.Key+" means." || len(l.Enum) != 0 {
			t.Errorf("label %s: description %q, enum %v", l.ID, l.Description, l.Enum)
		}
	}
	if l := labelByKey(cat, "HTTPMethod"); l == nil || l.ID != "httpmethod" {
		t.Errorf("label HTTPMethod declared as %+v, want ID httpmethod with key HTTPMethod", l)
	}
	for _, want := range []string{
		"# seen: \"200\", \"201\", \"500\" (one scrape: not necessarily every value)\n  code:\n",
		"# Metric catalogue imported by `instrumentgen import` from testdata/service.prom.",
		"unit: \"1\" # no unit in the name or UNIT\n",
	} {
		if !bytes.Contains(res.YAML, []byte(want)) {
			t.Errorf("the catalogue lacks %q:\n%s", want, res.YAML)
		}
	}
}

func labelByKey(cat *catalog.Catalog, key string) *catalog.Label {
	for _, l := range cat.Labels {
		if l.Key == key {
			return l
		}
	}
	return nil
}

// TestImportOpenMetrics: an OpenMetrics counter comes back under the name PromQL queries, with
// its _total, and UNIT gives the unit, also one no suffix would tell.
func TestImportOpenMetrics(t *testing.T) {
	exp, err := scrape.Open("testdata/service.om", nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Format.FormatType() != expfmt.TypeOpenMetrics {
		t.Fatalf("format %s: the file was not read as OpenMetrics", exp.Format)
	}
	_, cat := importOK(t, exp.Families, Options{})
	for name, unit := range map[string]string{"jobs_total": "1", "job_duration_seconds": "s", "queue_backlog_jobs": "{jobs}", "build_info": "1"} {
		m := cat.Metric(name)
		if m == nil {
			t.Errorf("%s not imported; got %v", name, names(cat))
			continue
		}
		if m.Unit != unit {
			t.Errorf("%s: unit %q, want %q", name, m.Unit, unit)
		}
	}
	if m := cat.Metric("jobs_total"); m == nil || m.Kind != catalog.KindCounter || !slices.Equal(m.LabelKeys(), []string{"queue"}) {
		t.Errorf("jobs_total: %+v", m)
	}
}

func names(cat *catalog.Catalog) []string {
	var out []string
	for _, m := range cat.Metrics {
		out = append(out, m.Name)
	}
	return out
}

// TestIncludeRuntime lists go_*, process_* and promhttp_* as provided_by entries, summaries
// included: they are listed, never generated.
func TestIncludeRuntime(t *testing.T) {
	fams := load(t, "testdata/service.prom")
	fams = append(fams, &dto.MetricFamily{Name: ptr("go_gc_duration_seconds"), Help: ptr("GC pauses."), Type: dto.MetricType_SUMMARY.Enum(),
		Metric: []*dto.Metric{{Summary: &dto.Summary{SampleCount: ptr(uint64(1)), SampleSum: ptr(0.1)}}}})
	res, cat := importOK(t, fams, Options{IncludeRuntime: true})
	for name, provider := range map[string]string{"go_goroutines": catalog.ProvidedByGoCollector, "process_cpu_seconds_total": catalog.ProvidedByProcessCollector, "go_gc_duration_seconds": catalog.ProvidedByGoCollector} {
		m := cat.Metric(name)
		if m == nil || m.ProvidedBy != provider || m.ValueType != "" {
			t.Errorf("%s: %+v, want provided_by %s", name, m, provider)
		}
	}
	if m := cat.Metric("go_gc_duration_seconds"); m == nil || m.Kind != catalog.KindSummary || m.Unit != "s" {
		t.Errorf("go_gc_duration_seconds: %+v", m)
	}
	if len(res.Runtime) != 0 {
		t.Errorf("runtime families left out with IncludeRuntime: %v", res.Runtime)
	}
}

func ptr[T any](v T) *T { return &v }

// TestDeterministic: the same exposition gives the same bytes, whatever order the families and
// series come in.
func TestDeterministic(t *testing.T) {
	fams := load(t, "testdata/service.prom")
	first, err := Import(fams, Options{Source: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		shuffled := slices.Clone(fams)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for _, f := range shuffled {
			rng.Shuffle(len(f.Metric), func(i, j int) { f.Metric[i], f.Metric[j] = f.Metric[j], f.Metric[i] })
		}
		again, err := Import(shuffled, Options{Source: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.YAML, again.YAML) {
			t.Fatalf("a second import differs:\n%s\n---\n%s", first.YAML, again.YAML)
		}
	}
}

// TestLeftOutByTheValidator: what the catalogue cannot hold is left out with the validator's
// own reason, and the rest still makes a valid catalogue.
func TestLeftOutByTheValidator(t *testing.T) {
	text := `# HELP a_b One, whose Go identifier collides with a__b's, which sorts first.
# TYPE a_b counter
a_b 1
# HELP a__b Two.
# TYPE a__b counter
a__b 1
# HELP bad_label A label the exporter would rewrite.
# TYPE bad_label gauge
bad_label{a__b="x"} 1
# HELP h_seconds A histogram with only +Inf.
# TYPE h_seconds histogram
h_seconds_bucket{le="+Inf"} 1
h_seconds_sum 1
h_seconds_count 1
# HELP mixed_seconds Series with different buckets.
# TYPE mixed_seconds histogram
mixed_seconds_bucket{x="1",le="1"} 1
mixed_seconds_bucket{x="1",le="+Inf"} 1
mixed_seconds_sum{x="1"} 1
mixed_seconds_count{x="1"} 1
mixed_seconds_bucket{x="2",le="2"} 1
mixed_seconds_bucket{x="2",le="+Inf"} 1
mixed_seconds_sum{x="2"} 1
mixed_seconds_count{x="2"} 1
`
	// internal/scrape escapes a UTF-8 name to underscores; handed to Import as it is, it is
	// refused.
	fams := append(decode(t, text), &dto.MetricFamily{Name: ptr("dotted.name"), Help: ptr("A UTF-8 name the exporter would rewrite."),
		Type: dto.MetricType_GAUGE.Enum(), Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: ptr(1.0)}}}})
	res, cat := importOK(t, fams, Options{})
	for family, reason := range map[string]string{
		"a_b":         "Go identifier AB is also generated for imported.yaml",
		"dotted.name": "is not kept verbatim",
		"bad_label":   `label "a__b": label key "a__b" would be rewritten`,
		"h_seconds":   "no finite bucket",
	} {
		if got := skippedReason(res, family); !strings.Contains(got, reason) {
			t.Errorf("%s: skipped for %q, want a reason containing %q", family, got, reason)
		}
	}
	if !slices.Equal(names(cat), []string{"a__b", "mixed_seconds"}) {
		t.Errorf("imported %v", names(cat))
	}
	if m := cat.Metric("mixed_seconds"); m == nil || !slices.Equal(m.Buckets, []float64{1, 2}) {
		t.Errorf("mixed_seconds: %+v", m)
	}
	if !bytes.Contains(res.YAML, []byte("# the series had different buckets: this is their union")) {
		t.Errorf("no note on the union of buckets:\n%s", res.YAML)
	}
}

// TestNothingToImport is an error that says why.
func TestNothingToImport(t *testing.T) {
	for name, tc := range map[string]struct {
		text string
		want string
	}{
		"empty":        {"", "the exposition has no metric family"},
		"only runtime": {"# TYPE go_goroutines gauge\ngo_goroutines 1\n", "only 1 runtime families"},
		"only untyped": {"# TYPE s untyped\ns 1\n", "all 1 families left out"},
	} {
		_, err := Import(decode(t, tc.text), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", name, err, tc.want)
		}
	}
	// With -include-runtime, runtime families alone still make no catalogue: the generator
	// wants a metric of the service's own.
	fams := decode(t, "# TYPE go_goroutines gauge\ngo_goroutines 1\n")
	if _, err := Import(fams, Options{IncludeRuntime: true}); err == nil || !strings.Contains(err.Error(), "only 1 runtime families") {
		t.Errorf("runtime families alone, IncludeRuntime: %v", err)
	}
}

// TestSeenValuesAreSafeComments: label values cannot break out of their comment, and a
// high-cardinality label is summarised.
func TestSeenValuesAreSafeComments(t *testing.T) {
	var b strings.Builder
	b.WriteString("# HELP x_total X.\n# TYPE x_total counter\n")
	b.WriteString(`x_total{v="line\nbreak # not: yaml"} 1` + "\n")
	for i := range 30 {
		b.WriteString(`x_total{v="` + strings.Repeat("v", i) + `"} 1` + "\n")
	}
	fams := decode(t, b.String())
	res, _ := importOK(t, fams, Options{})
	if !bytes.Contains(res.YAML, []byte(`"line\nbreak # not: yaml"`)) || !bytes.Contains(res.YAML, []byte(" and 19 more (one scrape")) {
		t.Errorf("seen comment:\n%s", res.YAML)
	}
}

// TestUnitTable: the words otlptranslator writes for the catalogue's units read back to them.
func TestUnitTable(t *testing.T) {
	units := newUnitTable()
	for name, want := range map[string]string{
		"x_seconds": "s", "x_milliseconds": "ms", "x_bytes": "By", "x_kibibytes": "KiBy", "x_bytes_per_second": "By/s",
		"x_ratio": "1", "x_percent": "%", "x_celsius": "Cel", "x_hertz": "Hz", "x_meters": "m", "x_minutes": "min",
		"x_seconds_total": "s", "x_days": "d",
	} {
		if got, ok := units.fromName(name, true); !ok || got != want {
			t.Errorf("%s: %q, %v; want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"x_total", "seconds", "x_requests_total", "x_ms"} {
		if got, ok := units.fromName(name, true); ok {
			t.Errorf("%s: unit %q from a word that is not a unit", name, got)
		}
	}
	if got, ok := units.fromName("x_seconds_total", false); ok {
		t.Errorf("a gauge ending in _total: unit %q", got)
	}
	for word, ucum := range units {
		if err := catalog.ValidateUnit(ucum); err != nil {
			t.Errorf("%s → %q: %v", word, ucum, err)
		}
	}
}

// FuzzImport: on any input the importer gives a clear error or a catalogue that loads as
// -check loads it; never a panic. Import itself renders the catalogue with the generator and
// returns an error naming a bug when that fails, so a catalogue the generator refuses fails
// here too. (Rendering is most of an execution's time: the seeds are small so that the fuzzer
// makes progress under coverage instrumentation.)
func FuzzImport(f *testing.F) {
	for _, seed := range []string{
		"# HELP a_total A.\n# TYPE a_total counter\na_total{b=\"c\"} 1\n",
		"# TYPE g gauge\ng{HTTPMethod=\"GET\",x=\"\\n\"} 1\n# TYPE go_goroutines gauge\ngo_goroutines 1\n",
		"# HELP h_seconds H.\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"0.1\"} 1\nh_seconds_bucket{le=\"+Inf\"} 1\nh_seconds_sum 1\nh_seconds_count 1\n",
		"# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n# TYPE u untyped\nu 1\n",
		"# TYPE jobs counter\n# HELP jobs Jobs.\njobs_total{q=\"a\"} 1\n# TYPE q_jobs gauge\n# UNIT q_jobs jobs\nq_jobs 1\n# EOF\n",
	} {
		f.Add([]byte(seed), false)
	}
	f.Add([]byte("# TYPE go_gc_duration_seconds summary\ngo_gc_duration_seconds_sum 1\ngo_gc_duration_seconds_count 1\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, runtime bool) {
		// Read as OpenMetrics when it ends with # EOF. expfmt's OpenMetrics decoder (an ABNF
		// parse per line) takes time quadratic in a line's length, ~0.1 s for 400 bytes: long
		// inputs would stall the fuzzer in it, not in the importer.
		if len(data) > 1024 && bytes.HasSuffix(bytes.TrimRight(data, "\n"), []byte("# EOF")) {
			t.Skip("OpenMetrics input over 1 KiB")
		}
		exp, err := scrape.Open("-", bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error")
			}
			return
		}
		res, err := Import(exp.Families, Options{Source: "fuzz", IncludeRuntime: runtime})
		if err != nil {
			if !strings.Contains(err.Error(), "nothing to import") {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		cat, err := catalog.Parse("fuzz.yaml", res.YAML)
		if err != nil {
			t.Fatalf("invalid catalogue: %v\n%s", err, res.YAML)
		}
		if len(cat.Metrics) != res.Metrics || len(cat.Labels) != res.Labels {
			t.Fatalf("%d metrics and %d labels, the result says %d and %d", len(cat.Metrics), len(cat.Labels), res.Metrics, res.Labels)
		}
	})
}

// TestBucketsReadBack: bounds of every magnitude are written so that the loader reads back the
// same float64s.
func TestBucketsReadBack(t *testing.T) {
	want := []float64{-5, 0, 1e-07, 0.1 + 0.2, 1, 3.5, 1e+06, 1.7976931348623157e+308}
	var b strings.Builder
	b.WriteString("# HELP h_seconds H.\n# TYPE h_seconds histogram\n")
	for _, v := range want {
		b.WriteString(`h_seconds_bucket{le="` + strconv.FormatFloat(v, 'g', -1, 64) + `"} 0` + "\n")
	}
	b.WriteString("h_seconds_bucket{le=\"+Inf\"} 0\nh_seconds_sum 0\nh_seconds_count 0\n")
	fams := decode(t, b.String())
	_, cat := importOK(t, fams, Options{})
	if got := cat.Metric("h_seconds").Buckets; !slices.Equal(got, want) {
		t.Errorf("buckets read back as %v, want %v", got, want)
	}
}

// TestImportSummaries: a summary comes over as a summary, its objectives the quantiles its
// series served, with min(q, 1-q)/10 as their errors (said in a comment and a note); quantiles
// 0 and 1, which the catalogue cannot declare, are named; a summary without quantiles is one of
// count and sum only.
func TestImportSummaries(t *testing.T) {
	res, cat := importOK(t, decode(t, `# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds summary
rpc_seconds{method="get",quantile="0"} 0.001
rpc_seconds{method="get",quantile="0.5"} 0.01
rpc_seconds{method="get",quantile="0.9"} 0.02
rpc_seconds{method="get",quantile="0.999"} 0.5
rpc_seconds{method="get",quantile="1"} 0.9
rpc_seconds_sum{method="get"} 3
rpc_seconds_count{method="get"} 100
rpc_seconds{method="put",quantile="0.5"} 0.01
rpc_seconds_sum{method="put"} 1
rpc_seconds_count{method="put"} 10
# HELP batch_items Items per batch.
# TYPE batch_items summary
batch_items_sum 10
batch_items_count 2
`), Options{})
	rpc := cat.Metric("rpc_seconds")
	want := []catalog.Objective{{Quantile: 0.5, Error: 0.05}, {Quantile: 0.9, Error: 0.01}, {Quantile: 0.999, Error: 0.0001}}
	if rpc == nil || rpc.Kind != catalog.KindSummary || !slices.Equal(rpc.Objectives, want) || !slices.Equal(rpc.LabelKeys(), []string{"method"}) {
		t.Errorf("rpc_seconds: %+v, want objectives %v and the label method", rpc, want)
	}
	if b := cat.Metric("batch_items"); b == nil || b.Kind != catalog.KindSummary || b.Objectives != nil {
		t.Errorf("batch_items: %+v, want a summary without objectives", b)
	}
	for _, w := range []string{
		"    # allowed errors are not on /metrics: min(q, 1-q)/10 each, client_golang's own 0.5: 0.05, 0.9: 0.01, 0.99: 0.001;\n",
		"    objectives: {0.5: 0.05, 0.9: 0.01, 0.999: 0.0001} # served but not declarable as objectives: quantile 0, 1\n",
	} {
		if !bytes.Contains(res.YAML, []byte(w)) {
			t.Errorf("the catalogue lacks %q:\n%s", w, res.YAML)
		}
	}
	if len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "rpc_seconds: summary with objectives {0.5: 0.05, 0.9: 0.01, 0.999: 0.0001}") ||
		!strings.Contains(res.Notes[0], "max_age client_golang's default 10m;") || !strings.Contains(res.Notes[0], "quantile 0, 1 left out") {
		t.Errorf("notes %q", res.Notes)
	}
}
