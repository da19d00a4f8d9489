package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// nativeService is a client_golang service with native histograms, as client_golang's own
// examples serve them: one with classic and native buckets (factor 1.1, schema 3) and
// exemplars, one native-only with a zero threshold of its own, and a classic one; served by
// promhttp with OpenMetrics on, which answers protobuf to whoever asks for it first.
func nativeService(t *testing.T) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	rpc := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.",
		Buckets: []float64{0.1, 1}, NativeHistogramBucketFactor: 1.1}, []string{"method"})
	payload := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "payload_bytes", Help: "Payload sizes.",
		NativeHistogramBucketFactor: 2, NativeHistogramZeroThreshold: 0.001})
	queue := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "queue_seconds", Help: "Time in the queue.", Buckets: []float64{1, 2}})
	reg.MustRegister(rpc, payload, queue)
	trace := prometheus.Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}
	for i, v := range []float64{0.003, 0.05, 0.5, 2, 40} {
		rpc.WithLabelValues([]string{"GET", "PUT"}[i%2]).(prometheus.ExemplarObserver).ObserveWithExemplar(v, trace)
		payload.Observe(v * 1000)
		queue.Observe(v)
	}
	payload.Observe(0) // the zero bucket
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// TestNativeImportThenLiveCheck: import reads a real client_golang service's native
// histograms over protobuf and writes native: (schema and zero threshold as served, classic
// buckets only where served, a note on what a scrape does not show); live-check of that
// catalogue against the same service is clean. Then each rule of live-check's native
// comparison on a catalogue edited to break it, and the warning when the service is read in
// the text format, which carries no native histograms.
func TestNativeImportThenLiveCheck(t *testing.T) {
	url := nativeService(t)
	file := filepath.Join(t.TempDir(), "instruments.yaml")
	imp := runImportCmd("", "-o", file, url)
	if imp.code != 0 {
		t.Fatalf("import: exit %d\n%s", imp.code, imp.stderr)
	}
	for _, want := range []string{
		"note: payload_bytes: native histogram (schema 0, zero threshold 0.001) without classic buckets",
		"note: rpc_seconds: native histogram (schema 3, zero threshold 2.938735877055719e-39) with its classic buckets",
	} {
		if !strings.Contains(imp.stderr, want) {
			t.Errorf("import does not say %q:\n%s", want, imp.stderr)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	imported := string(data)
	for _, want := range []string{
		"    native:\n      schema: 0\n      zero_threshold: 0.001\n",
		"    buckets: [0.1, 1]\n",
		"    native:\n      schema: 3\n      zero_threshold: 2.938735877055719e-39\n",
		"    buckets: [1, 2]\n",
	} {
		if !strings.Contains(imported, want) {
			t.Errorf("the imported catalogue lacks %q:\n%s", want, imported)
		}
	}
	if strings.Count(imported, "native:") != 2 || strings.Count(imported, "buckets: [") != 2 {
		t.Errorf("want native: on the two native histograms and buckets on the two classic ones:\n%s", imported)
	}

	lc := runLiveCheckCmd(file, url)
	if lc.code != 0 || !strings.HasSuffix(lc.stdout, ": 3 families served, 0 problem(s), 0 warning(s)\n") {
		t.Fatalf("live-check of the imported catalogue: exit %d\n%s%s", lc.code, lc.stdout, lc.stderr)
	}

	edited := func(t *testing.T, pairs ...string) string {
		t.Helper()
		s := imported
		for i := 0; i < len(pairs); i += 2 {
			if !strings.Contains(s, pairs[i]) {
				t.Fatalf("the catalogue has no %q", pairs[i])
			}
			s = strings.Replace(s, pairs[i], pairs[i+1], 1)
		}
		path := filepath.Join(t.TempDir(), "instruments.yaml")
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rpcNative := "    native:\n      schema: 3\n      zero_threshold: 2.938735877055719e-39\n"
	for _, tc := range []struct {
		name  string
		edit  []string
		code  int
		wants []string
	}{
		{"a higher declared schema", []string{"schema: 3", "schema: 5"}, 0, nil},
		{"a lower declared schema", []string{"schema: 3", "schema: 2"}, 1,
			[]string{"rpc_seconds: native: served schema 3, above the declared 2: a series may lower its resolution from the declared schema, never raise it"}},
		{"a wider declared zero threshold", []string{"zero_threshold: 0.001", "zero_threshold: 0.01"}, 1,
			[]string{"payload_bytes: native: served zero threshold 0.001, below the declared 0.01"}},
		{"a narrower declared zero threshold", []string{"zero_threshold: 0.001", "zero_threshold: 0.0001"}, 0, nil},
		{"native served, not declared", []string{rpcNative, ""}, 1,
			[]string{"rpc_seconds: native: served with native buckets (schema 3, zero threshold 2.938735877055719e-39) but declared without native:"}},
		{"native declared, classic served", []string{"    buckets: [1, 2]\n", "    buckets: [1, 2]\n    native: {schema: 0}\n"}, 1,
			[]string{"queue_seconds: native: declared native buckets (schema 0, at most 160 buckets, zero threshold 2.938735877055719e-39, never reset), served 1 of 1 series without them"}},
		{"native alone declared, classic served", []string{"    buckets: [1, 2]\n", "    native: {schema: 0}\n"}, 1,
			[]string{"queue_seconds: buckets: declared native buckets alone, served classic buckets [1, 2] too", "queue_seconds: native: declared native buckets"}},
		{"classic buckets declared beside native-only", []string{"    native:\n      schema: 0\n", "    buckets: [1, 10]\n    native:\n      schema: 0\n"}, 1,
			[]string{"payload_bytes: buckets: buckets differ: declared [1, 10], served no finite bucket"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLiveCheckCmd(edited(t, tc.edit...), url)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.wants {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("live-check does not say %q:\n%s", w, r.stdout)
				}
			}
			if tc.code == 0 && !strings.Contains(r.stdout, " 0 problem(s), 0 warning(s)") {
				t.Errorf("not clean:\n%s", r.stdout)
			}
		})
	}

	// Read in the text format, which shows no native buckets: not compared, and said.
	r := runLiveCheckCmd("-text", file, url)
	if r.code != 0 || strings.Count(r.stdout, "native buckets not compared: the service answered text/plain") != 2 {
		t.Errorf("live-check -text: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
