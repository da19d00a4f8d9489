package codeimport

import (
	"bufio"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/scrape"
)

// loadCode loads patterns in dir, a testdata module, as `instrumentgen import` run there does.
func loadCode(t *testing.T, dir string, patterns ...string) *Code {
	t.Helper()
	code, err := Load(context.Background(), dir, patterns)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// scrapeFile decodes a testdata exposition as `instrumentgen import FILE` does.
func scrapeFile(t *testing.T, path string) []*dto.MetricFamily {
	t.Helper()
	exp, err := scrape.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return exp.Families
}

// importOK imports and holds the result to what -check accepts and to what the generator
// writes from it: the catalogue, and the generated Go source.
func importOK(t *testing.T, code *Code, fams []*dto.MetricFamily, opts Options) (*Result, *catalog.Catalog, []byte) {
	t.Helper()
	res, err := Import(code, fams, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := codegen.Build("imported.yaml", res.YAML, codegen.CheckOptions("imported.yaml")); err != nil {
		t.Fatalf("instrumentgen -check refuses the imported catalogue: %v\n%s", err, res.YAML)
	}
	cat, out, err := codegen.Build("imported.yaml", res.YAML, codegen.Options{Source: "imported.yaml", Package: "shopmetrics", Scope: "example.com/shop/shopmetrics"})
	if err != nil {
		t.Fatalf("the imported catalogue does not generate: %v\n%s", err, res.YAML)
	}
	return res, cat, out.Go
}

// lineOf is the line of file that holds marker, so that expected positions follow the testdata.
func lineOf(t *testing.T, file, marker string) int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if strings.Contains(sc.Text(), marker) {
			return n
		}
	}
	t.Fatalf("%s has no line with %q", file, marker)
	return 0
}

// wantNote requires a note that starts with FILE:LINE of the marker and holds each of parts.
func wantNote(t *testing.T, notes []string, dir, file, marker string, parts ...string) {
	t.Helper()
	prefix := file + ":" + strconv.Itoa(lineOf(t, filepath.Join(dir, file), marker)) + ": "
	for _, n := range notes {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(n, p)
		}
		if ok {
			return
		}
	}
	t.Errorf("no note %q with %q among:\n%s", prefix, parts, strings.Join(notes, "\n"))
}

// metricOf returns the catalogue's family, failing the test without it.
func metricOf(t *testing.T, cat *catalog.Catalog, name string) *catalog.Metric {
	t.Helper()
	m := cat.Metric(name)
	if m == nil {
		t.Fatalf("%s is not in the catalogue", name)
	}
	return m
}

// methodParams are the parameter names of the generated method typeName.method, in order.
func methodParams(t *testing.T, src []byte, typeName, method string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "instruments_gen.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Recv == nil || fd.Name.Name != method || len(fd.Recv.List) != 1 {
			continue
		}
		recv := fd.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); !ok || id.Name != typeName {
			continue
		}
		var names []string
		for _, field := range fd.Type.Params.List {
			for _, n := range field.Names {
				names = append(names, n.Name)
			}
		}
		return names
	}
	t.Fatalf("the generated code has no method %s.%s", typeName, method)
	return nil
}

const shop = "testdata/shop"

// TestShopFromCode imports the shop service from its code alone: package-level metrics,
// promauto.With(reg), a *Vec with labels out of order, gauges moved and set (one through a
// parameter, one from another package), the *Func forms, a custom collector, every bucket
// generator, and what the code computes at run time, named at its FILE:LINE.
func TestShopFromCode(t *testing.T) {
	code := loadCode(t, shop, "./...")
	res, cat, goSrc := importOK(t, code, nil, Options{})

	// The labels in the order the code declares them, and the generated methods with them.
	if got := metricOf(t, cat, "shop_requests_total").LabelKeys(); !slices.Equal(got, []string{"type", "metric_name"}) {
		t.Errorf("shop_requests_total labels %q, want the code's order [type metric_name]", got)
	}
	if got := methodParams(t, goSrc, "ShopRequestsTotal", "Add"); !slices.Equal(got, []string{"ctx", "incr", "typeValue", "metricName"}) {
		t.Errorf("ShopRequestsTotal.Add takes %q, want the labels in the code's order", got)
	}
	if got := methodParams(t, goSrc, "ShopQueueDepth", "Add"); !slices.Equal(got, []string{"ctx", "incr", "queue", "priority"}) {
		t.Errorf("ShopQueueDepth.Add takes %q", got)
	}
	if got := metricOf(t, cat, "shop_cache_hits_total").LabelKeys(); !slices.Equal(got, []string{"result", "cache", "tier"}) {
		t.Errorf("shop_cache_hits_total labels %q, want the Desc's order, then its const label", got)
	}
	if got := metricOf(t, cat, "shop_request_duration_seconds").LabelKeys(); !slices.Equal(got, []string{"zone", "az"}) {
		t.Errorf("labels from a variable nothing writes: %q, want [zone az]", got)
	}

	type want struct {
		kind       catalog.Kind
		observable bool
		valueType  catalog.ValueType
	}
	for name, w := range map[string]want{
		"shop_requests_total":           {catalog.KindCounter, false, catalog.ValueInt},       // only Inc
		"shop_jobs_total":               {catalog.KindCounter, false, catalog.ValueDouble},    // Add(0.5), promauto.With(reg)
		"shop_never_total":              {catalog.KindCounter, false, catalog.ValueDouble},    // no recording seen
		"shop_in_flight_requests":       {catalog.KindUpDownCounter, false, catalog.ValueInt}, // Inc/Dec in package main
		"shop_queue_depth":              {catalog.KindUpDownCounter, false, catalog.ValueInt}, // Add/Sub via f := promauto.With(reg)
		"shop_load_ratio":               {catalog.KindUpDownCounter, false, catalog.ValueInt}, // Inc/Dec through a parameter
		"shop_temperature_celsius":      {catalog.KindGauge, false, catalog.ValueDouble},      // Set(21.5)
		"shop_uptime_seconds":           {catalog.KindGauge, true, catalog.ValueDouble},       // NewGaugeFunc
		"shop_orders_total":             {catalog.KindCounter, true, catalog.ValueDouble},     // NewCounterFunc
		"shop_cache_entries":            {catalog.KindGauge, true, catalog.ValueDouble},       // NewDesc, GaugeValue
		"shop_cache_hits_total":         {catalog.KindCounter, true, catalog.ValueDouble},     // NewDesc, CounterValue
		"shop_wait_seconds":             {catalog.KindHistogram, false, catalog.ValueDouble},  // observed by a timer
		"shop_native_seconds":           {catalog.KindHistogram, false, catalog.ValueDouble},  // classic and native buckets
		"shop_native_only_bytes":        {catalog.KindHistogram, false, catalog.ValueDouble},  // native buckets alone
		"shop_request_size_bytes":       {catalog.KindHistogram, false, catalog.ValueDouble},  // LinearBuckets
		"shop_span_seconds":             {catalog.KindHistogram, false, catalog.ValueDouble},  // ExponentialBucketsRange
		"shop_default_seconds":          {catalog.KindHistogram, false, catalog.ValueDouble},  // no Buckets
		"shop_request_duration_seconds": {catalog.KindHistogram, false, catalog.ValueDouble},  // DefBuckets
	} {
		m := metricOf(t, cat, name)
		if m.Kind != w.kind || m.Observable != w.observable || m.ValueType != w.valueType {
			t.Errorf("%s: kind %s observable %v value_type %s, want %s %v %s", name, m.Kind, m.Observable, m.ValueType, w.kind, w.observable, w.valueType)
		}
	}

	// Buckets as client_golang computes them, bit for bit; the generators as the catalogue's
	// own forms.
	for name, b := range map[string][]float64{
		"shop_request_duration_seconds": prometheus.DefBuckets,
		"shop_default_seconds":          prometheus.DefBuckets,
		"shop_request_size_bytes":       prometheus.LinearBuckets(100, 100, 5),
		"shop_wait_seconds":             prometheus.ExponentialBuckets(0.001, 2, 10),
		"shop_span_seconds":             prometheus.ExponentialBucketsRange(0.01, 10, 6),
		"shop_native_seconds":           {0.1, 1, 10},
	} {
		if got := metricOf(t, cat, name).Buckets; !slices.Equal(got, b) {
			t.Errorf("%s buckets %v, want %v", name, got, b)
		}
	}
	for _, form := range []string{"buckets: {linear: {start: 100, width: 100, count: 5}}", "buckets: {exponential: {start: 0.001, factor: 2, count: 10}}", "# prometheus.ExponentialBucketsRange(0.01, 10, 6)", "# prometheus.DefBuckets"} {
		if !strings.Contains(string(res.YAML), form) {
			t.Errorf("the catalogue has no %q:\n%s", form, res.YAML)
		}
	}

	// What the code computes at run time, at its FILE:LINE, with what the import did.
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `Help:    fmt.Sprintf(`, "metric shop_computed_seconds: Help computed at run time", "a TODO description is written")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `Buckets: prometheus.LinearBuckets(*bucketStart`, "metric shop_computed_seconds: Buckets computed at run time", "left out")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `strings.Split(*extraLabels`, "metric shop_computed_labels_total: labels computed at run time (strings.Split(*extraLabels, \",\"))", "left out")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `Name: *prefix + "_computed_total"`, "promauto.NewCounter: name computed at run time", "left out")
	// Native buckets: the options the catalogue carries as native:, beside classic buckets or
	// alone; those it does not, noted where they are.
	for name, want := range map[string]catalog.Native{
		"shop_native_seconds":    {Schema: 3, BucketFactor: 1.1, MaxBuckets: 160, ZeroThreshold: catalog.DefaultNativeZeroThreshold},
		"shop_native_only_bytes": {Schema: 0, BucketFactor: 2, MaxBuckets: 100, ZeroThreshold: 0, MinResetDuration: time.Hour},
	} {
		m := metricOf(t, cat, name)
		if m.Native == nil || m.Native.Schema != want.Schema || m.Native.BucketFactor != want.BucketFactor || m.Native.MaxBuckets != want.MaxBuckets ||
			m.Native.ZeroThreshold != want.ZeroThreshold || m.Native.MinResetDuration != want.MinResetDuration {
			t.Errorf("%s: native %+v, want %+v", name, m.Native, want)
		}
	}
	if m := metricOf(t, cat, "shop_native_only_bytes"); len(m.Buckets) != 0 {
		t.Errorf("shop_native_only_bytes: buckets %v, want none (client_golang serves native buckets alone)", m.Buckets)
	}
	if entry := entryText(res.YAML, "shop_native_only_bytes"); !strings.Contains(entry, "native:\n      bucket_factor: 2\n      max_buckets: 100\n      zero_threshold: 0\n      min_reset_duration: 1h0m0s\n") {
		t.Errorf("shop_native_only_bytes:\n%s", entry)
	}
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `NativeHistogramMaxZeroThreshold: 0.001`, "metric shop_native_only_bytes: NativeHistogramMaxZeroThreshold: 0.001 is not carried: telediag never widens the zero threshold")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `NativeHistogramMaxExemplars:     10`, "metric shop_native_only_bytes: NativeHistogramMaxExemplars: 10 is not carried")
	for _, name := range []string{"shop_computed_seconds", "shop_computed_labels_total"} {
		if cat.Metric(name) != nil {
			t.Errorf("%s is in the catalogue, though what it needs is computed and no scrape shows it", name)
		}
	}
	if !strings.Contains(string(res.YAML), "# metrics/metrics.go:"+strconv.Itoa(lineOf(t, filepath.Join(shop, "metrics/metrics.go"), "var Requests ="))+": promauto.NewCounterVec\n") {
		t.Errorf("the catalogue does not say where shop_requests_total is defined:\n%s", res.YAML)
	}

	// Summaries keep the code's objectives and window.
	if m := metricOf(t, cat, "shop_payload_bytes"); m.Kind != catalog.KindSummary || len(m.Objectives) != 2 || m.MaxAge != 5*time.Minute {
		t.Errorf("shop_payload_bytes: %s %v %v, want a summary with the code's objectives and max_age", m.Kind, m.Objectives, m.MaxAge)
	}
	if entry := entryText(res.YAML, "shop_payload_bytes"); !strings.Contains(entry, "objectives: {0.5: 0.05, 0.99: 0.001}") || !strings.Contains(entry, "max_age: 5m") {
		t.Errorf("shop_payload_bytes:\n%s", entry)
	}

	// Importing again gives the same bytes.
	again, err := Import(loadCode(t, shop, "./..."), nil, Options{})
	if err != nil || string(again.YAML) != string(res.YAML) {
		t.Errorf("a second import differs (%v)", err)
	}
}

// TestShopWithScrape imports the shop from its code and a scrape: the code decides kinds and
// label order, the scrape gives what the code computes (help, buckets, label names), the
// families only the scrape has come over as a scrape import writes them, and the families
// nothing has served yet are still written, and named.
func TestShopWithScrape(t *testing.T) {
	code := loadCode(t, shop, "./...")
	res, cat, _ := importOK(t, code, scrapeFile(t, "testdata/shop.prom"), Options{Source: "testdata/shop.prom"})

	computed := metricOf(t, cat, "shop_computed_seconds")
	if computed.Description != "Computed with a start of 2." || !slices.Equal(computed.Buckets, []float64{2, 3, 4}) {
		t.Errorf("shop_computed_seconds: %q %v, want the scrape's help and buckets", computed.Description, computed.Buckets)
	}
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `Help:    fmt.Sprintf(`, "Help computed at run time", "the scrape's HELP is written")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `Buckets: prometheus.LinearBuckets(*bucketStart`, "Buckets computed at run time", "the scrape's buckets are written")
	if got := metricOf(t, cat, "shop_computed_labels_total").LabelKeys(); !slices.Equal(got, []string{"host", "zone"}) {
		t.Errorf("labels the code computes: %q, want the scrape's, sorted", got)
	}
	wantNote(t, res.Notes, shop, "metrics/metrics.go", `strings.Split(*extraLabels`, "labels computed at run time", "the scrape's label names are written, sorted (host, zone)")

	// The code decides: the scrape serves a gauge and sorted labels.
	if m := metricOf(t, cat, "shop_in_flight_requests"); m.Kind != catalog.KindUpDownCounter {
		t.Errorf("shop_in_flight_requests: %s, want the code's updowncounter over the scrape's gauge", m.Kind)
	}
	if got := metricOf(t, cat, "shop_requests_total").LabelKeys(); !slices.Equal(got, []string{"type", "metric_name"}) {
		t.Errorf("shop_requests_total labels %q, want the code's order over the scrape's", got)
	}

	// Only the scrape has them: imported as a scrape import does, with a word.
	for _, name := range []string{"shop_legacy_items", "shop_computed_total"} {
		metricOf(t, cat, name)
	}
	if res.FromScrape != 2 || res.FromCode != res.Metrics-2 {
		t.Errorf("%d from the code and %d from the scrape of %d", res.FromCode, res.FromScrape, res.Metrics)
	}
	wantLine(t, res.Notes, "imported shop_computed_total, shop_legacy_items from the scrape alone")
	wantLine(t, res.Notes, "left out go_goroutines: a family of client_golang's Go collector")
	if !strings.Contains(string(res.YAML), "kind: gauge # or updowncounter") {
		t.Errorf("the scrape-only gauge lost the scrape import's comment:\n%s", res.YAML)
	}
	if !strings.Contains(string(res.YAML), "# seen: \"cpu\"") {
		t.Errorf("no seen comment from the scrape:\n%s", res.YAML)
	}

	// Never served: still written, and named.
	metricOf(t, cat, "shop_never_total")
	wantNote(t, res.Notes, shop, "metrics/metrics.go", "var Never =", "metric shop_never_total: not in the scrape: written from the code")
	if !strings.Contains(string(res.YAML), "Not in the scrape: nothing has served it yet.") {
		t.Errorf("the never-served family has no comment:\n%s", res.YAML)
	}
	metricOf(t, cat, "shop_payload_bytes")
}

// TestPrefixedByAWrapper: the server's families are registered on the registerer NewServer is
// given, which a main outside the packages loaded wraps with WrapRegistererWithPrefix("prod_").
// The scrape serves them behind the prefix; the import says so at each definition, and in its
// entry, instead of calling them never served.
func TestPrefixedByAWrapper(t *testing.T) {
	code := loadCode(t, shop, "./metrics")
	res, cat, _ := importOK(t, code, scrapeFile(t, "testdata/shop-prefixed.prom"), Options{Source: "testdata/shop-prefixed.prom"})
	for _, tc := range []struct{ name, marker, served string }{
		{"shop_jobs_total", `Name: "shop_jobs_total"`, "prod_shop_jobs_total"},
		{"shop_load_ratio", `Name: "shop_load_ratio"`, "prod_shop_load_ratio"},
	} {
		wantNote(t, res.Notes, shop, "metrics/server.go", tc.marker, "metric "+tc.name+": not in the scrape, which serves "+tc.served+",",
			"WrapRegistererWithPrefix", "Write the full name in its options")
		head := regexp.MustCompile(`# Not in the scrape, which serves ` + tc.served + `: its name behind a prefix\?\n(\s*#.*\n)*\s*- name: ` + tc.name + `\n`)
		if !head.Match(res.YAML) {
			t.Errorf("%s's entry has no comment naming %s:\n%s", tc.name, tc.served, res.YAML)
		}
		metricOf(t, cat, tc.served) // still imported, from the scrape alone
	}
	// Nothing served ends with its name: never served, as before.
	wantNote(t, res.Notes, shop, "metrics/server.go", `Name: "shop_queue_depth"`, "metric shop_queue_depth: not in the scrape: written from the code")
}

// entryText is the text of a family's entry in a catalogue, from its name to the next entry.
func entryText(yaml []byte, name string) string {
	_, rest, ok := strings.Cut(string(yaml), "- name: "+name+"\n")
	if !ok {
		return ""
	}
	entry, _, _ := strings.Cut(rest, "- name: ")
	return entry
}

// TestFilterHoldsTheCode: -include and -exclude choose the code's families as they choose a
// scrape's, and each one left out is named with the flag.
func TestFilterHoldsTheCode(t *testing.T) {
	exclude, err := catalog.CompilePattern("shop_cache_.*")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Scrape: promimport.Options{Filter: promimport.Filter{Exclude: []catalog.Pattern{exclude}}}}
	res, cat, _ := importOK(t, loadCode(t, shop, "./..."), nil, opts)
	for _, name := range []string{"shop_cache_entries", "shop_cache_hits_total"} {
		if cat.Metric(name) != nil {
			t.Errorf("%s is imported, though -exclude matches it", name)
		}
	}
	wantNote(t, res.Notes, shop, "metrics/collector.go", `size: prometheus.NewDesc`, "metric shop_cache_entries: left out: matches -exclude \"shop_cache_.*\"")
	metricOf(t, cat, "shop_requests_total")
}

// wantLine requires a line that holds part.
func wantLine(t *testing.T, lines []string, part string) {
	t.Helper()
	for _, l := range lines {
		if strings.Contains(l, part) {
			return
		}
	}
	t.Errorf("no line with %q among:\n%s", part, strings.Join(lines, "\n"))
}

const edge = "testdata/edge"

// TestEdge follows metrics further than a literal at their constructor: options in a variable,
// client_golang's V2 constrained labels, curried vectors, a gauge set through a method value, a
// gauge a function returns, integers converted to float64, a collector's const histogram and
// Descs whose kind the code does not show.
func TestEdge(t *testing.T) {
	code := loadCode(t, edge, ".")
	res, cat, goSrc := importOK(t, code, nil, Options{})
	type want struct {
		kind       catalog.Kind
		observable bool
		valueType  catalog.ValueType
		labels     []string
	}
	for name, w := range map[string]want{
		"edge_pool_size":             {catalog.KindGauge, false, catalog.ValueInt, []string{"pool"}},     // options in a variable; GetMetricWithLabelValues, Set(4)
		"edge_v2_total":              {catalog.KindCounter, false, catalog.ValueInt, []string{"b", "a"}}, // V2 ConstrainedLabels
		"edge_curried_total":         {catalog.KindCounter, false, catalog.ValueInt, []string{"z", "a"}}, // MustCurryWith
		"edge_last_duration_seconds": {catalog.KindGauge, false, catalog.ValueDouble, nil},               // ObserverFunc(g.Set)
		"edge_queue_items":           {catalog.KindUpDownCounter, false, catalog.ValueInt, nil},          // returned by newQueue
		"edge_untyped":               {catalog.KindGauge, true, catalog.ValueDouble, nil},                // NewUntypedFunc
		"edge_read_bytes_total":      {catalog.KindCounter, false, catalog.ValueInt, nil},                // Add(float64(n))
		"edge_busy_seconds_total":    {catalog.KindCounter, false, catalog.ValueDouble, nil},             // Add(d.Seconds())
		"edge_mixed":                 {catalog.KindGauge, false, catalog.ValueInt, nil},                  // Set and Inc
		"edge_idle":                  {catalog.KindGauge, false, catalog.ValueDouble, nil},               // only registered
		"edge_batch_seconds":         {catalog.KindHistogram, false, catalog.ValueDouble, nil},           // const histogram
		"edge_unused":                {catalog.KindGauge, true, catalog.ValueDouble, nil},                // no const metric
		"edge_dynamic":               {catalog.KindGauge, true, catalog.ValueDouble, []string{"x"}},      // computed ValueType
		"edge_empty_buckets_seconds": {catalog.KindHistogram, false, catalog.ValueDouble, nil},           // Buckets: []float64{}
		"edge_through_interface":     {catalog.KindUpDownCounter, false, catalog.ValueInt, nil},          // Inc in a method called through an interface
	} {
		m := metricOf(t, cat, name)
		if m.Kind != w.kind || m.Observable != w.observable || m.ValueType != w.valueType || !slices.Equal(m.LabelKeys(), w.labels) {
			t.Errorf("%s: kind %s observable %v value_type %s labels %q, want %s %v %s %q", name, m.Kind, m.Observable, m.ValueType, m.LabelKeys(), w.kind, w.observable, w.valueType, w.labels)
		}
	}
	if got := methodParams(t, goSrc, "EdgeV2Total", "Add"); !slices.Equal(got, []string{"ctx", "incr", "bValue", "a"}) {
		t.Errorf("EdgeV2Total.Add takes %q", got)
	}
	if got := metricOf(t, cat, "edge_batch_seconds").Buckets; !slices.Equal(got, []float64{0.5, 1}) {
		t.Errorf("const histogram buckets %v, want its map's keys", got)
	}
	if got := metricOf(t, cat, "edge_empty_buckets_seconds").Buckets; !slices.Equal(got, prometheus.DefBuckets) {
		t.Errorf("empty Buckets: %v, want DefBuckets as client_golang gives", got)
	}
	main := "main.go"
	wantNote(t, res.Notes, edge, main, "var mixed =", "metric edge_mixed: kept a gauge: the code sets it (Set at main.go:", "and moves it (Inc at main.go:")
	wantNote(t, res.Notes, edge, main, "var idle =", "metric edge_idle: kept a gauge: the packages loaded neither set nor move it")
	wantNote(t, res.Notes, edge, main, "var untyped =", "metric edge_untyped: NewUntypedFunc: served untyped")
	wantNote(t, res.Notes, edge, main, `unused: prometheus.NewDesc`, "metric edge_unused: no NewConstMetric", "its kind is unknown")
	wantNote(t, res.Notes, edge, main, `MustNewConstMetric(c.dyn, c.vt`, "metric edge_dynamic: the ValueType is computed at run time")
	wantNote(t, res.Notes, edge, main, `MustNewConstHistogram(c.batch`, "metric edge_batch_seconds: a collector's const histogram")
	wantNote(t, res.Notes, edge, main, `var mutated =`, "metric edge_mutated_total: labels computed at run time (mutable)", "left out")
	if m := metricOf(t, cat, "edge_native_batch_bytes"); m.Kind != catalog.KindHistogram || m.Observable || len(m.Buckets) != 0 ||
		m.Native == nil || m.Native.Schema != 0 || m.Native.ZeroThreshold != 0.001 || m.Native.MaxBuckets != catalog.DefaultNativeMaxBuckets {
		t.Errorf("edge_native_batch_bytes: want a native histogram of the const's schema 0 and zero threshold 0.001:\n%s", entryText(res.YAML, "edge_native_batch_bytes"))
	}
	wantNote(t, res.Notes, edge, main, `MustNewConstNativeHistogram(c.native`, "metric edge_native_batch_bytes: a collector's const native histogram")
	if cat.Metric("edge_computed_native_seconds") != nil {
		t.Errorf("edge_computed_native_seconds is in the catalogue, though its factor is computed and no scrape shows it")
	}
	wantNote(t, res.Notes, edge, main, `NativeHistogramBucketFactor: nativeFactor()`, "metric edge_computed_native_seconds: Buckets computed at run time (nativeFactor())", "left out")
	if m := metricOf(t, cat, "edge_plain_seconds"); m.Kind != catalog.KindSummary || len(m.Objectives) != 0 {
		t.Errorf("edge_plain_seconds: want a summary of count and sum only:\n%s", res.YAML)
	}
	wantBuildInfoUndeclared(t, res, cat)
}

// wantBuildInfoUndeclared requires go_build_info, which the code's collectors.NewBuildInfoCollector
// serves, under undeclared and not among the metrics, with a note at the call.
func wantBuildInfoUndeclared(t *testing.T, res *Result, cat *catalog.Catalog) {
	t.Helper()
	if cat.Metric("go_build_info") != nil {
		t.Errorf("go_build_info, collectors.NewBuildInfoCollector's, is imported as a metric:\n%s", res.YAML)
	}
	if len(cat.Undeclared) != 1 || cat.Undeclared[0].Pattern.String() != "go_build_info" {
		t.Errorf("undeclared: %+v, want go_build_info's pattern:\n%s", cat.Undeclared, res.YAML)
	}
	wantNote(t, res.Notes, edge, "main.go", "collectors.NewBuildInfoCollector()", "metric go_build_info: served by collectors.NewBuildInfoCollector", "listed under undeclared", "telemetry.WithCollectors(collectors.NewBuildInfoCollector())")
}

// TestScrapeFillsInTheEdge: where the code does not show a Desc's kind, the scrape's type is
// written; where it computes a summary's objectives, the scrape's quantiles; and each is said.
func TestScrapeFillsInTheEdge(t *testing.T) {
	fams := decodeText(t, `# HELP go_build_info Build information about the main Go module.
# TYPE go_build_info gauge
go_build_info{checksum="",path="example.com/edge",version="(devel)"} 1
# HELP edge_unused Described, never collected here.
# TYPE edge_unused counter
edge_unused 3
# HELP edge_computed_summary_seconds Computed objectives.
# TYPE edge_computed_summary_seconds summary
edge_computed_summary_seconds{quantile="0.5"} 1
edge_computed_summary_seconds{quantile="0.9"} 1
edge_computed_summary_seconds_sum 1
edge_computed_summary_seconds_count 1
`)
	res, cat, _ := importOK(t, loadCode(t, edge, "."), fams, Options{Source: "scrape"})
	if m := metricOf(t, cat, "edge_unused"); m.Kind != catalog.KindCounter || !m.Observable {
		t.Errorf("edge_unused: %s observable %v, want the scrape's counter, observable", m.Kind, m.Observable)
	}
	wantNote(t, res.Notes, edge, "main.go", `unused: prometheus.NewDesc`, "kind counter from the scrape")
	wantNote(t, res.Notes, edge, "main.go", `var computedSummary =`, "metric edge_computed_summary_seconds: Objectives computed at run time (quantiles())", "the scrape's quantiles are written")
	metricOf(t, cat, "edge_computed_summary_seconds")
	if entry := entryText(res.YAML, "edge_computed_summary_seconds"); !strings.Contains(entry, "objectives: {0.5: 0.05, 0.9: 0.01}") {
		t.Errorf("edge_computed_summary_seconds: want the scrape's quantiles as objectives:\n%s", entry)
	}
	// The scrape serves go_build_info: still the collector's, under undeclared.
	wantBuildInfoUndeclared(t, res, cat)
	// Without a scrape, the summary whose objectives are computed is left out.
	res, _, _ = importOK(t, loadCode(t, edge, "."), nil, Options{})
	wantNote(t, res.Notes, edge, "main.go", `var computedSummary =`, "Objectives computed at run time", "left out, as its quantiles are unknown")
}

func decodeText(t testing.TB, text string) []*dto.MetricFamily {
	t.Helper()
	exp, err := scrape.Open("-", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return exp.Families
}

// TestTwoModules: patterns of two modules are each loaded in their own module, as go list run
// there would, and their families written together.
func TestTwoModules(t *testing.T) {
	code := loadCode(t, ".", "./"+shop+"/...", edge)
	_, cat, _ := importOK(t, code, nil, Options{})
	metricOf(t, cat, "shop_requests_total")
	metricOf(t, cat, "edge_v2_total")
	if m := metricOf(t, cat, "shop_in_flight_requests"); m.Kind != catalog.KindUpDownCounter {
		t.Errorf("shop_in_flight_requests is %s: uses across the shop's packages are lost", m.Kind)
	}
}

// TestLoadErrors: what stops an import is said clearly, at FILE:LINE where there is one.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.com/broken\n\ngo 1.26.0\n")
	write("main.go", "package main\n\nfunc main() { undefined() }\n")
	write("other.txt", "not Go\n")
	ctx := context.Background()
	if _, err := Load(ctx, dir, []string{"./..."}); err == nil || !strings.Contains(err.Error(), "main.go:3:") || !strings.Contains(err.Error(), "undefined") {
		t.Errorf("a package that does not compile: %v", err)
	}
	if _, err := Load(ctx, dir, []string{"./missing/..."}); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("a missing directory: %v", err)
	}
	if _, err := Load(ctx, dir, []string{"./other.txt"}); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("a file that is not Go: %v", err)
	}
	if _, err := Load(ctx, dir, nil); err == nil {
		t.Error("no pattern: no error")
	}
	write("main.go", "package main\n\nfunc main() {}\n")
	code, err := Load(ctx, dir, []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Import(code, nil, Options{}); err == nil || !strings.Contains(err.Error(), "nothing to import: the packages . define no client_golang metric") {
		t.Errorf("no metric: %v", err)
	}
}

// TestFormatDuration: max_age reads as a person writes it, and back as the same duration.
func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{10 * time.Minute: "10m", 2 * time.Hour: "2h", 90 * time.Second: "90s", 1500 * time.Millisecond: "1.5s"} {
		got := formatDuration(d)
		back, err := time.ParseDuration(got)
		if got != want || err != nil || back != d {
			t.Errorf("%v: %q (%v, %v), want %q", d, got, back, err, want)
		}
	}
}

// TestComputedNativeFromScrape: a histogram whose native-histogram factor the code computes
// takes native: from a scrape that shows it native (the schema and zero threshold served),
// without classic buckets when the scrape serves none; the scrape here is a real client_golang
// histogram of that name, as its registry gathers it for protobuf.
func TestComputedNativeFromScrape(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edge_computed_native_seconds", Help: "Computed factor.", NativeHistogramBucketFactor: 1.1})
	reg.MustRegister(h)
	h.Observe(0.25)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	res, cat, _ := importOK(t, loadCode(t, edge, "."), fams, Options{})
	m := metricOf(t, cat, "edge_computed_native_seconds")
	if len(m.Buckets) != 0 || m.Native == nil || m.Native.Schema != 3 || m.Native.ZeroThreshold != catalog.DefaultNativeZeroThreshold || m.Native.BucketFactor != 0 {
		t.Errorf("edge_computed_native_seconds: want native schema 3 from the scrape, no buckets:\n%s", entryText(res.YAML, "edge_computed_native_seconds"))
	}
	wantNote(t, res.Notes, edge, "main.go", `var computedNative =`, "metric edge_computed_native_seconds: native: from the scrape (schema 3, zero threshold 2.938735877055719e-39)")
	wantNote(t, res.Notes, edge, "main.go", `NativeHistogramBucketFactor: nativeFactor()`, "metric edge_computed_native_seconds: Buckets computed at run time (nativeFactor())", "the scrape serves native buckets alone")
}
