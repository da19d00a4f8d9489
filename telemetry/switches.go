package telemetry

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/telemetry/instrument"
)

// The switch variables: comma-separated globs, and a boolean. They add to the options (a
// disable glob from either wins over an enable glob from either), so that an operator can
// switch a family off without a rebuild.
const (
	envMetricsEnable     = "TELEDIAG_METRICS_ENABLE"
	envMetricsDisable    = "TELEDIAG_METRICS_DISABLE"
	envShowHiddenMetrics = "TELEDIAG_SHOW_HIDDEN_METRICS"
	envOTLPOldNames      = "TELEDIAG_OTLP_OLD_NAMES"
)

// WithEnable serves the generated metrics declared enabled: false whose names match one of
// globs (path.Match patterns on the metric's own name, e.g. "backend_*"). It may be given more
// than once; TELEDIAG_METRICS_ENABLE adds to it. A bad glob fails New, naming it.
func WithEnable(globs ...string) Option {
	return func(c *config) { c.enable = append(c.enable, globs...) }
}

// WithDisable stops serving the generated metrics whose names match one of globs: they are
// created as no-ops, absent from /metrics and OTLP, their record calls returning at once. It
// wins over WithEnable and may switch off any generated metric. It may be given more than
// once; TELEDIAG_METRICS_DISABLE adds to it. A bad glob fails New, naming it.
func WithDisable(globs ...string) Option {
	return func(c *config) { c.disable = append(c.disable, globs...) }
}

// WithShowHiddenMetrics serves the generated metrics declared hidden: true (deprecated ones
// their catalogue no longer serves by default), as TELEDIAG_SHOW_HIDDEN_METRICS=true does.
func WithShowHiddenMetrics() Option { return func(c *config) { c.showHidden = true } }

// WithOldNamesOverOTLP also pushes each renamed metric under its old names (renamed_from), as
// TELEDIAG_OTLP_OLD_NAMES=true does: one more metric per old name, in the same scope, with the
// renamed metric's unit and data points and its description marked "(Deprecated: renamed to
// NEW) " as the old name's HELP is on /metrics. By default the push exporter receives the new name only; /metrics serves both names
// either way. It applies to the exporter New pushes to (the OTEL_* environment's or
// WithPushExporter's), not to readers given with WithReader.
func WithOldNamesOverOTLP() Option { return func(c *config) { c.otlpOldNames = true } }

// otlpOldNames reports whether the push exporter receives the old names too: WithOldNamesOverOTLP
// or TELEDIAG_OTLP_OLD_NAMES=true.
func otlpOldNames(cfg *config) (bool, error) {
	val := strings.TrimSpace(os.Getenv(envOTLPOldNames))
	if val == "" {
		return cfg.otlpOldNames, nil
	}
	on, err := strconv.ParseBool(val)
	if err != nil {
		return false, fmt.Errorf("telemetry: %s=%q: want true or false", envOTLPOldNames, val)
	}
	return cfg.otlpOldNames || on, nil
}

// switches compiles the operator's switches, the options' and the environment's, into the
// rule catalog.Switches.Served applies (the one live-check holds a service to).
func switches(cfg *config) (catalog.Switches, error) {
	var s catalog.Switches
	compile := func(from string, globs []string) ([]catalog.Glob, error) {
		var out []catalog.Glob
		for _, expr := range globs {
			g, err := catalog.CompileGlob(strings.TrimSpace(expr))
			if err != nil {
				return nil, fmt.Errorf("telemetry: %s: %w", from, err)
			}
			out = append(out, g)
		}
		return out, nil
	}
	var err error
	if s.Enable, err = compile("WithEnable", cfg.enable); err != nil {
		return s, err
	}
	if s.Disable, err = compile("WithDisable", cfg.disable); err != nil {
		return s, err
	}
	for _, v := range []struct {
		name string
		into *[]catalog.Glob
	}{{envMetricsEnable, &s.Enable}, {envMetricsDisable, &s.Disable}} {
		val := os.Getenv(v.name)
		if strings.TrimSpace(val) == "" {
			continue
		}
		gs, err := compile(fmt.Sprintf("%s=%q", v.name, val), strings.Split(val, ","))
		if err != nil {
			return s, err
		}
		*v.into = append(*v.into, gs...)
	}
	s.ShowHidden = cfg.showHidden
	if val := strings.TrimSpace(os.Getenv(envShowHiddenMetrics)); val != "" {
		show, err := strconv.ParseBool(val)
		if err != nil {
			return s, fmt.Errorf("telemetry: %s=%q: want true or false", envShowHiddenMetrics, val)
		}
		s.ShowHidden = s.ShowHidden || show
	}
	return s, nil
}

// serveRule is the Settings.Serve of the pipeline's provider: sw applied to a generated
// metric's declared lifecycle.
func serveRule(sw catalog.Switches) func(instrument.Lifecycle) bool {
	return func(l instrument.Lifecycle) bool {
		return sw.Served(&catalog.Metric{Name: l.Name, Lifecycle: catalog.Lifecycle{Disabled: !l.Enabled, Hidden: l.Hidden}})
	}
}
