package catalog

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSummaryDefaults holds the defaults of a generated summary's window to client_golang's,
// which the package does not import.
func TestSummaryDefaults(t *testing.T) {
	if DefaultMaxAge != prometheus.DefMaxAge || DefaultAgeBuckets != prometheus.DefAgeBuckets {
		t.Errorf("DefaultMaxAge %s, DefaultAgeBuckets %d; client_golang's are %s and %d",
			DefaultMaxAge, DefaultAgeBuckets, prometheus.DefMaxAge, prometheus.DefAgeBuckets)
	}
}
