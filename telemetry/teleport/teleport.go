package teleport

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"go.opentelemetry.io/otel/metric"

	"github.com/telediag/telediag/internal/buildinfo"
	"github.com/telediag/telediag/probes"
)

// StateSource reports readiness, overall and per component; *probes.Monitor is one. Both are
// read at every collection: process_state reports State, and teleport_component_state one series
// per component of Components, so neither may block for long (the Monitor's State is an atomic
// load, and Components copies its table under a read lock that heartbeats hold only briefly).
type StateSource interface {
	// State is the process state, as /readyz reports it.
	State() probes.State
	// Components is every component the source knows, with its state.
	Components() []probes.ComponentStatus
}

// BuildInfo identifies the running build on teleport_build_info.
type BuildInfo struct {
	// Version is the release version (the version label).
	Version string
	// GitRef is the source revision (the gitref label).
	GitRef string
}

// Option configures New.
type Option func(*config)

type config struct {
	build BuildInfo
}

// WithBuildInfo sets the version and git ref teleport_build_info reports. By default they are
// read from the binary's embedded build information.
func WithBuildInfo(b BuildInfo) Option { return func(c *config) { c.build = b } }

// Metrics is Teleport's catalogue created from one MeterProvider, with the callbacks of
// teleport_build_info, process_state, teleport_component_state and the go_memstats families
// registered. Release, as for any generated catalogue, unregisters every callback it
// registered (the counters' drain included): it is for a catalogue dropped while the provider
// lives on (tests, reloads); at exit, leave it to the provider's Shutdown, whose final
// collection would otherwise miss the counters' additions since the previous one.
type Metrics struct {
	*Instruments
}

// New creates every instrument of the catalogue from mp's Meter named ScopeName, and registers
// the callbacks that report teleport_build_info (always 1, labelled with the build),
// process_state (state's State: 0 ok, 1 recovering, 2 degraded, 3 starting, as Teleport),
// teleport_component_state (the same values, one series per component of state's Components,
// labelled component) and the two go_memstats families that client_golang's Go collector no
// longer serves, go_memstats_lookups_total and go_memstats_gc_cpu_fraction. A component has a
// series from its first heartbeat on (or from the start, when the Monitor expects it); the
// Monitor never forgets a component, so neither does the gauge. As NewInstruments, it reads the
// cardinality limit and the logger of the record path from mp: telemetry.Telemetry.MeterProvider
// carries its pipeline's.
//
// The memstats families cost one runtime.ReadMemStats, a short stop-the-world pause, per
// collection (each scrape and each push): they are in Teleport's catalogue because its
// dashboards query them, and a service on its own catalogue does not pay for them.
func New(mp metric.MeterProvider, state StateSource, opts ...Option) (*Metrics, error) {
	if mp == nil {
		return nil, errors.New("teleport: New needs a MeterProvider")
	}
	if state == nil {
		return nil, errors.New("teleport: New needs a StateSource for process_state (a *probes.Monitor)")
	}
	version, gitRef := buildinfo.Read()
	cfg := config{build: BuildInfo{Version: version, GitRef: gitRef}}
	for _, o := range opts {
		o(&cfg)
	}
	inst, err := NewInstruments(mp)
	// A failed registration, or an instrument that could not be created, releases what was
	// registered before it.
	fail := func(err error) (*Metrics, error) { return nil, errors.Join(err, inst.Release()) }
	if err != nil {
		return fail(err)
	}
	goVersion := runtime.Version()
	build := cfg.build
	if _, err := inst.TeleportBuildInfo.Register(func(_ context.Context, o TeleportBuildInfoObserver) error {
		o.Observe(1, build.Version, build.GitRef, goVersion)
		return nil
	}); err != nil {
		return fail(err)
	}
	if _, err := inst.ProcessState.Register(func(_ context.Context, o ProcessStateObserver) error {
		o.Observe(int64(state.State()))
		return nil
	}); err != nil {
		return fail(err)
	}
	if _, err := inst.TeleportComponentState.Register(func(_ context.Context, o TeleportComponentStateObserver) error {
		for _, c := range state.Components() {
			o.Observe(int64(c.State), c.Name)
		}
		return nil
	}); err != nil {
		return fail(err)
	}
	// One callback for both memstats families, so that a collection reads the memory
	// statistics, a stop-the-world pause, once. A family switched off
	// (telemetry.WithDisable("go_memstats_*"), the very switch for an expensive family) is
	// left out of the registration by RegisterCallback, and with both off the callback never
	// runs, so nothing reads them.
	lookups, gcCPU := inst.GoMemstatsLookupsTotal.Inst(), inst.GoMemstatsGCCPUFraction.Inst()
	if _, err := inst.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		o.ObserveInt64(lookups, int64(ms.Lookups))
		o.ObserveFloat64(gcCPU, ms.GCCPUFraction)
		return nil
	}, lookups, gcCPU); err != nil {
		return fail(fmt.Errorf("teleport: the go_memstats families: %w", err))
	}
	return &Metrics{Instruments: inst}, nil
}
