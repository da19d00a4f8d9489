package instrument

import "sync"

// DefaultCardinalityLimit bounds how many series an instrument caches when no
// WithCardinalityLimit is given. It equals telemetry.DefaultCardinalityLimit, the limit the
// telediag pipeline gives the SDK, so that every series the SDK keeps separately is also fast.
const DefaultCardinalityLimit = 100_000

// Option configures a Counter or a Recorder.
type Option func(*config)

type config struct{ limit int }

func newConfig(opts []Option) config {
	c := config{limit: DefaultCardinalityLimit}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithCardinalityLimit bounds the series an instrument caches; 0 means no bound. Give it the
// cardinality limit of the MeterProvider the instruments come from: series past it are folded
// into one overflow series by the SDK anyway, so caching them would only cost memory. Calls for
// series past the bound are still recorded, through the SDK's own (slower) path.
func WithCardinalityLimit(n int) Option { return func(c *config) { c.limit = n } }

// seriesCache maps label values to per-series state built once by create. It holds at most limit
// entries (no bound when limit <= 0); get returns nil for a new key once it is full.
//
// Reads take a read lock and one map lookup, as client_golang's metricVec does; a Go map with
// an array-of-strings key hashes the values without allocating.
type seriesCache[K comparable, V any] struct {
	mu     sync.RWMutex
	m      map[K]*V
	limit  int
	create func(K) *V
}

func newSeriesCache[K comparable, V any](limit int, create func(K) *V) *seriesCache[K, V] {
	return &seriesCache[K, V]{m: make(map[K]*V), limit: limit, create: create}
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
	if c.limit > 0 && len(c.m) >= c.limit {
		return nil
	}
	v := c.create(k)
	c.m[k] = v
	return v
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
