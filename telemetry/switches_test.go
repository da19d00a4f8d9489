package telemetry

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// TestSwitchesDisable: a disabled family is absent from /metrics and from a push reader, and
// recording into it is accepted.
func TestSwitchesDisable(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	t.Setenv(envMetricsDisable, "payload_*")
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(),
		WithReader(reader), WithDisable("request_*", "in_flight")))
	recordEveryInstrument(ctx, f.Instruments)
	got, text := scrape(t, f.Handler())
	for _, name := range []string{"request_seconds", "in_flight", "payload_bytes"} {
		if got[name] != nil {
			t.Errorf("%s served on /metrics though disabled:\n%s", name, text)
		}
	}
	for _, name := range []string{"requests_total", "write_seconds", "queue_items"} {
		if got[name] == nil {
			t.Errorf("%s not served on /metrics:\n%s", name, text)
		}
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if strings.HasPrefix(m.Name, "request_") || m.Name == "in_flight" {
				t.Errorf("%s reached the push reader though disabled", m.Name)
			}
		}
	}
}

// TestSwitchesRule: the pipeline's rule is catalog.Switches.Served, options and variables
// together: enable globs serve disabled families, disable wins, hidden ones need showing.
func TestSwitchesRule(t *testing.T) {
	t.Setenv(envMetricsEnable, "opt_in_*")
	sw, err := switches(newConfig([]Option{WithEnable("extra"), WithDisable("opt_in_bad")}))
	if err != nil {
		t.Fatal(err)
	}
	serve := serveRule(sw)
	for _, tc := range []struct {
		l    instrument.Lifecycle
		want bool
	}{
		{instrument.Lifecycle{Name: "plain", Enabled: true}, true},
		{instrument.Lifecycle{Name: "off"}, false},
		{instrument.Lifecycle{Name: "opt_in_x"}, true},
		{instrument.Lifecycle{Name: "extra"}, true},
		{instrument.Lifecycle{Name: "opt_in_bad"}, false},
		{instrument.Lifecycle{Name: "old", Enabled: true, Hidden: true}, false},
	} {
		if got := serve(tc.l); got != tc.want {
			t.Errorf("%+v: served %v, want %v", tc.l, got, tc.want)
		}
	}
	sw, err = switches(newConfig([]Option{WithShowHiddenMetrics()}))
	if err != nil || !serveRule(sw)(instrument.Lifecycle{Name: "old", Enabled: true, Hidden: true}) {
		t.Errorf("WithShowHiddenMetrics does not show a hidden family (%v)", err)
	}
}

// TestSwitchesErrors: a bad glob or value fails New, naming where it came from.
func TestSwitchesErrors(t *testing.T) {
	for _, tc := range []struct {
		env, val string
		opts     []Option
		want     string
	}{
		{envMetricsDisable, "a,[", nil, envMetricsDisable},
		{envMetricsEnable, "ok,,", nil, envMetricsEnable},
		{envShowHiddenMetrics, "perhaps", nil, envShowHiddenMetrics},
		{"", "", []Option{WithEnable("[")}, "WithEnable"},
		{"", "", []Option{WithDisable("")}, "WithDisable"},
	} {
		if tc.env != "" {
			t.Setenv(tc.env, tc.val)
		}
		_, err := New(context.Background(), append(tc.opts, WithoutRuntimeMetrics(), WithoutEnvironmentExporter())...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q %d options: error %v, want one naming %s", tc.env, tc.val, len(tc.opts), err, tc.want)
		}
		if tc.env != "" {
			t.Setenv(tc.env, "")
		}
	}
}

// TestDisabledAllocatesNothing: every record call of a switched-off metric, of every kind the
// generator writes (counters with and without labels, bound and not, an up-down counter,
// histograms, summaries, gauges), and Bind itself, allocate nothing. Not a timing: that is
// test/bench's BenchmarkDisabledRecord.
func TestDisabledAllocatesNothing(t *testing.T) {
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithDisable("*")))
	i := f.Instruments
	if got, _ := scrape(t, f.Handler()); got["requests_total"] != nil || got["request_seconds"] != nil || got["payload_bytes"] != nil {
		t.Fatal("WithDisable(\"*\") left catalogue families served")
	}
	for name, call := range map[string]func(){
		"counter Add":            func() { i.RequestsTotal.Add(ctx, 1, "a") },
		"counter Bind":           func() { _ = i.RequestsTotal.Bind("a") },
		"bound counter Add":      func() { i.RequestsTotal.Bind("a").Add(ctx, 1) },
		"label-less counter Add": func() { i.Rx.Add(ctx, 1) },
		"up-down counter Add":    func() { i.InFlight.Add(ctx, -1, testcatalog.OpGet) },
		"bound up-down Add":      func() { i.InFlight.Bind(testcatalog.OpPut).Add(ctx, 1) },
		"histogram Record":       func() { i.RequestSeconds.Record(ctx, 0.1, "a") },
		"bound histogram Record": func() { i.RequestSeconds.Bind("a").Record(ctx, 0.1) },
		"summary Record":         func() { i.PayloadBytes.Record(ctx, 10, testcatalog.OpGet) },
		"bound summary Record":   func() { i.PayloadBytes.Bind(testcatalog.OpGet).Record(ctx, 10) },
		"label-less summary":     func() { i.QueueItems.Record(ctx, 3) },
		"gauge Record":           func() { i.DiskUsedPercent.Record(ctx, 50) },
		"int gauge Record":       func() { i.ConnectedPeers.Record(ctx, 2) },
	} {
		if n := testing.AllocsPerRun(100, call); n != 0 {
			t.Errorf("disabled %s: %v allocations per call, want 0", name, n)
		}
	}
}

// TestCallbackOverASwitchedOffMetric: one RegisterCallback for two observables of which one
// is switched off registers, the served one reports, the other is absent, and the SDK logs
// nothing (its observer reports every observation of an instrument it did not create, and
// registering one failed "from different implementation", which made a service fail at start
// for switching a metric off).
func TestCallbackOverASwitchedOffMetric(t *testing.T) {
	var mu sync.Mutex
	var logged []string
	otel.SetLogger(funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, prefix+" "+args)
	}, funcr.Options{}))
	t.Cleanup(func() { otel.SetLogger(logr.Discard()) })

	tel := newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithDisable("uptime_seconds"))
	i, err := testcatalog.NewInstruments(tel.MeterProvider())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := i.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(i.BuildInfo.Inst(), 1, metric.WithAttributes(attribute.String("version", "v1")))
		o.ObserveFloat64(i.UptimeSeconds.Inst(), 42)
		return nil
	}, i.BuildInfo.Inst(), i.UptimeSeconds.Inst())
	if err != nil {
		t.Fatalf("RegisterCallback with a switched-off observable: %v", err)
	}
	got, text := scrape(t, tel.Handler())
	if got["build_info"] == nil {
		t.Errorf("build_info not served:\n%s", text)
	}
	if got["uptime_seconds"] != nil {
		t.Errorf("uptime_seconds served though switched off:\n%s", text)
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logged) > 0 {
		t.Errorf("the SDK logged:\n%s", strings.Join(logged, "\n"))
	}
}
