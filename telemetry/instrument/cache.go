package instrument

import (
	"log/slog"
	"sync"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
)

// DefaultCardinalityLimit is telediag's one default cardinality limit: telemetry's
// DefaultCardinalityLimit is this constant, and the reasons for its value are documented
// there. It lives here because telemetry imports this package. It is also what a Group bounds
// its series caches by when its Meter carries no Settings (a plain SDK or no-op provider).
const DefaultCardinalityLimit = 10_000

// Settings are what the record path must know of the MeterProvider its instruments come from.
// A Group reads them from its Meter when it is created (see WithSettings), never per call.
type Settings struct {
	// CardinalityLimit is the provider's limit, counted as the SDK counts it: n-1 label sets
	// and the otel.metric.overflow series; 0 or less means no limit. A Counter or Recorder
	// caches the first n-1 series it sees; the SDK folds any further one into its overflow
	// series, so caching it would only cost memory. Calls for those series are still
	// recorded, through the SDK's own (slower) path. A limit that differs from the provider's
	// loses no data either way: above it the caches hold series the SDK folds anyway, below it
	// series the SDK keeps take its slower path.
	CardinalityLimit int
	// Logger receives one warning per instrument, the first time a new label set arrives past
	// the cardinality limit: from then on the SDK folds new label sets into the overflow
	// series, which usually means an unbounded value (a user or request ID) in a label. Nil
	// logs nothing.
	Logger *slog.Logger
	// Serve reports whether the generated metric l describes is served: a Group's Serves asks
	// it when a catalogue creates the metric, and a metric it refuses is created as a no-op,
	// absent from every reader, its record calls returning at once. Nil serves what the
	// catalogue declares: metrics that are enabled and not hidden. telemetry sets it from the
	// operator's switches (telemetry.WithEnable, WithDisable, WithShowHiddenMetrics).
	Serve func(l Lifecycle) bool
	// Declare, when set, is told of every generated metric that is served, once, when its
	// catalogue creates it, so that the pipeline can serve what the metric's lifecycle asks
	// of it beyond its own name: telemetry serves the old names of a renamed metric (its
	// RenamedFrom) on /metrics.
	Declare func(l Lifecycle)

	// declareNative notes the native buckets of a histogram about to be created
	// (Group.DeclareNative). Only a FastPath's meters set it, with their scope: native buckets
	// are aggregated by the fast path alone.
	declareNative func(name string, n Native) bool
}

// defaultSettings are a Group's when its Meter carries none: DefaultCardinalityLimit and no
// logger. No logger, because the Group cannot know the provider's real limit (a plain SDK
// provider's is 2,000 unless it was given another), so a warning at its own bound could name
// the wrong moment.
func defaultSettings() Settings { return Settings{CardinalityLimit: DefaultCardinalityLimit} }

// settingsCarrier is a Meter that knows its provider's Settings: the meters of WithSettings'
// provider and of a FastPath's. The method is unexported so that Settings travel only
// with the provider they describe, through WithSettings or a FastPath, never beside it.
type settingsCarrier interface {
	instrumentSettings() Settings
}

// settingsOf returns the Settings m carries, or the defaults when it carries none.
func settingsOf(m metric.Meter) Settings {
	if c, ok := m.(settingsCarrier); ok {
		return c.instrumentSettings()
	}
	return defaultSettings()
}

// WithSettings returns mp with s attached: its Meters are mp's, and a Group created from one
// (a generated catalogue's NewInstruments) bounds its caches by s.CardinalityLimit and warns
// through s.Logger. Give s the values mp was built with. telemetry.Telemetry.MeterProvider
// already carries its pipeline's, so only a provider built elsewhere (a plain SDK provider
// with sdkmetric.WithCardinalityLimit) needs this. The instruments mp's Meters create are mp's
// own: nothing is added to their Add or Record. A provider that wraps the returned one and
// hands out Meters of its own (a decorator) hides s again: wrap that one instead.
func WithSettings(mp metric.MeterProvider, s Settings) metric.MeterProvider {
	return &settingsProvider{mp: mp, s: s}
}

// settingsProvider is the provider WithSettings returns.
type settingsProvider struct {
	embedded.MeterProvider
	mp metric.MeterProvider
	s  Settings
}

// Meter returns mp's Meter, carrying the settings.
func (p *settingsProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return &settingsMeter{Meter: p.mp.Meter(name, opts...), s: p.s}
}

// settingsMeter is a Meter that carries Settings; everything else is the wrapped Meter's.
type settingsMeter struct {
	metric.Meter
	s Settings
}

func (m *settingsMeter) instrumentSettings() Settings { return m.s }

// newSeriesCache builds the cache of an instrument called name, as s bounds it.
func newSeriesCache[K comparable, V any](name string, s Settings, create func(K) *V) *seriesCache[K, V] {
	c := &seriesCache[K, V]{m: make(map[K]*V), max: s.CardinalityLimit - 1, unbounded: s.CardinalityLimit <= 0, create: create}
	if l := s.Logger; l != nil {
		limit := s.CardinalityLimit
		c.onFull = func() {
			l.Warn("metrics: instrument reached its cardinality limit; new label sets are folded into the otel_metric_overflow series",
				"instrument", name, "limit", limit)
		}
	}
	return c
}

// seriesCache maps label values to per-series state built once by create. It holds at most max
// entries unless unbounded; get returns nil for a new key once it is full, and the first such
// miss calls onFull.
//
// Reads take a read lock and one map lookup, as client_golang's metricVec does; a Go map with
// an array-of-strings key hashes the values without allocating.
type seriesCache[K comparable, V any] struct {
	mu        sync.RWMutex
	m         map[K]*V
	max       int
	unbounded bool
	full      bool // a key has been refused
	create    func(K) *V
	onFull    func()
	// peak is the most entries the map held since it was last rebuilt, so that removals can
	// tell when the map's buckets are mostly empty (compactIfSparse).
	peak int
	// dead, when set, reports an entry that was deleted from the series it belongs to since it
	// was resolved: store refuses it, so that a Delete racing a first Record cannot leave the
	// cache pointing at a series nothing reads any more.
	dead func(*V) bool
}

func (c *seriesCache[K, V]) get(k K) *V {
	c.mu.RLock()
	v := c.m[k]
	c.mu.RUnlock()
	if v != nil {
		return v
	}
	return c.add(k)
}

func (c *seriesCache[K, V]) add(k K) *V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v := c.m[k]; v != nil {
		return v
	}
	if !c.unbounded && len(c.m) >= c.max {
		if !c.full && c.onFull != nil {
			c.onFull()
		}
		c.full = true
		return nil
	}
	v := c.create(k)
	c.m[k] = v
	c.peak = max(c.peak, len(c.m))
	return v
}

// lookup returns the entry of k, nil when there is none; it never creates one.
func (c *seriesCache[K, V]) lookup(k K) *V {
	c.mu.RLock()
	v := c.m[k]
	c.mu.RUnlock()
	return v
}

// store caches v for k unless k has an entry or the cache is full.
func (c *seriesCache[K, V]) store(k K, v *V) {
	// Past the bound every call would refuse; find that out under the read lock, so that label
	// sets past the cardinality limit do not take the write lock at each measurement.
	c.mu.RLock()
	_, ok := c.m[k]
	full := !c.unbounded && len(c.m) >= c.max
	c.mu.RUnlock()
	if ok || full {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || (!c.unbounded && len(c.m) >= c.max) {
		return
	}
	if c.dead != nil && c.dead(v) {
		return
	}
	c.m[k] = v
	c.peak = max(c.peak, len(c.m))
}

// each calls f for every cached entry under the read lock; f must not call back into c.
func (c *seriesCache[K, V]) each(f func(*V)) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, v := range c.m {
		f(v)
	}
}

// len reports the number of cached series.
func (c *seriesCache[K, V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// remove drops the entry of k and returns it, nil when there is none. The entry's memory goes
// with it unless something else (a bound handle) still holds it.
func (c *seriesCache[K, V]) remove(k K) *V {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[k]
	if v != nil {
		delete(c.m, k)
		c.compactIfSparse()
	}
	return v
}

// removeIf drops every entry for which match reports true and returns them. match runs under
// the write lock and must not call back into c.
func (c *seriesCache[K, V]) removeIf(match func(K, *V) bool) []*V {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*V
	for k, v := range c.m {
		if match(k, v) {
			delete(c.m, k)
			out = append(out, v)
		}
	}
	if len(out) > 0 {
		c.compactIfSparse()
	}
	return out
}

// compactIfSparse replaces an emptied map by a new one: a Go map never shrinks its buckets, so
// a cache that held 100,000 series and lost them all would otherwise keep their memory. c.mu is
// held.
func (c *seriesCache[K, V]) compactIfSparse() {
	if len(c.m) == 0 {
		c.m = make(map[K]*V)
		c.peak = 0
		return
	}
	if len(c.m) > c.peak {
		c.peak = len(c.m)
	}
	if len(c.m) < c.peak/4 {
		m := make(map[K]*V, len(c.m))
		for k, v := range c.m {
			m[k] = v
		}
		c.m, c.peak = m, len(m)
	}
}
