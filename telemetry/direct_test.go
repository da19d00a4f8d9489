package telemetry

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

func newDirectTelemetry(tb testing.TB, opts ...Option) *fixture {
	tb.Helper()
	tel, err := New(context.Background(), append([]Option{
		WithDirectScrape(), WithoutEnvironmentExporter(), WithoutRuntimeMetrics(),
		WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return withCatalogue(tb, tel)
}

// scrapeBody GETs /metrics from h with Prometheus's text Accept header.
func scrapeBody(tb testing.TB, h http.Handler, header http.Header) (*httptest.ResponseRecorder, string) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
	}
	return rec, rec.Body.String()
}

// otelFamilies returns the text body without the families of the client_golang collectors,
// whose values move between two scrapes.
func otelFamilies(tb testing.TB, tel *fixture, body string) string {
	tb.Helper()
	mfs, err := tel.runtimeReg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	runtime := map[string]bool{}
	for _, mf := range mfs {
		runtime[mf.GetName()] = true
	}
	var out strings.Builder
	for block := range strings.SplitAfterSeq(body, "\n# HELP ") {
		name, _, _ := strings.Cut(strings.TrimPrefix(block, "# HELP "), " ")
		if !runtime[name] {
			out.WriteString(block)
		}
	}
	return out.String()
}

// compareWithExporter scrapes tel through its handler (the direct path when it applies) and
// through the exporter's path alone (the old names of renamed metrics included), and requires
// the same OTel families byte for byte. It reports whether the direct path served the scrape.
func compareWithExporter(tb testing.TB, tel *fixture) (direct bool) {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	direct = tel.metrics.serveDirect(httptest.NewRecorder(), req)
	_, got := scrapeBody(tb, tel.Handler(), nil)
	_, want := scrapeBody(tb, tel.metrics.exporter, nil)
	if g, w := otelFamilies(tb, tel, got), otelFamilies(tb, tel, want); g != w {
		tb.Fatalf("direct path differs from the exporter (direct=%v):\n%s", direct, firstDifference(g, w))
	}
	return direct
}

func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  direct:   " + g[i] + "\n  exporter: " + w[i]
		}
	}
	return "lengths " + strconv.Itoa(len(g)) + " and " + strconv.Itoa(len(w)) + " lines"
}

// TestDirectScrapeMatchesExporter: the whole catalogue recorded (histograms, summaries, gauges,
// counters bound and unbound), label values that need escaping, special float values and many series:
// the direct path serves it, identical to the exporter.
func TestDirectScrapeMatchesExporter(t *testing.T) {
	tel := newDirectTelemetry(t)
	ctx := context.Background()
	recordEveryInstrument(ctx, tel.Instruments)
	for i := range 500 {
		tel.Instruments.RequestsTotal.Add(ctx, int64(i), "c"+strconv.Itoa(i))
		tel.Instruments.RequestSeconds.Record(ctx, float64(i)/1000, "c"+strconv.Itoa(i%7))
	}
	tel.Instruments.WritesTotal.Add(ctx, 1, "quote\" back\\slash new\nline ünïcode")
	tel.Instruments.DiskUsedPercent.Record(ctx, math.Inf(+1))
	tel.Instruments.ConnectedPeers.Record(ctx, -1)
	tel.Instruments.WriteSeconds.Record(ctx, math.NaN(), "nan")
	tel.Instruments.Rx.Add(ctx, 1<<53+1)
	for i := range 300 {
		tel.Instruments.PayloadBytes.RecordSet(ctx, float64(i)/7, attribute.NewSet(attribute.String("op", "o"+strconv.Itoa(i%40))))
	}
	tel.Instruments.PayloadBytes.Record(ctx, math.Inf(-1), "quote\" back\\slash new\nline")
	tel.Instruments.QueueItems.Record(ctx, -3)
	if !compareWithExporter(t, tel) {
		t.Fatal("the direct path did not serve a scrape it supports")
	}
}

// TestDirectScrapeFallsBack: what the direct path does not render goes to the exporter,
// whose answer the client gets unchanged.
func TestDirectScrapeFallsBack(t *testing.T) {
	t.Run("invalid UTF-8", func(t *testing.T) {
		tel := newDirectTelemetry(t)
		tel.Instruments.RequestsTotal.Add(context.Background(), 1, "bad\xff")
		if compareWithExporter(t, tel) {
			t.Fatal("served directly")
		}
	})
	t.Run("exponential histogram", func(t *testing.T) {
		view := sdkmetric.NewView(sdkmetric.Instrument{Name: "request_seconds"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 20, MaxScale: 4}})
		tel := newDirectTelemetry(t, WithView(view))
		tel.Instruments.RequestSeconds.Record(context.Background(), 0.5, "b")
		if compareWithExporter(t, tel) {
			t.Fatal("served directly")
		}
	})
	t.Run("protobuf", func(t *testing.T) {
		tel := newDirectTelemetry(t)
		rec, _ := scrapeBody(t, tel.Handler(), http.Header{"Accept": {"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}})
		if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "protobuf") {
			t.Fatalf("Content-Type %q, want protobuf", ct)
		}
	})
	t.Run("name[] filter", func(t *testing.T) {
		tel := newDirectTelemetry(t)
		recordEveryInstrument(context.Background(), tel.Instruments)
		req := httptest.NewRequest(http.MethodGet, "/metrics?name[]=rx", nil)
		rec := httptest.NewRecorder()
		tel.Handler().ServeHTTP(rec, req)
		if body := rec.Body.String(); !strings.HasPrefix(body, "# HELP rx ") || strings.Count(body, "# TYPE") != 1 {
			t.Fatalf("filtered body:\n%s", body)
		}
	})
}

// TestDirectScrapeGzip: Prometheus asks for gzip; the direct path compresses as promhttp does.
func TestDirectScrapeGzip(t *testing.T) {
	tel := newDirectTelemetry(t)
	recordEveryInstrument(context.Background(), tel.Instruments)
	rec, body := scrapeBody(t, tel.Handler(), http.Header{"Accept-Encoding": {"gzip"}})
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	_, want := scrapeBody(t, tel.Handler(), nil)
	if g, w := otelFamilies(t, tel, string(plain)), otelFamilies(t, tel, want); g != w {
		t.Fatalf("gzip body differs:\n%s", firstDifference(g, w))
	}
}

func TestNegotiateEncoding(t *testing.T) {
	for header, want := range map[string]string{
		"":                       "identity",
		"gzip":                   "gzip",
		"gzip, identity":         "identity",
		"identity;q=0.5, gzip":   "gzip",
		"*":                      "identity",
		"br":                     "identity",
		"gzip;q=0, identity;q=0": "",
		"GZIP;q=0.8":             "gzip",
	} {
		if got := negotiateEncoding(header); got != want {
			t.Errorf("negotiateEncoding(%q) = %q, want %q", header, got, want)
		}
	}
}

// FuzzDirectScrape records arbitrary values with arbitrary label strings into arbitrary
// instruments of the catalogue, bound and unbound, with an arbitrary set of old names declared
// (fuzzRenames), and requires the direct path and the exporter's to serve the same families.
func FuzzDirectScrape(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"), "backend", "get", uint8(0))
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 0x22}, "a\"b\\c\nd", "\xff", uint8(0x0f))
	f.Add([]byte{3, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 9, 9, 9, 9, 9, 9, 9, 9, 0x40}, "", "ünï", uint8(0xf0))
	f.Add([]byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11"), "backend", "get", uint8(0xff))
	f.Fuzz(func(t *testing.T, ops []byte, l0, l1 string, renamed uint8) {
		tel := newDirectTelemetry(t)
		// Old names, as catalogues with renamed_from declare them: bit i of renamed declares
		// fuzzRenames[i].
		for i, l := range fuzzRenames {
			if renamed&(1<<i) != 0 {
				tel.renames.declare(l)
			}
		}
		ctx := context.Background()
		labels := []string{l0, l1, l0 + l1}
		for len(ops) >= 9 {
			which := int(ops[0] >> 1)
			bound := ops[0]&1 == 1
			val := math.Float64frombits(binary.LittleEndian.Uint64(ops[1:9]))
			instrumenttest.Record(ctx, tel.Instruments, which, bound, val, func(j int) string { return labels[(j+which)%len(labels)] })
			ops = ops[9:]
		}
		compareWithExporter(t, tel)
	})
}

// fuzzRenames are old names FuzzDirectScrape may declare for the test catalogue's families: of
// a counter, a histogram (two), a summary (a gathered family), a gauge, one that sorts first,
// and one that another family already has, which stays that family's.
var fuzzRenames = []instrument.Lifecycle{
	{Name: "requests_total", RenamedFrom: []string{"requests_old_total"}},
	{Name: "request_seconds", RenamedFrom: []string{"request_latency_seconds", "request_time_seconds"}},
	{Name: "payload_bytes", RenamedFrom: []string{"payload_size_bytes"}},
	{Name: "disk_used_percent", RenamedFrom: []string{"disk_percent"}},
	{Name: "rx", RenamedFrom: []string{"aaa_rx"}},
	{Name: "in_flight", RenamedFrom: []string{"writes_total"}},
	{Name: "queue_items", RenamedFrom: []string{"queue_length"}},
	{Name: "write_seconds", RenamedFrom: []string{"requests_total"}},
}

// TestAbortedScrapesLogOnce aborts 100 scrapes mid-body over real sockets, on the exporter's
// path and the direct one, and counts the log lines: at most one per aborted scrape, where
// promhttp alone logged one per remaining metric family.
func TestAbortedScrapesLogOnce(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run("direct="+strconv.FormatBool(direct), func(t *testing.T) {
			var logs testutil.SyncBuffer
			opts := []Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithCardinalityLimit(0), WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			if direct {
				opts = append(opts, WithDirectScrape())
			}
			t0, err := New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer t0.Shutdown(context.Background())
			tel := withCatalogue(t, t0)
			ctx := context.Background()
			recordEveryInstrument(ctx, tel.Instruments)
			for i := range 20_000 { // a body of about a megabyte: far more than socket buffers hold
				tel.Instruments.RequestsTotal.Add(ctx, 1, "component-with-a-long-name-"+strconv.Itoa(i))
			}
			srv := httptest.NewServer(tel.Handler())
			defer srv.Close()
			const scrapes = 100
			for range scrapes {
				resp, err := http.Get(srv.URL)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.ReadFull(resp.Body, make([]byte, 64)); err != nil {
					t.Fatal(err)
				}
				resp.Body.Close() // mid-body: the transport closes the connection
			}
			// The server side notices the closed connections asynchronously.
			deadline := time.Now().Add(10 * time.Second)
			for strings.Count(logs.String(), "scrape aborted") < scrapes/2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			srv.Close()
			out := logs.String()
			lines := strings.Count(out, "\n")
			aborted := strings.Count(out, "scrape aborted by the client")
			if aborted == 0 || aborted > scrapes || lines != aborted {
				t.Fatalf("%d log lines, %d about aborted scrapes, for %d aborted scrapes:\n%.2000s", lines, aborted, scrapes, out)
			}
		})
	}
}
