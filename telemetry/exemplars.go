package telemetry

import (
	"fmt"
	"os"
	"strings"

	"go.opentelemetry.io/otel/sdk/metric/exemplar"
)

// envExemplarFilter is the specification's variable for the exemplar filter.
const envExemplarFilter = "OTEL_METRICS_EXEMPLAR_FILTER"

// exemplarFilter returns the filter the pipeline uses: OTEL_METRICS_EXEMPLAR_FILTER when set,
// else the WithExemplarFilter option, else always_off. Unlike the SDK, which ignores a value it
// does not know, a bad value is an error naming the variable.
func exemplarFilter(cfg *config) (exemplar.Filter, error) {
	v := strings.ToLower(strings.TrimSpace(os.Getenv(envExemplarFilter)))
	switch v {
	case "":
		if cfg.exemplarFilter != nil {
			return cfg.exemplarFilter, nil
		}
		return exemplar.AlwaysOffFilter, nil
	case "always_off":
		return exemplar.AlwaysOffFilter, nil
	case "always_on":
		return exemplar.AlwaysOnFilter, nil
	case "trace_based":
		return exemplar.TraceBasedFilter, nil
	}
	return nil, fmt.Errorf("telemetry: %s=%q: want always_off, always_on or trace_based", envExemplarFilter, os.Getenv(envExemplarFilter))
}
