package telemetry

import (
	"context"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
	"github.com/telediag/telediag/telemetry/teleport"
)

// fixture is a pipeline with Teleport's catalogue on it, the realistic load for the generic
// pipeline's tests: tel.Instruments reads as it does in a service.
type fixture struct {
	*Telemetry
	Instruments *teleport.Instruments
}

// withTeleport creates Teleport's catalogue on tel, process_state fed by a fresh monitor with
// one expected component, so that teleport_component_state has a series too.
func withTeleport(tb testing.TB, tel *Telemetry) *fixture {
	tb.Helper()
	monitor, err := probes.New(probes.WithExpected("auth"))
	if err != nil {
		tb.Fatal(err)
	}
	m, err := teleport.New(tel.MeterProvider(), monitor, teleport.WithInstrumentOptions(tel.InstrumentOptions()...))
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{Telemetry: tel, Instruments: m.Instruments}
}

// recordEveryInstrument records once into every synchronous instrument of the catalogue.
func recordEveryInstrument(ctx context.Context, i *teleport.Instruments) {
	instrumenttest.RecordAll(ctx, i, 1, func(int) string { return "example" })
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
	cat, err := catalog.Load("../instruments.yaml")
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
