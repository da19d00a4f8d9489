package instrument

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
)

// drainInstrumentName names the observable instrument whose callback drains a Group's counters.
// It never observes anything, so no reader ever exports it; the SDK only needs one observable
// to attach a callback to, and it returns the same instrument to every Group of a Meter.
const drainInstrumentName = "telediag.instrument.drain"

// errReleased is returned when something is added to a Group after its Release.
var errReleased = errors.New("instrument: the group was released")

// Group is the instruments of one generated catalogue, created from one Meter. It carries the
// Settings of that Meter's provider (cardinality limit, logger), drains all their Counters
// with a single callback (one per catalogue, not one per counter, so a collection runs one
// callback however many counters there are), and tracks every callback registered through it.
// Release unregisters all of it, so a service that re-creates its catalogue on a long-lived
// MeterProvider (tests, reloads) leaves nothing behind.
//
// A nil *Group registers nothing and releases nothing.
type Group struct {
	meter    metric.Meter
	settings Settings

	// counters are drained by drainReg's callback. The SDK runs callbacks under its own lock,
	// the one RegisterCallback and Unregister take, so the callback must not wait for mu: it
	// loads the slice, which addCounter replaces (under mu) and never changes in place.
	counters atomic.Pointer[[]drainer]

	mu       sync.Mutex
	released bool
	drainReg metric.Registration
	// regs are the callbacks registered through RegisterCallback and not yet unregistered.
	regs map[*registration]struct{}
	// budgets are the max_series of the served metrics that declare one, by name, noted by
	// Serves for the instrument created next under that name.
	budgets map[string]int
}

// budget returns the series budget Serves noted for the metric called name, 0 for none.
func (g *Group) budget(name string) int {
	if g == nil {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.budgets[name]
}

// limitFor is the cardinality limit of the metric called name, counted as the SDK counts one
// (label sets and the overflow series): its budget plus the overflow series, unless the
// provider's limit is lower.
func (g *Group) limitFor(name string, provider int) int {
	b := g.budget(name)
	if b <= 0 || (provider > 0 && provider <= b+1) {
		return provider
	}
	return b + 1
}

// drainer is a Counter, whatever its type parameters.
type drainer interface{ drain(ctx context.Context) }

// NewGroup starts a group of instruments created from m. Every Counter and Recorder of the
// group bounds its cache by the cardinality limit of m's provider and warns through its logger,
// both read once, here, from the Settings m carries: telemetry.Telemetry.MeterProvider's Meters
// carry their pipeline's, and so do those of a provider wrapped by WithSettings or a
// FastPath. Any other Meter (a plain SDK or no-op provider's) gives DefaultCardinalityLimit
// and no warning.
func NewGroup(m metric.Meter) *Group {
	return &Group{meter: m, settings: settingsOf(m), regs: map[*registration]struct{}{}}
}

// Serves reports whether the generated metric l describes is served on the group's provider
// (Settings.Serve; without one, when it is enabled and not hidden), and declares a served one
// to the provider (Settings.Declare), which may serve its old names. Generated code asks it
// once per metric, when the catalogue is created, and creates a metric that is not served as
// a no-op, so that it is absent from /metrics and OTLP and its record calls return at once. A
// nil group serves everything: it has no provider to serve on.
func (g *Group) Serves(l Lifecycle) bool {
	if g == nil {
		return true
	}
	served := l.Enabled && !l.Hidden
	if g.settings.Serve != nil {
		served = g.settings.Serve(l)
	}
	if served && g.settings.Declare != nil {
		g.settings.Declare(l)
	}
	if served && l.MaxSeries > 0 {
		g.mu.Lock()
		if g.budgets == nil {
			g.budgets = map[string]int{}
		}
		g.budgets[l.Name] = l.MaxSeries
		g.mu.Unlock()
	}
	return served
}

// RegisterCallback registers f with the group's Meter for instruments, as
// metric.Meter.RegisterCallback does, and tracks the registration: Release unregisters it
// unless it was unregistered before. On a nil group it registers nothing.
func (g *Group) RegisterCallback(f metric.Callback, instruments ...metric.Observable) (metric.Registration, error) {
	if g == nil {
		return noop.Registration{}, nil
	}
	// A metric that is not served is a no-op instrument, which the SDK refuses to register
	// ("from different implementation") and logs an error for at every observation: a callback
	// for several metrics registers for the served ones only, and its observations of the
	// others are dropped, so that switching a metric off never breaks its neighbours.
	served := make([]metric.Observable, 0, len(instruments))
	for _, inst := range instruments {
		if !isNoopObservable(inst) {
			served = append(served, inst)
		}
	}
	if len(served) == 0 {
		return noop.Registration{}, nil
	}
	if len(served) < len(instruments) {
		inner := f
		f = func(ctx context.Context, o metric.Observer) error { return inner(ctx, servedObserver{o}) }
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return nil, errReleased
	}
	sdk, err := g.meter.RegisterCallback(f, served...)
	if err != nil {
		return nil, err
	}
	r := &registration{Registration: sdk, group: g}
	g.regs[r] = struct{}{}
	return r, nil
}

// Release unregisters every callback of the group: the one that drains its counters and those
// registered through RegisterCallback. The group's drained Counters then reach no reader
// (additions since the last collection are lost too) and observable instruments stop
// reporting; Recorders, and Counters on the fast path, are not affected: they record into the
// SDK, or into a fast stream's cells that the readers' producers keep collecting, as the SDK
// keeps its instruments. Every call is still accepted. Release is idempotent and safe on a nil
// group.
func (g *Group) Release() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return nil
	}
	g.released = true
	var errs []error
	if g.drainReg != nil {
		if err := g.drainReg.Unregister(); err != nil {
			errs = append(errs, fmt.Errorf("instrument: unregister the counters' drain: %w", err))
		}
		g.drainReg = nil
	}
	for r := range g.regs {
		if err := r.Registration.Unregister(); err != nil {
			errs = append(errs, fmt.Errorf("instrument: unregister callback: %w", err))
		}
	}
	clear(g.regs)
	g.counters.Store(nil)
	return errors.Join(errs...)
}

// addCounter makes the group's drain callback drain c, registering that callback with the
// first counter.
func (g *Group) addCounter(c drainer) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		return errReleased
	}
	if g.drainReg == nil {
		drain, err := g.meter.Int64ObservableGauge(drainInstrumentName,
			metric.WithDescription("Never observed: drains telediag's batched counters into the SDK at each collection."))
		if err != nil {
			return fmt.Errorf("instrument: drain instrument: %w", err)
		}
		g.drainReg, err = g.meter.RegisterCallback(func(ctx context.Context, _ metric.Observer) error {
			g.drain(ctx)
			return nil
		}, drain)
		if err != nil {
			return fmt.Errorf("instrument: register drain callback: %w", err)
		}
	}
	var counters []drainer
	if old := g.counters.Load(); old != nil {
		counters = append(counters, *old...)
	}
	counters = append(counters, c)
	g.counters.Store(&counters)
	return nil
}

// drain moves every counter's pending additions into the SDK. The SDK runs it before each
// reader reads its aggregations.
func (g *Group) drain(ctx context.Context) {
	counters := g.counters.Load()
	if counters == nil {
		return
	}
	for _, c := range *counters {
		c.drain(ctx)
	}
}

// registration is a callback registered through a Group; unregistering it also forgets it.
type registration struct {
	metric.Registration
	group *Group
}

// Unregister unregisters the callback; it does nothing once the callback was unregistered,
// directly or by the group's Release.
func (r *registration) Unregister() error {
	g := r.group
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.regs[r]; !ok {
		return nil
	}
	delete(g.regs, r)
	return r.Registration.Unregister()
}

// isNoopObservable reports whether inst is one of the no-op observable instruments generated
// code creates for a metric that is not served.
func isNoopObservable(inst metric.Observable) bool {
	switch inst.(type) {
	case noop.Int64ObservableCounter, noop.Int64ObservableUpDownCounter, noop.Int64ObservableGauge,
		noop.Float64ObservableCounter, noop.Float64ObservableUpDownCounter, noop.Float64ObservableGauge:
		return true
	}
	return false
}

// servedObserver drops the observations of no-op instruments, which the SDK's observer would
// report as errors, and passes the rest on.
type servedObserver struct{ metric.Observer }

func (o servedObserver) ObserveFloat64(inst metric.Float64Observable, v float64, opts ...metric.ObserveOption) {
	if !isNoopObservable(inst) {
		o.Observer.ObserveFloat64(inst, v, opts...)
	}
}

func (o servedObserver) ObserveInt64(inst metric.Int64Observable, v int64, opts ...metric.ObserveOption) {
	if !isNoopObservable(inst) {
		o.Observer.ObserveInt64(inst, v, opts...)
	}
}
