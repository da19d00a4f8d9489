package instrument

import (
	"log/slog"
	"sync"
)

// DefaultCardinalityLimit is telediag's one default cardinality limit: telemetry's
// DefaultCardinalityLimit is this constant, and the reasons for its value are documented
// there. It lives here because telemetry imports this package. A Group created without
// WithCardinalityLimit bounds its series caches by it; telemetry's InstrumentOptions pass the
// pipeline's actual limit.
const DefaultCardinalityLimit = 10_000

// Option configures the Counters and Recorders of a Group.
type Option func(*config)

type config struct {
	limit  int
	logger *slog.Logger
}

func newConfig(opts []Option) config {
	c := config{limit: DefaultCardinalityLimit}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithCardinalityLimit is the cardinality limit of the MeterProvider the instrument comes from,
// counted as the SDK counts it: n-1 label sets and the otel.metric.overflow series; 0 or less
// means no limit. The instrument caches the first n-1 series it sees; the SDK folds any
// further one into its overflow series, so caching it would only cost memory. Calls for those
// series are still recorded, through the SDK's own (slower) path.
func WithCardinalityLimit(n int) Option { return func(c *config) { c.limit = n } }

// WithLogger makes the instrument log one warning, the first time a new label set arrives past
// the cardinality limit: from then on the SDK folds new label sets into the overflow series,
// which usually means an unbounded value (a user or request ID) in a label.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// newSeriesCache builds the cache of an instrument called name, as cfg bounds it.
func newSeriesCache[K comparable, V any](name string, cfg config, create func(K) *V) *seriesCache[K, V] {
	c := &seriesCache[K, V]{m: make(map[K]*V), max: cfg.limit - 1, unbounded: cfg.limit <= 0, create: create}
	if l := cfg.logger; l != nil {
		limit := cfg.limit
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
	c.m[k] = v
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
