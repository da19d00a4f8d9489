package telemetry

import (
	"context"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// testCatalogue is the pipeline's own test catalogue, a metric of every kind.
const testCatalogue = "internal/testcatalog/instruments.yaml"

// fixture is a pipeline with the test catalogue on it: tel.Instruments reads as a generated
// catalogue does in a service.
type fixture struct {
	*Telemetry
	Instruments *testcatalog.Instruments
}

// withCatalogue creates the test catalogue on tel, with a callback on each of its observables
// (build_info and uptime_seconds), as a service registers them.
func withCatalogue(tb testing.TB, tel *Telemetry) *fixture {
	tb.Helper()
	i, err := testcatalog.NewInstruments(tel.MeterProvider())
	if err != nil {
		tb.Fatal(err)
	}
	if err := instrumenttest.ObserveAll(i, 1, func(int) string { return "v1.2.3" }); err != nil {
		tb.Fatal(err)
	}
	return &fixture{Telemetry: tel, Instruments: i}
}

// recordEveryInstrument records once into every synchronous instrument of the catalogue.
func recordEveryInstrument(ctx context.Context, i *testcatalog.Instruments) {
	instrumenttest.RecordAll(ctx, i, 1, func(int) string { return "get" })
}

func newTestTelemetry(t testing.TB, opts ...Option) *Telemetry {
	t.Helper()
	tel, err := New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

// scrape fetches h like Prometheus does and parses the text format.
func scrape(t testing.TB, h http.Handler) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	return testutil.Scrape(t, h)
}

// generatedNames lists the catalogue's generated instruments.
func generatedNames(t testing.TB) []string {
	t.Helper()
	cat, err := catalog.Load(testCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range cat.Metrics {
		if m.Generated() {
			out = append(out, m.Name)
		}
	}
	return out
}
