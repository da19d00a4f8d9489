package migrate

import (
	"fmt"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
)

// Target is the generated catalogue package the fixer writes code against.
type Target struct {
	// Catalog is the catalogue the package was generated from; client_golang metrics are matched
	// to its metrics by their exposed name.
	Catalog *catalog.Catalog
	// Path is the generated package's import path.
	Path string
	// Name is its package name.
	Name string
	// Dir is its directory; "" for the catalogue's.
	Dir string
}

// check reports a Target the rewrite cannot use: the names it writes (Default, SetDefault) must
// be free in the generated package.
func (t *Target) check() error {
	if t == nil || t.Catalog == nil || t.Path == "" || t.Name == "" {
		return fmt.Errorf("migrate: the target needs a catalogue, an import path and a package name")
	}
	for _, m := range t.Catalog.Metrics {
		if !m.Generated() {
			continue
		}
		switch typ := codegen.MetricType(m); typ {
		case defaultVar, setDefaultFunc:
			return fmt.Errorf("%s:%d: metric %s: its Go name %s is the name migrate gives the package's shared instruments; rename the metric", t.Catalog.File, m.Line, m.Name, typ)
		}
	}
	return nil
}

// The identifiers SupportFile declares in the generated package.
const (
	defaultVar     = "Default"
	setDefaultFunc = "SetDefault"
)

// SupportFileName is the file SupportFile's content goes to, beside the generated code.
const SupportFileName = "instruments_default.go"

// SupportFile is the Go file that declares Default and SetDefault in the generated package
// called pkg: written once, by `instrumentgen migrate -fix`, and the service's own afterwards.
// It is not generated code, so that instrumentgen's generation leaves it alone.
func SupportFile(pkg string) []byte {
	return []byte(strings.ReplaceAll(`package PKG

// This file was written by instrumentgen migrate, for code moved off client_golang's
// package-level metrics; it is yours to keep or change.

import "go.opentelemetry.io/otel/metric"

// Default holds the instruments for code that reaches them from package level, as it reached
// client_golang's default registry: each variable promauto defined is a pointer to one of its
// fields (var requests = &PKG.Default.ShopRequestsTotal). Until SetDefault fills it, every
// instrument records nothing.
var Default = new(Instruments)

// SetDefault creates the instruments from mp (tel.MeterProvider()) into Default. Call it once
// at startup, before anything records: Default is filled in place, and a recording running
// meanwhile would race with it. A second call replaces the instruments without releasing the
// first ones.
func SetDefault(mp metric.MeterProvider) error {
	i, err := NewInstruments(mp)
	*Default = *i
	return err
}
`, "PKG", pkg))
}
