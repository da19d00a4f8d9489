package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The Accept headers of Debian's Prometheus 2.42 (scrape.acceptHeader), without and with
// --enable-feature=native-histograms, which asks for protobuf first.
const (
	prometheus2Accept       = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
	prometheus2NativeAccept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

// scrapeAs GETs /metrics from h with the Accept header accept (and Accept-Encoding gzip when
// gz) and returns the Content-Type and the decompressed body.
func scrapeAs(tb testing.TB, h http.Handler, accept string, gz bool) (string, []byte) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	if gz {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("Accept %q: HTTP %d: %s", accept, rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	if enc := rec.Header().Get("Content-Encoding"); enc == "gzip" {
		r, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		if body, err = io.ReadAll(r); err != nil {
			tb.Fatal(err)
		}
	} else if gz {
		tb.Fatalf("Accept-Encoding gzip: Content-Encoding %q", enc)
	}
	return rec.Header().Get("Content-Type"), body
}

// decodeAs decodes body, served with Content-Type ct, with expfmt, by name.
func decodeAs(tb testing.TB, ct string, body []byte) map[string]*dto.MetricFamily {
	tb.Helper()
	format := expfmt.ResponseFormat(http.Header{"Content-Type": {ct}})
	dec := expfmt.NewDecoder(bytes.NewReader(body), format)
	out := map[string]*dto.MetricFamily{}
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("decode %s: %v", ct, err)
		}
		out[mf.GetName()] = mf
	}
}

// TestOpenMetricsWhenAsked: a scrape that asks for OpenMetrics first, as Prometheus does, gets
// OpenMetrics 1.0, gzipped when asked, and every sample under the name the text format gives
// it: counters lacking _total (rx) are served as unknown, which keeps their name; on both
// paths, exporter and direct.
func TestOpenMetricsWhenAsked(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(map[bool]string{false: "exporter", true: "direct"}[direct], func(t *testing.T) {
			opts := []Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics()}
			if direct {
				opts = append(opts, WithDirectScrape())
			}
			tel := withCatalogue(t, newTestTelemetry(t, opts...))
			recordEveryInstrument(context.Background(), tel.Instruments)
			_, text := scrapeAs(t, tel.Handler(), "text/plain;version=0.0.4", false)
			for _, gz := range []bool{false, true} {
				ct, om := scrapeAs(t, tel.Handler(), prometheus2Accept, gz)
				if !strings.HasPrefix(ct, "application/openmetrics-text; version=1.0.0") {
					t.Fatalf("Content-Type %q, want OpenMetrics 1.0.0", ct)
				}
				if !bytes.HasSuffix(om, []byte("# EOF\n")) {
					t.Fatalf("no # EOF at the end:\n%s", om)
				}
				compareSamples(t, sampleNames(t, "text/plain; version=0.0.4", text), sampleNames(t, ct, om))
			}
			_, om := scrapeAs(t, tel.Handler(), prometheus2Accept, false)
			if !bytes.Contains(om, []byte("# TYPE rx unknown\nrx ")) { // its value is compared above
				t.Errorf("rx is not served as unknown under its own name:\n%s", om)
			}
			if !bytes.Contains(om, []byte("# TYPE requests counter\nrequests_total{")) {
				t.Errorf("requests_total is not served as an OpenMetrics counter:\n%s", om)
			}
		})
	}
}

// sampleNames returns every sample of body (Content-Type ct) as name{labels} → value, read as
// Prometheus reads it (OpenMetrics' counter samples with their _total), with the le and
// quantile label values as numbers, which OpenMetrics writes 1.0 where the text format writes 1.
func sampleNames(tb testing.TB, ct string, body []byte) map[string]float64 {
	tb.Helper()
	out := map[string]float64{}
	dec := &expfmt.SampleDecoder{Dec: expfmt.NewDecoder(bytes.NewReader(body), expfmt.ResponseFormat(http.Header{"Content-Type": {ct}})), Opts: &expfmt.DecodeOptions{Timestamp: 1}}
	for {
		var v model.Vector
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("decode %s: %v", ct, err)
		}
		for _, s := range v {
			for _, l := range []model.LabelName{"le", "quantile"} {
				if val, ok := s.Metric[l]; ok {
					f, err := strconv.ParseFloat(string(val), 64)
					if err != nil {
						tb.Fatalf("%s=%q: %v", l, val, err)
					}
					s.Metric[l] = model.LabelValue(model.SampleValue(f).String())
				}
			}
			if strings.HasSuffix(string(s.Metric[model.MetricNameLabel]), "_created") {
				continue
			}
			out[s.Metric.String()] = float64(s.Value)
		}
	}
}

// compareSamples fails on every sample that one side has and the other lacks or values
// differently, leaving out the process and Go families, whose values move between scrapes.
func compareSamples(tb testing.TB, text, om map[string]float64) {
	tb.Helper()
	moving := func(s string) bool {
		return strings.HasPrefix(s, "go_") || strings.HasPrefix(s, "process_") || strings.HasPrefix(s, "promhttp_")
	}
	for s, v := range text {
		if w, ok := om[s]; !moving(s) && (!ok || w != v) {
			tb.Errorf("text %s = %v; OpenMetrics: %v (present %v)", s, v, w, ok)
		}
	}
	for s := range om {
		if _, ok := text[s]; !ok && !moving(s) {
			tb.Errorf("OpenMetrics serves %s, which the text format does not", s)
		}
	}
}

// TestTextStaysTheDefault: without an Accept header, with the text format's, and with
// WithoutOpenMetrics under Prometheus's, the answer is the text format, byte for byte what
// the exporter's promhttp handler (OpenMetrics off) writes.
func TestTextStaysTheDefault(t *testing.T) {
	for _, tc := range []struct {
		name, accept string
		opts         []Option
	}{
		{"no Accept", "", nil},
		{"text", "text/plain;version=0.0.4", nil},
		{"WithoutOpenMetrics", prometheus2Accept, []Option{WithoutOpenMetrics()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := withCatalogue(t, newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics()}, tc.opts...)...))
			recordEveryInstrument(context.Background(), tel.Instruments)
			ct, got := scrapeAs(t, tel.Handler(), tc.accept, false)
			if f := expfmt.ResponseFormat(http.Header{"Content-Type": {ct}}); f.FormatType() != expfmt.TypeTextPlain {
				t.Fatalf("Content-Type %q, want the text format", ct)
			}
			_, want := scrapeAs(t, promhttp.HandlerFor(tel.servedReg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}), tc.accept, false)
			if g, w := otelFamilies(t, tel, string(got)), otelFamilies(t, tel, string(want)); g != w {
				t.Fatalf("differs from the text format:\n%s", firstDifference(g, w))
			}
		})
	}
}

// TestProtobufWhenAsked: Prometheus with native histograms asks for delimited protobuf first
// and gets it, with the same families as the text format, counters lacking _total still
// counters (protobuf has no _total rule).
func TestProtobufWhenAsked(t *testing.T) {
	tel := withCatalogue(t, newTestTelemetry(t, WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithDirectScrape()))
	recordEveryInstrument(context.Background(), tel.Instruments)
	for _, gz := range []bool{false, true} {
		ct, body := scrapeAs(t, tel.Handler(), prometheus2NativeAccept, gz)
		if expfmt.ResponseFormat(http.Header{"Content-Type": {ct}}).FormatType() != expfmt.TypeProtoDelim {
			t.Fatalf("Content-Type %q, want delimited protobuf", ct)
		}
		_, text := scrapeAs(t, tel.Handler(), "text/plain;version=0.0.4", false)
		compareSamples(t, sampleNames(t, "text/plain; version=0.0.4", text), sampleNames(t, ct, body))
		if rx := decodeAs(t, ct, body)["rx"]; rx.GetType() != dto.MetricType_COUNTER || rx.GetMetric()[0].GetCounter().GetValue() != 1 {
			t.Errorf("rx in protobuf: %v", rx)
		}
	}
}
