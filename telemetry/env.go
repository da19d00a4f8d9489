package telemetry

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.opentelemetry.io/otel/attribute"
)

// The resource variables, read here rather than by the SDK's env detector:
// the detector refuses the whole process on one bad pair, where the
// specification says to report the value and discard it.
const (
	envResourceAttributes = "OTEL_RESOURCE_ATTRIBUTES"
	envServiceName        = "OTEL_SERVICE_NAME"
)

// checkEndpoint validates an OTLP endpoint variable, if set, as the
// specification requires: a URL with scheme http or https and a host. The
// OTLP exporters accept anything and quietly fall back (an ftp:// or a bare
// host:port becomes their default https endpoint), which surfaces only as
// failed exports later; here it is one error naming the variable, at start.
func checkEndpoint(name string) error {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil {
		return fmt.Errorf("telemetry: %s=%q is not a URL: %w", name, v, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("telemetry: %s=%q: want an http:// or https:// URL, e.g. http://127.0.0.1:4318", name, v)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("telemetry: %s=%q: the URL has no host", name, v)
	}
	return nil
}

// otlpEndpoint is where the environment sends metrics over protocol, for
// messages: the metrics-specific variable as it is, else the general one
// (plus /v1/metrics over HTTP), else the exporters' default.
func otlpEndpoint(protocol string) string {
	if v := os.Getenv(envMetricsEndpoint); v != "" {
		return v
	}
	base := os.Getenv(envEndpoint)
	if protocol == "grpc" {
		if base == "" {
			return "https://localhost:4317"
		}
		return base
	}
	if base == "" {
		return "https://localhost:4318/v1/metrics"
	}
	return strings.TrimSuffix(base, "/") + "/v1/metrics"
}

// parseResourceAttributes parses the value of OTEL_RESOURCE_ATTRIBUTES:
// comma-separated key=value pairs, key and value trimmed, the value
// percent-decoded. Empty members (a trailing comma) are skipped. Any pair
// without '=', with an empty key or with a bad percent-escape makes the
// whole value invalid, as the specification says it must then be
// discarded.
func parseResourceAttributes(s string) ([]attribute.KeyValue, error) {
	var attrs []attribute.KeyValue
	for _, pair := range strings.Split(s, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return nil, fmt.Errorf("pair %q has no '='", pair)
		}
		key := strings.TrimSpace(k)
		if key == "" {
			return nil, fmt.Errorf("pair %q has an empty key", pair)
		}
		val, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("pair %q: value is not percent-encoded correctly: %w", pair, err)
		}
		attrs = append(attrs, attribute.String(key, val))
	}
	return attrs, nil
}
