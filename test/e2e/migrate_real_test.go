//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// The small real service of issue 23's acceptance: client_golang's own examples/random, as the
// Go module proxy serves it at a pinned version. docs/migrating.md (Migrating a real service:
// client_golang's examples/random) says why this one, and lists the hand edits below.
const (
	realModule  = "github.com/prometheus/client_golang"
	realVersion = "v1.25.0"
	realPackage = "examples/random"
)

// handEdit is one edit made by hand in the short path: old, which must occur exactly once, is
// replaced with new; old is a regular expression when re is set. doc is how docs/migrating.md
// names it: the test requires the page to say it, so that the page lists exactly the edits
// made here.
type handEdit struct {
	file, doc, old, new string
	re                  bool
}

// catalogueEdits are the edits of the imported instruments.yaml before go generate.
var catalogueEdits = []handEdit{
	{file: "randommetrics/instruments.yaml", doc: "the description of `cause`",
		old: `description: "TODO: write what the label cause means."`,
		new: `description: "What failed in the /metrics handler: encoding or gathering."`},
	{file: "randommetrics/instruments.yaml", doc: "the description of `service`",
		old: `description: "TODO: write what the label service means."`,
		new: `description: "The fictional service whose RPC latencies are observed."`},
}

// beforeFixEdits swap by hand, before migrate -fix, what it reports it cannot rewrite.
var beforeFixEdits = []handEdit{
	{file: "main.go", doc: "`ObserveWithExemplar` becomes `Observe`",
		old: "m.rpcDurationsHistogram.(prometheus.ExemplarObserver).ObserveWithExemplar(\n\t\t\t\tv, prometheus.Labels{\"dummyID\": strconv.Itoa(rand.Intn(100000))},\n\t\t\t)",
		new: "m.rpcDurationsHistogram.Observe(v)"},
	{file: "main.go", doc: "the import of `strconv` goes", old: "\t\"strconv\"\n"},
}

// afterFixEdits do by hand, after migrate -fix, what it leaves with a reason.
var afterFixEdits = []handEdit{
	{file: "main.go", doc: "`telemetry.WithCollectors(collectors.NewBuildInfoCollector())`",
		old: "telemetry.New(context.Background())",
		new: "telemetry.New(context.Background(), telemetry.WithCollectors(collectors.NewBuildInfoCollector()))"},
	{file: "main.go", doc: "`promhttp_metric_handler_errors_total` at 0",
		old: "\tif err := randommetrics.SetDefault(tel.MeterProvider()); err != nil {\n\t\tlog.Fatal(err)\n\t}\n",
		new: "\tif err := randommetrics.SetDefault(tel.MeterProvider()); err != nil {\n\t\tlog.Fatal(err)\n\t}\n" +
			"\t// telemetry's handler counts no errors of its own: the series promhttp served stay, at 0.\n" +
			"\tfor _, cause := range []string{\"encoding\", \"gathering\"} {\n" +
			"\t\trandommetrics.Default.PromhttpMetricHandlerErrorsTotal.Add(context.Background(), 0, cause)\n" +
			"\t}\n"},
	{file: "main.go", doc: "`NewMetrics` loses its `reg` parameter",
		old: "func NewMetrics(reg prometheus.Registerer, normMean, normDomain float64) *metrics {",
		new: "func NewMetrics(normMean, normDomain float64) *metrics {"},
	{file: "main.go", doc: "the registry goes",
		old: "\t// Create a non-global registry.\n\treg := prometheus.NewRegistry()\n\n" +
			"\t// Create new metrics and register them using the custom registry.\n\tm := NewMetrics(reg, *normMean, *normDomain)\n" +
			"\t// Add Go module build info.\n\treg.MustRegister(collectors.NewBuildInfoCollector())\n",
		new: "\tm := NewMetrics(*normMean, *normDomain)\n"},
	{file: "main.go", doc: "`promhttp.HandlerFor(reg, …)` becomes `tel.Handler()`",
		old: `(?s)http\.Handle\("/metrics", promhttp\.HandlerFor\(\n.*?\n\t\)\)\n`, re: true,
		new: "http.Handle(\"/metrics\", tel.Handler())\n"},
	{file: "main.go", doc: "the imports of `prometheus` and `promhttp` go",
		old: "\t\"github.com/prometheus/client_golang/prometheus\"\n\t\"github.com/prometheus/client_golang/prometheus/collectors\"\n\t\"github.com/prometheus/client_golang/prometheus/promhttp\"\n",
		new: "\t\"github.com/prometheus/client_golang/prometheus/collectors\"\n"},
}

// applyEdits applies edits in dir, failing on an edit whose old text does not occur exactly
// once: the pinned service or the tools changed, and the page's list with them.
func applyEdits(t *testing.T, dir string, edits []handEdit) {
	t.Helper()
	for _, e := range edits {
		path := filepath.Join(dir, e.file)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if e.re {
			re := regexp.MustCompile(e.old)
			if n := len(re.FindAllStringIndex(s, -1)); n != 1 {
				t.Fatalf("hand edit %q: %d matches of %s in %s, want 1:\n%s", e.doc, n, e.old, e.file, s)
			}
			s = re.ReplaceAllLiteralString(s, e.new)
		} else {
			if n := strings.Count(s, e.old); n != 1 {
				t.Fatalf("hand edit %q: %d occurrences of %q in %s, want 1:\n%s", e.doc, n, e.old, e.file, s)
			}
			s = strings.Replace(s, e.old, e.new, 1)
		}
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyPackage copies the .go files of the package dir (not its subdirectories) into dst,
// writable: the module cache's copies are read-only.
func copyPackage(t *testing.T, dir, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
		n++
	}
	if n == 0 {
		t.Fatalf("no Go file in %s", dir)
	}
}

// TestMigrateRealServiceRandom follows docs/migrating.md's short path on a real client_golang
// service nobody here wrote, client_golang's examples/random at v1.25.0 from the Go module
// proxy: its summary vector and its histogram (buckets computed from flags, a native-histogram
// factor, exemplars through a type assertion) live in a struct a constructor fills, on a
// registry of its own with the build-info collector, served by promhttp.HandlerFor. The
// original runs and is scraped while its goroutines record; then, in a copy: the catalogue
// imported from the code and a scrape of it, the hand edits docs/migrating.md lists, go
// generate, migrate -fix, go mod tidy, build, vet, run, scrape. Every family of the original
// must come back with its type, HELP, label names and label values, buckets and quantile
// series, and a value under every label set; what is deterministic (go_build_info, the
// handler's error counts) with the same value, and what is random with values only its own
// distribution gives, so that a value recorded under another service's label is caught.
// live-check passes on the original and on the migrated service.
func TestMigrateRealServiceRandom(t *testing.T) {
	requireE2E(t)
	root := repoRoot(t)
	docListsHandEdits(t, root)
	mod := t.TempDir()
	// Offline once the module and its requirements are in the cache, as
	// TestMigrateLabelOrderEndToEnd (outside_module_test.go says why go get -tool needs it).
	offline := []string{"GOPROXY=off", "GOSUMDB=off", "GOFLAGS=-mod=mod"}
	run := func(env []string, wantCode int, name string, args ...string) toolResult {
		t.Helper()
		r := runTool(t, 5*time.Minute, mod, env, name, args...)
		if r.code != wantCode {
			t.Fatalf("%s %s: exit %d, want %d\n%s%s", name, strings.Join(args, " "), r.code, wantCode, r.stdout, r.stderr)
		}
		return r
	}

	// The pinned service, from the module proxy, copied into a module of its own.
	dl := run(nil, 0, "go", "mod", "download", "-json", realModule+"@"+realVersion)
	var info struct{ Dir, Sum string }
	if err := json.Unmarshal([]byte(dl.stdout), &info); err != nil || info.Dir == "" {
		t.Fatalf("go mod download: %v\n%s", err, dl.stdout)
	}
	t.Logf("%s@%s (%s) from %s", realModule, realVersion, info.Sum, info.Dir)
	copyPackage(t, filepath.Join(info.Dir, filepath.FromSlash(realPackage)), mod)
	writeFile(t, filepath.Join(mod, "go.mod"), "module example.com/random\n\ngo 1.26\n\nrequire "+realModule+" "+realVersion+"\n")
	run(nil, 0, "go", "mod", "tidy")
	original := filepath.Join(t.TempDir(), "random-original")
	run(offline, 0, "go", "build", "-o", original, ".")

	// The original, under its own traffic: its goroutines record every 100 to 300 ms.
	origURL := "http://" + hostPort(freePort(t)) + "/metrics"
	orig := startProc(t, "random-original", original, []string{"-listen-address", strings.TrimSuffix(strings.TrimPrefix(origURL, "http://"), "/metrics")}, nil)
	waitRandomTraffic(t, origURL, orig)

	// The short path in the copy: telediag as a tool, the catalogue from the code and a scrape.
	run(offline, 0, "go", "mod", "edit", "-replace=github.com/telediag/telediag="+root)
	run(offline, 0, "go", "get", "-tool", "github.com/telediag/telediag/cmd/instrumentgen")
	imp := run(offline, 0, "go", "tool", "instrumentgen", "import", "-o", "randommetrics/instruments.yaml", "./...", origURL)
	for _, want := range []string{
		// FILE:LINE of the pinned main.go, and what the import did instead.
		"main.go:65: metric rpc_durations_histogram_seconds: Buckets computed at run time (prometheus.LinearBuckets(",
		"main.go:91: metric go_build_info: served by collectors.NewBuildInfoCollector, a collector of client_golang's: listed under undeclared, not generated",
		"imported promhttp_metric_handler_errors_total from the scrape alone",
	} {
		if !strings.Contains(imp.stderr, want) {
			t.Errorf("import does not say %q:\n%s", want, imp.stderr)
		}
	}
	// The native-histogram factor is carried as native: (issue 25), the classic buckets beside it.
	if b, err := os.ReadFile(filepath.Join(mod, "randommetrics", "instruments.yaml")); err != nil || !strings.Contains(string(b), "    native:\n      bucket_factor: 1.1\n") {
		t.Errorf("the imported catalogue does not declare rpc_durations_histogram_seconds' native: bucket_factor: 1.1 (%v):\n%s", err, b)
	}
	applyEdits(t, mod, catalogueEdits)
	writeFile(t, filepath.Join(mod, "randommetrics", "doc.go"), "// Package randommetrics is the service's metric catalogue.\npackage randommetrics\n\n//go:generate go tool instrumentgen instruments.yaml\n")
	run(offline, 0, "go", "tool", "instrumentgen", "-check", "randommetrics/instruments.yaml")
	// The catalogue, before any code changes, holds the original as it runs.
	lc := run(offline, 0, "go", "tool", "instrumentgen", "live-check", "randommetrics/instruments.yaml", origURL)
	t.Logf("live-check of the original: %s", lc.stdout)
	before := mustScrape(t, origURL)
	orig.stop(t, 5*time.Second)

	run(offline, 0, "go", "generate", "./...")
	run(offline, 0, "go", "mod", "tidy")

	// What migrate refuses, swapped by hand, then the fixer.
	plan := run(offline, 1, "go", "tool", "instrumentgen", "migrate", "./...")
	for _, want := range []string{
		"main.go:118:4: rpc_durations_histogram_seconds: ObserveWithExemplar through the assertion to prometheus.ExemplarObserver: an exemplar is taken from the context's span",
		"main.go:62:26: rpc_durations_histogram_seconds: prometheus.NewHistogram stays on client_golang: ObserveWithExemplar through the assertion",
		"main.go:134:26: promhttp.HandlerFor stays: HandlerOpts{EnableOpenMetrics, Registry} has no counterpart in tel.Handler()",
	} {
		if !strings.Contains(plan.stdout, want) {
			t.Errorf("migrate does not say %q:\n%s", want, plan.stdout)
		}
	}
	applyEdits(t, mod, beforeFixEdits)
	plan = run(offline, 1, "go", "tool", "instrumentgen", "migrate", "./...")
	if want := "main.go:61:26: rpc_durations_histogram_seconds: prometheus.NewHistogram becomes &randommetrics.Default.RpcDurationsHistogramSeconds\n"; !strings.Contains(plan.stdout, want) {
		t.Errorf("migrate does not say %q (the catalogue carries its native buckets):\n%s", want, plan.stdout)
	}
	fix := run(offline, 1, "go", "tool", "instrumentgen", "migrate", "-fix", "./...")
	// What it leaves is the handler alone, for the reasons the page gives.
	left := strings.Split(strings.TrimSpace(fix.stdout), "\n")
	if len(left) != 2 || !strings.Contains(fix.stdout, "serves its /metrics nowhere yet") ||
		!strings.Contains(fix.stdout, "promhttp.HandlerFor stays: HandlerOpts{EnableOpenMetrics, Registry} has no counterpart in tel.Handler()") {
		t.Errorf("migrate -fix left other than the handler:\n%s%s", fix.stdout, fix.stderr)
	}
	if strings.Contains(fix.stderr, "not carried") {
		t.Errorf("migrate -fix drops something the catalogue carries:\n%s", fix.stderr)
	}
	applyEdits(t, mod, afterFixEdits)
	run(offline, 0, "go", "mod", "tidy")
	migrated := filepath.Join(t.TempDir(), "random-migrated")
	run(offline, 0, "go", "build", "-o", migrated, ".")
	run(offline, 0, "go", "vet", "./...")
	if again := run(offline, 0, "go", "tool", "instrumentgen", "migrate", "./..."); again.stdout != "" {
		t.Errorf("migrate finds more to do after the hand edits:\n%s", again.stdout)
	}
	mainGo, err := os.ReadFile(filepath.Join(mod, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, gone := range []string{"client_golang/prometheus\"", "client_golang/prometheus/promhttp\"", "WithLabelValues", "NewSummaryVec", "NewHistogram("} {
		if strings.Contains(string(mainGo), gone) {
			t.Errorf("main.go still has %s after the migration:\n%s", gone, mainGo)
		}
	}

	// The migrated service, under the same traffic.
	migURL := "http://" + hostPort(freePort(t)) + "/metrics"
	mig := startProc(t, "random-migrated", migrated, []string{"-listen-address", strings.TrimSuffix(strings.TrimPrefix(migURL, "http://"), "/metrics")}, nil)
	waitRandomTraffic(t, migURL, mig)
	after := mustScrape(t, migURL)
	compareRealFamilies(t, before, after)
	lc = run(offline, 0, "go", "tool", "instrumentgen", "live-check", "randommetrics/instruments.yaml", migURL)
	t.Logf("live-check of the migrated service: %s", lc.stdout)

	t.Logf("migrated main.go:\n%s", mainGo)
}

// docListsHandEdits requires docs/migrating.md's section on examples/random to list exactly the
// hand edits the test makes: each by its doc phrase, and as many rows (| Hn |) as edits.
func docListsHandEdits(t *testing.T, root string) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join(root, "docs", "migrating.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	i := strings.Index(section, "## Migrating a real service: client_golang's examples/random")
	if i < 0 {
		t.Fatal("docs/migrating.md has no section on examples/random")
	}
	section = section[i:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	var n int
	for _, edits := range [][]handEdit{catalogueEdits, beforeFixEdits, afterFixEdits} {
		for _, e := range edits {
			n++
			if !strings.Contains(section, e.doc) {
				t.Errorf("docs/migrating.md's section on examples/random does not list the hand edit %q", e.doc)
			}
		}
	}
	if got := strings.Count(section, "\n| H"); got != n {
		t.Errorf("docs/migrating.md's section on examples/random lists %d hand edits, the test makes %d", got, n)
	}
}

// waitRandomTraffic waits until the service at url has recorded into every series of its
// families, several times each, so that every quantile is a number.
func waitRandomTraffic(t *testing.T, url string, p *proc) {
	t.Helper()
	waitFor(t, url+" under traffic", time.Minute, func() error {
		fams, err := scrape(url)
		if err != nil {
			return err
		}
		s := fams["rpc_durations_seconds"]
		if len(s.GetMetric()) != 3 {
			return fmt.Errorf("rpc_durations_seconds: %d series, want 3", len(s.GetMetric()))
		}
		for _, m := range s.GetMetric() {
			if m.GetSummary().GetSampleCount() < 10 {
				return fmt.Errorf("rpc_durations_seconds: %v: %d observations", m.GetLabel(), m.GetSummary().GetSampleCount())
			}
		}
		h := fams["rpc_durations_histogram_seconds"]
		if len(h.GetMetric()) != 1 || h.GetMetric()[0].GetHistogram().GetSampleCount() < 10 {
			return fmt.Errorf("rpc_durations_histogram_seconds: %v", h)
		}
		return nil
	}, p)
}

// mustScrape reads url's /metrics as the text format, as Prometheus 2 stores it.
func mustScrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := scrape(url)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// seriesKey is a series' labels other than le and quantile, sorted, as name=value pairs.
func seriesKey(m *dto.Metric) string {
	var kv []string
	for _, l := range m.GetLabel() {
		if l.GetName() != "le" && l.GetName() != "quantile" {
			kv = append(kv, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
	}
	slices.Sort(kv)
	return "{" + strings.Join(kv, ",") + "}"
}

// quantiles is a summary series' quantiles.
func quantiles(m *dto.Metric) []float64 {
	var out []float64
	for _, q := range m.GetSummary().GetQuantile() {
		out = append(out, q.GetQuantile())
	}
	return out
}

// compareRealFamilies holds after to every family of before: type, HELP, label names, every
// series under the same labels, buckets, quantiles; the deterministic values equal; the random
// ones in the range their service's distribution gives (examples/random's flag defaults).
func compareRealFamilies(t *testing.T, before, after map[string]*dto.MetricFamily) {
	t.Helper()
	if len(before) != 4 {
		t.Errorf("the original served %d families, want examples/random's 4", len(before))
	}
	for _, name := range slices.Sorted(maps.Keys(before)) {
		b, a := before[name], after[name]
		if a == nil {
			t.Errorf("%s: served by the original, not after the migration", name)
			continue
		}
		if b.GetType() != a.GetType() {
			t.Errorf("%s: type %v after, %v before", name, a.GetType(), b.GetType())
		}
		if b.GetHelp() != a.GetHelp() {
			t.Errorf("%s: HELP %q after, %q before", name, a.GetHelp(), b.GetHelp())
		}
		if !slices.Equal(labelNames(b), labelNames(a)) {
			t.Errorf("%s: labels %v after, %v before", name, labelNames(a), labelNames(b))
		}
		got := map[string]*dto.Metric{}
		for _, m := range a.GetMetric() {
			got[seriesKey(m)] = m
		}
		for _, bm := range b.GetMetric() {
			k := seriesKey(bm)
			am := got[k]
			if am == nil {
				t.Errorf("%s%s: served by the original, not after the migration", name, k)
				continue
			}
			delete(got, k)
			switch b.GetType() {
			case dto.MetricType_COUNTER:
				if am.GetCounter().GetValue() != bm.GetCounter().GetValue() {
					t.Errorf("%s%s: %v after, %v before", name, k, am.GetCounter().GetValue(), bm.GetCounter().GetValue())
				}
			case dto.MetricType_GAUGE:
				if am.GetGauge().GetValue() != bm.GetGauge().GetValue() {
					t.Errorf("%s%s: %v after, %v before", name, k, am.GetGauge().GetValue(), bm.GetGauge().GetValue())
				}
			case dto.MetricType_HISTOGRAM:
				if !slices.Equal(finiteLE(am), finiteLE(bm)) {
					t.Errorf("%s%s: buckets %v after, %v before", name, k, finiteLE(am), finiteLE(bm))
				}
				if am.GetHistogram().GetSampleCount() == 0 {
					t.Errorf("%s%s: no observation after the migration", name, k)
				}
			case dto.MetricType_SUMMARY:
				if !slices.Equal(quantiles(am), quantiles(bm)) {
					t.Errorf("%s%s: quantiles %v after, %v before", name, k, quantiles(am), quantiles(bm))
				}
				checkRandomSummary(t, name+k, am)
			default:
				t.Errorf("%s: type %v, which examples/random does not serve", name, b.GetType())
			}
		}
		for k := range got {
			t.Errorf("%s%s: served after the migration only: a value under another label?", name, k)
		}
	}
	normalAgrees(t, "before", before)
	normalAgrees(t, "after the migration", after)
}

// normalAgrees holds the summary's normal service to the histogram, which records the same
// values, one after the other, in the same goroutine: the same count and the same sum, or one
// observation apart when a scrape fell between the two. A value of another service recorded
// under service="normal" breaks it. After the migration the sums may differ in their last
// bits: the histogram is native too (its catalogue declares native:), and a native cell adds a
// value that lowers its resolution into a total of its own, so its sum is the same values added
// in another order. The values have both signs and cancel, so the rounding difference is
// relative to the values (the normal service's are about 1e-4), not to their sum: 1e-16 is
// allowed, a trillionth of one value.
func normalAgrees(t *testing.T, when string, fams map[string]*dto.MetricFamily) {
	t.Helper()
	var normal *dto.Summary
	for _, m := range fams["rpc_durations_seconds"].GetMetric() {
		if seriesKey(m) == `{service="normal"}` {
			normal = m.GetSummary()
		}
	}
	h := fams["rpc_durations_histogram_seconds"].GetMetric()
	if normal == nil || len(h) != 1 {
		t.Errorf("%s: no normal service in rpc_durations_seconds, or not one rpc_durations_histogram_seconds series", when)
		return
	}
	hist := h[0].GetHistogram()
	sc, hc, ss, hs := normal.GetSampleCount(), hist.GetSampleCount(), normal.GetSampleSum(), hist.GetSampleSum()
	t.Logf("%s: rpc_durations_seconds{service=\"normal\"} %d values summing %v, the histogram %d summing %v", when, sc, ss, hc, hs)
	switch {
	case sc == hc && math.Abs(ss-hs) > 1e-16:
		t.Errorf("%s: rpc_durations_seconds{service=\"normal\"} sums %v, the histogram of the same %d values %v", when, ss, sc, hs)
	case sc != hc && (sc+1 < hc || hc+1 < sc || math.Abs(ss-hs) > 0.002):
		t.Errorf("%s: rpc_durations_seconds{service=\"normal\"} has %d values summing %v, the histogram of the same values %d summing %v", when, sc, ss, hc, hs)
	}
}

// checkRandomSummary holds a summary series of examples/random to its service's distribution
// (the flags' defaults), after at least 10 observations each: uniform in [0, 0.0002) with a
// 0.99 quantile (with 10 values, their maximum) above 2e-5 (below it: probability 1e-10);
// exponential positive with a mean of 1e-6 and nothing above 2e-5 (probability e^-20 each);
// normal with a mean of 1e-5 and a deviation of 2e-4, within ten deviations (normalAgrees
// holds it to the histogram besides). A value recorded under another service's label fails one
// of them.
func checkRandomSummary(t *testing.T, series string, m *dto.Metric) {
	t.Helper()
	s := m.GetSummary()
	var lo, hi, q99min float64
	switch {
	case strings.Contains(series, `"uniform"`):
		lo, hi, q99min = 0, 0.0002, 2e-5
	case strings.Contains(series, `"exponential"`):
		lo, hi = 0, 2e-5
	case strings.Contains(series, `"normal"`):
		lo, hi = -0.002, 0.002
	default:
		t.Errorf("%s: a service examples/random does not have", series)
		return
	}
	for _, q := range s.GetQuantile() {
		v := q.GetValue()
		if math.IsNaN(v) || v < lo || v > hi {
			t.Errorf("%s: quantile %v is %v, outside [%v, %v]", series, q.GetQuantile(), v, lo, hi)
		}
		if q.GetQuantile() == 0.99 && v < q99min {
			t.Errorf("%s: quantile 0.99 is %v, below %v", series, v, q99min)
		}
	}
	if s.GetSampleCount() < 10 {
		t.Errorf("%s: %d observations, want 10 or more", series, s.GetSampleCount())
		return
	}
	if mean := s.GetSampleSum() / float64(s.GetSampleCount()); mean < lo || mean > hi {
		t.Errorf("%s: mean %v outside [%v, %v]", series, mean, lo, hi)
	}
}
