package scrape

import (
	"bytes"
	"compress/gzip"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/telediag/telediag/internal/tlsflags"
)

func TestAcceptHeader(t *testing.T) {
	const want = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=underscores;q=0.7," +
		"application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6," +
		"application/openmetrics-text;version=0.0.1;q=0.5," +
		"text/plain;version=1.0.0;escaping=underscores;q=0.4," +
		"text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
	if got := acceptHeader(PrometheusFormats); got != want {
		t.Errorf("Accept:\n got %s\nwant %s", got, want)
	}
	h := http.Header{"Accept": {acceptHeader(PrometheusFormats)}}
	// What a client_golang server answers: protobuf, which it always offers, with names escaped
	// to underscores as a Prometheus 2 server stores them.
	if f := expfmt.NegotiateAccept(h, expfmt.DefaultOpenMetricsAcceptedFormats()...); f.FormatType() != expfmt.TypeProtoDelim || f.ToEscapingScheme() != model.UnderscoreEscaping {
		t.Errorf("a server offering protobuf answers %s", f)
	}
	// A server offering the text formats only: OpenMetrics when it offers it, else text.
	if f := expfmt.NegotiateAccept(h, expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtText); f.FormatType() != expfmt.TypeOpenMetrics || f.Version() != expfmt.OpenMetricsVersion_1_0_0 || f.ToEscapingScheme() != model.UnderscoreEscaping {
		t.Errorf("a server offering OpenMetrics answers %s", f)
	}
	if f := expfmt.NegotiateAccept(h, expfmt.FmtText); f.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("a server offering the text format only answers %s", f)
	}
	// Asking for the text format only: even a server that offers OpenMetrics answers in text.
	text := http.Header{"Accept": {acceptHeader(TextFormat)}}
	if got := text.Get("Accept"); strings.Contains(got, "openmetrics") || strings.Contains(got, "protobuf") {
		t.Errorf("text-only Accept asks for another format: %s", got)
	}
	if f := expfmt.NegotiateAccept(text, expfmt.DefaultOpenMetricsAcceptedFormats()...); f.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("with the text-only Accept, a server offering OpenMetrics answers %s", f)
	}
}

// clientGolang serves a client_golang registry through promhttp, as a service does, and
// records the headers of each request.
type clientGolang struct {
	srv     *httptest.Server
	mu      sync.Mutex
	headers []http.Header
}

func newClientGolang(t *testing.T, openMetrics bool) *clientGolang {
	t.Helper()
	return newClientGolangOffering(t, openMetrics, true)
}

// newClientGolangOffering is newClientGolang's service, behind withoutProtobuf when protobuf
// is false.
func newClientGolangOffering(t *testing.T, openMetrics, protobuf bool) *clientGolang {
	t.Helper()
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "http_requests_total", Help: "Requests by code."}, []string{"code"})
	reqs.WithLabelValues("200").Add(3)
	lat := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "http_request_duration_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}})
	lat.Observe(0.5)
	up := prometheus.NewGauge(prometheus.GaugeOpts{Name: "up_since_seconds", Help: "Start."})
	reg.MustRegister(reqs, lat, up)
	c := &clientGolang{}
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: openMetrics})
	if !protobuf {
		h = withoutProtobuf(h)
	}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.headers = append(c.headers, r.Header.Clone())
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func get(t *testing.T, raw string) (*Exposition, error) {
	t.Helper()
	u, err := tlsflags.ParseURL(raw)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return Fetch(ctx, &http.Client{Transport: &http.Transport{}}, u, PrometheusFormats)
}

func byName(fams []*dto.MetricFamily) map[string]*dto.MetricFamily {
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// TestFetchTextOnly: asked for the text format only, a real client_golang handler with
// OpenMetrics on answers in the text format, decoded with the same families.
func TestFetchTextOnly(t *testing.T) {
	c := newClientGolang(t, true)
	u, err := tlsflags.ParseURL(c.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := Fetch(context.Background(), &http.Client{Transport: &http.Transport{}}, u, TextFormat)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Format.FormatType() != expfmt.TypeTextPlain {
		t.Errorf("decoded as %s, want the text format", exp.Format)
	}
	if f := byName(exp.Families)["http_requests_total"]; f == nil || f.GetType() != dto.MetricType_COUNTER {
		t.Errorf("http_requests_total: %v", f)
	}
}

// TestFetchFromClientGolang scrapes a real client_golang handler, which answers protobuf with
// OpenMetrics on or off, and the same handler behind a server that does not offer protobuf, in
// the text format or OpenMetrics: it asks for gzip and decompresses, and an OpenMetrics counter
// comes back under its _total name.
func TestFetchFromClientGolang(t *testing.T) {
	for _, tc := range []struct {
		om, protobuf bool
		want         expfmt.FormatType
	}{
		{false, true, expfmt.TypeProtoDelim},
		{true, true, expfmt.TypeProtoDelim},
		{false, false, expfmt.TypeTextPlain},
		{true, false, expfmt.TypeOpenMetrics},
	} {
		om := tc.om
		c := newClientGolangOffering(t, om, tc.protobuf)
		exp, err := get(t, c.srv.URL+"/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if wantType := tc.want; exp.Format.FormatType() != wantType {
			t.Errorf("openMetrics=%v: decoded as %s", om, exp.Format)
		}
		fams := byName(exp.Families)
		for name, typ := range map[string]dto.MetricType{"http_requests_total": dto.MetricType_COUNTER, "http_request_duration_seconds": dto.MetricType_HISTOGRAM, "up_since_seconds": dto.MetricType_GAUGE} {
			if f := fams[name]; f == nil || f.GetType() != typ {
				t.Errorf("openMetrics=%v: %s is %v, want a %s; got %v", om, name, f, typ, exp.Families)
			}
		}
		if got := fams["http_requests_total"].GetMetric()[0].GetCounter().GetValue(); got != 3 {
			t.Errorf("openMetrics=%v: counter value %v", om, got)
		}
		for i := 1; i < len(exp.Families); i++ {
			if exp.Families[i-1].GetName() >= exp.Families[i].GetName() {
				t.Errorf("families not sorted: %s before %s", exp.Families[i-1].GetName(), exp.Families[i].GetName())
			}
		}
		c.mu.Lock()
		h := c.headers[0]
		c.mu.Unlock()
		if h.Get("Accept") != acceptHeader(PrometheusFormats) || h.Get("Accept-Encoding") != "gzip" {
			t.Errorf("request headers %v", h)
		}
	}
}

// TestFetchGzip: a gzipped body is decompressed whatever the transport would have done.
func TestFetchGzip(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		gz.Write([]byte("# TYPE a_total counter\na_total 1\n"))
		gz.Close()
	}))
	defer srv.Close()
	exp, err := get(t, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.Families) != 1 || exp.Families[0].GetName() != "a_total" {
		t.Errorf("families %v", exp.Families)
	}
}

// TestFetchErrors: every way a fetch fails is an error naming the URL (without its password)
// and what was wrong.
func TestFetchErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/404":
			http.NotFound(w, r)
		case "/html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<html>login</html>"))
		case "/br":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Encoding", "br")
			w.Write([]byte("x"))
		case "/badgzip":
			w.Header().Set("Content-Type", "text/plain")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write([]byte("not gzip"))
		case "/garbage":
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write([]byte("# TYPE a counter\na{ 1\n"))
		case "/om2":
			w.Header().Set("Content-Type", "application/openmetrics-text; version=2.0.0; charset=utf-8")
			w.Write([]byte("# EOF\n"))
		case "/om-without-eof":
			w.Header().Set("Content-Type", "application/openmetrics-text; version=1.0.0; charset=utf-8")
			w.Write([]byte("# TYPE a gauge\na 1\n"))
		}
	}))
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	secret := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1)
	for path, want := range map[string]string{
		secret + "/404":             "HTTP 404 Not Found",
		srv.URL + "/html":           `Content-Type "text/html; charset=utf-8" is not an exposition format`,
		srv.URL + "/br":             `Content-Encoding "br"`,
		srv.URL + "/badgzip":        "Content-Encoding gzip",
		srv.URL + "/garbage":        "parse:",
		srv.URL + "/om2":            `Content-Type "application/openmetrics-text; version=2.0.0; charset=utf-8"`,
		srv.URL + "/om-without-eof": "does not end with # EOF",
		"http://" + closed + "/":    "connection refused",
	} {
		_, err := get(t, path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", path, err, want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password leaks: %v", err)
		}
		if !strings.Contains(err.Error(), "GET http://") {
			t.Errorf("%s: the error does not name the URL: %v", path, err)
		}
	}
}

// TestOpenFileAndStdin: a file or stdin is OpenMetrics when it ends with # EOF, else the text
// format.
func TestOpenFileAndStdin(t *testing.T) {
	dir := t.TempDir()
	om := filepath.Join(dir, "m.om")
	if err := os.WriteFile(om, []byte("# TYPE jobs counter\njobs_total 1\n# EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	exp, err := Open(om, nil)
	if err != nil {
		t.Fatal(err)
	}
	if exp.Format.FormatType() != expfmt.TypeOpenMetrics || exp.Source != om || exp.Families[0].GetName() != "jobs_total" {
		t.Errorf("%s: %s %s %v", om, exp.Source, exp.Format, exp.Families)
	}
	exp, err = Open("-", strings.NewReader("# TYPE a gauge\na 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if exp.Format.FormatType() != expfmt.TypeTextPlain || exp.Source != "stdin" || len(exp.Families) != 1 {
		t.Errorf("stdin: %s %s %v", exp.Source, exp.Format, exp.Families)
	}
	for source, want := range map[string]string{
		filepath.Join(dir, "missing"): "no such file",
		"ftp://x":                     "ftp://x", // not a URL we fetch: a file named so
	} {
		if _, err := Open(source, nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error containing %q", source, err, want)
		}
	}
	if _, err := Open("-", strings.NewReader("a{ 1\n")); err == nil || !strings.HasPrefix(err.Error(), "stdin: parse:") {
		t.Errorf("unparsable stdin: %v", err)
	}
}

// TestBodyLimit: a source larger than maxBodyBytes is refused, not read into memory whole.
func TestBodyLimit(t *testing.T) {
	_, err := readAll(&endless{}, 4<<20)
	if err == nil || err.Error() != "more than 4 MiB: not a /metrics page" {
		t.Errorf("endless stream: %v", err)
	}
	if b, err := readAll(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Errorf("3 bytes with a 3-byte limit: %q, %v", b, err)
	}
}

// endless reads as an unending stream of comment lines.
type endless struct{}

func (*endless) Read(p []byte) (int, error) {
	line := []byte("# more\n")
	n := 0
	for n+len(line) <= len(p) {
		n += copy(p[n:], line)
	}
	if n == 0 {
		n = copy(p, bytes.Repeat([]byte{'#'}, len(p)))
	}
	return n, nil
}
