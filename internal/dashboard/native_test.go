package dashboard

import (
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

const nativeCatalogue = `labels:
  method: {description: The RPC method.}
metrics:
  - name: rpc_seconds
    kind: histogram
    value_type: double
    unit: s
    description: RPC latency, classic and native.
    labels: [method]
    buckets: [0.1, 1, 10]
    native: {bucket_factor: 1.1}
  - name: payload_bytes
    kind: histogram
    value_type: double
    unit: By
    description: Payload sizes, native only.
    labels: [method]
    native: {schema: 0}
  - name: queue_seconds
    kind: histogram
    value_type: double
    unit: s
    description: Time in the queue, classic only.
    buckets: [0.1, 1]
`

// TestNativeHistogramPanels: a native-only histogram's panel reads its native series (the
// quantiles of the rate of NAME, grouped by its labels without le, and histogram_count() of
// that rate), since its classic side has no quantiles; a histogram with both reads the classic
// series or else the native one, so that it shows data on a Prometheus that scrapes native
// histograms and on one that does not; a classic one reads as before. The descriptions say
// which buckets the histogram has, and the variables find a process by its native series too.
func TestNativeHistogramPanels(t *testing.T) {
	cat, err := catalog.Parse("native.yaml", []byte(nativeCatalogue))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Build(cat, Options{Title: "Native"})
	if err != nil {
		t.Fatal(err)
	}
	sel := `{job=~"$job",instance=~"$instance"}`
	classicQ := func(name, q, by string) string {
		return `histogram_quantile(` + q + `, sum by (le, instance` + by + `) (rate(` + name + `_bucket` + sel + `[$__rate_interval])))`
	}
	nativeQ := func(name, q, by string) string {
		return `histogram_quantile(` + q + `, sum by (instance` + by + `) (rate(` + name + sel + `[$__rate_interval])))`
	}
	classicC := func(name, by string) string {
		return `sum by (instance` + by + `) (rate(` + name + `_count` + sel + `[$__rate_interval]))`
	}
	nativeC := func(name, by string) string {
		return `histogram_count(sum by (instance` + by + `) (rate(` + name + sel + `[$__rate_interval])))`
	}
	want := map[string]struct {
		exprs []string
		desc  string
	}{
		"rpc_seconds (p50, p99, per second)": {[]string{
			classicQ("rpc_seconds", "0.5", ", method") + " or " + nativeQ("rpc_seconds", "0.5", ", method"),
			classicQ("rpc_seconds", "0.99", ", method") + " or " + nativeQ("rpc_seconds", "0.99", ", method"),
			classicC("rpc_seconds", ", method") + " or " + nativeC("rpc_seconds", ", method"),
		}, "(histogram, classic and native, s; stable)"},
		"payload_bytes (p50, p99, per second)": {[]string{
			nativeQ("payload_bytes", "0.5", ", method"), nativeQ("payload_bytes", "0.99", ", method"), nativeC("payload_bytes", ", method"),
		}, "(native histogram, By; stable)"},
		"queue_seconds (p50, p99, per second)": {[]string{
			classicQ("queue_seconds", "0.5", ""), classicQ("queue_seconds", "0.99", ""), classicC("queue_seconds", ""),
		}, "(histogram, s; stable)"},
	}
	seen := 0
	for _, p := range d.Panels {
		w, ok := want[p.Title]
		if !ok {
			continue
		}
		seen++
		var exprs []string
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
		if !slices.Equal(exprs, w.exprs) {
			t.Errorf("%s:\n got %q\nwant %q", p.Title, exprs, w.exprs)
		}
		if !strings.HasSuffix(p.Description, w.desc) {
			t.Errorf("%s: description %q does not end in %q", p.Title, p.Description, w.desc)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d histogram panels found", seen, len(want))
	}
	names := `rpc_seconds_count|rpc_seconds|payload_bytes_count|payload_bytes|queue_seconds_count`
	if q := d.Templating.List[1].Query; q != `label_values({__name__=~"`+names+`"}, job)` {
		t.Errorf("job variable: %s", q)
	}
}

// TestCatalogueWithoutNativeUnchanged: the orders test catalogue, which declares no native
// buckets, gets byte for byte the dashboard it got before native histograms, whose histogram
// queries TestRowsPanelsAndQueries spells out; here, that no query names a native function or
// an "or".
func TestCatalogueWithoutNativeUnchanged(t *testing.T) {
	b, err := Marshal(build(t, Options{Title: "Orders"}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"histogram_count", " or ", "native"} {
		if strings.Contains(string(b), s) {
			t.Errorf("the dashboard of a catalogue without native buckets contains %q", s)
		}
	}
}
