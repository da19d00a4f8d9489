package scrape

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// negativeBuckets is a real client_golang registry with a histogram whose buckets and
// observations are negative: client_golang serves its _sum, negative, also in OpenMetrics,
// whose specification forbids it and whose expfmt decoder refuses it.
func negativeBuckets(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "clock_skew_seconds", Help: "Skew against the reference clock.", Buckets: []float64{-10, -1, 0, 1}})
	h.Observe(-5)
	h.Observe(-2)
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "checks_total", Help: "Checks."})
	c.Inc()
	reg.MustRegister(h, c)
	return reg
}

// withoutProtobuf serves h as a server that offers OpenMetrics and the text format but not
// protobuf (a service on another language's client, say): it takes protobuf out of each
// request's Accept header before h negotiates.
func withoutProtobuf(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var keep []string
		for offer := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
			if !strings.Contains(offer, expfmt.ProtoType) {
				keep = append(keep, offer)
			}
		}
		r = r.Clone(r.Context())
		r.Header.Set("Accept", strings.Join(keep, ","))
		h.ServeHTTP(w, r)
	})
}

// recording serves h and keeps the Accept header of each request.
func recording(t *testing.T, h http.Handler) (*httptest.Server, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var accepts []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		accepts = append(accepts, r.Header.Get("Accept"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(accepts)
	}
}

// TestFetchNegativeSumFallsBackToText: promhttp with OpenMetrics on serves the negative _sum,
// which expfmt's OpenMetrics decoder refuses and Prometheus's scrape stores; Fetch asks again
// for the text format, reads every family from it, and says why.
func TestFetchNegativeSumFallsBackToText(t *testing.T) {
	srv, accepts := recording(t, withoutProtobuf(promhttp.HandlerFor(negativeBuckets(t), promhttp.HandlerOpts{EnableOpenMetrics: true})))
	exp, err := get(t, srv.URL+"/metrics")
	if err != nil {
		t.Fatalf("the negative _sum does not fetch: %v", err)
	}
	if exp.Format.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("decoded as %s, want the text format of the second scrape", exp.Format)
	}
	if !strings.Contains(exp.Fallback, `invalid sum "-7.0" for histogram "clock_skew_seconds"`) {
		t.Errorf("Fallback %q does not say what OpenMetrics' decoder refused", exp.Fallback)
	}
	fams := byName(exp.Families)
	if h := fams["clock_skew_seconds"]; h == nil || h.GetMetric()[0].GetHistogram().GetSampleSum() != -7 {
		t.Errorf("clock_skew_seconds: %v", h)
	}
	if fams["checks_total"] == nil {
		t.Errorf("checks_total missing: %v", exp.Families)
	}
	got := accepts()
	if len(got) != 2 || got[0] != acceptHeader(PrometheusFormats) || got[1] != acceptHeader(TextFormat) {
		t.Errorf("Accept headers %q, want Prometheus's then the text format's", got)
	}
	notes := exp.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], "read the text format instead") || !strings.Contains(notes[0], "-text") {
		t.Errorf("notes %q", notes)
	}

	// A file has no second scrape: the error says how to get what Prometheus would read.
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", acceptHeader(PrometheusFormats))
	rec := httptest.NewRecorder()
	withoutProtobuf(promhttp.HandlerFor(negativeBuckets(t), promhttp.HandlerOpts{EnableOpenMetrics: true})).ServeHTTP(rec, req)
	file := filepath.Join(t.TempDir(), "skew.om")
	if err := os.WriteFile(file, rec.Body.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file, nil); err == nil || !strings.Contains(err.Error(), "invalid sum") || !strings.Contains(err.Error(), "-text") {
		t.Errorf("the OpenMetrics file: %v, want the decoder's refusal and a word on -text", err)
	}
}

// TestFetchNegativeSumTextFails: when the text format does not decode either, the error gives
// both reasons.
func TestFetchNegativeSumTextFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A server that answers OpenMetrics whatever it is asked.
		w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
		io.WriteString(w, "# TYPE h histogram\nh_bucket{le=\"-1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum -2\nh_count 1\n# EOF\n")
	}))
	defer srv.Close()
	_, err := get(t, srv.URL)
	if err == nil || !strings.Contains(err.Error(), `invalid sum "-2"`) || !strings.Contains(err.Error(), "asked again for the text format") {
		t.Errorf("%v", err)
	}
}

// utf8Registry is a real client_golang registry with names outside Prometheus's classic
// character set, as an OTel exporter without underscore escaping serves its semantic
// conventions' names.
func utf8Registry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	d := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "http.server.request.duration", Help: "Duration of HTTP server requests.", Buckets: []float64{0.1, 1}}, []string{"http.request.method", "code"})
	d.WithLabelValues("GET", "200").Observe(0.2)
	u := prometheus.NewGauge(prometheus.GaugeOpts{Name: "up_seconds", Help: "Up."})
	reg.MustRegister(d, u)
	return reg
}

// TestFetchNamesAsPrometheus2StoresThem: whether the server escapes the names as asked
// (client_golang's promhttp does) or serves them as they are anyway, the families come back
// under the underscore names a Prometheus 2 server stores, label names too, and what was
// escaped here is said.
func TestFetchNamesAsPrometheus2StoresThem(t *testing.T) {
	honours := promhttp.HandlerFor(utf8Registry(t), promhttp.HandlerOpts{EnableOpenMetrics: true})
	ignores := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A server that knows no escaping and serves its names as they are.
		r.Header.Set("Accept", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8")
		honours.ServeHTTP(w, r)
	})
	for name, tc := range map[string]struct {
		h       http.Handler
		escaped int
	}{"escaping as asked": {honours, 0}, "serving UTF-8 anyway": {ignores, 2}} {
		srv, _ := recording(t, tc.h)
		exp, err := get(t, srv.URL)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f := byName(exp.Families)["http_server_request_duration"]
		if f == nil || f.GetType() != dto.MetricType_HISTOGRAM {
			t.Fatalf("%s: http_server_request_duration is %v; families %v", name, f, exp.Families)
		}
		var keys []string
		for _, lp := range f.GetMetric()[0].GetLabel() {
			keys = append(keys, lp.GetName())
		}
		if !slices.Equal(keys, []string{"code", "http_request_method"}) {
			t.Errorf("%s: label names %v", name, keys)
		}
		if len(exp.Escaped) != tc.escaped {
			t.Errorf("%s: escaped %v, want %d names", name, exp.Escaped, tc.escaped)
		}
		if tc.escaped > 0 {
			if exp.Escaped["http.server.request.duration"] != "http_server_request_duration" || exp.Escaped["http.request.method"] != "http_request_method" {
				t.Errorf("%s: escaped %v", name, exp.Escaped)
			}
			if notes := exp.Notes(); len(notes) != 2 || !strings.Contains(notes[0], `served "http.request.method", read as http_request_method: the underscore form a Prometheus 2 server stores`) {
				t.Errorf("%s: notes %q", name, notes)
			}
		}
	}
}

// TestEscapedNamesCollide: two families one underscore name apart are an error naming both.
func TestEscapedNamesCollide(t *testing.T) {
	_, err := Open("-", strings.NewReader("# TYPE \"a.b\" gauge\n{\"a.b\"} 1\n# TYPE a_b gauge\na_b 1\n"))
	if err == nil || !strings.Contains(err.Error(), `metric families "a.b" and "a_b" are both a_b`) {
		t.Errorf("%v", err)
	}
}
