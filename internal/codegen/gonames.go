package codegen

import "github.com/telediag/telediag/internal/catalog"

// MetricType is the Go type the generated package declares for the generated metric m, which is
// also the name of its field in Instruments: backend_read_seconds → BackendReadSeconds. Its
// bound form, when the metric has labels, is MetricType(m)+"Bound". Tools that write code
// against a generated package (instrumentgen migrate) name it through this, so that they and
// the templates cannot disagree.
func MetricType(m *catalog.Metric) string { return exportedName(m.Name) }

// EnumType is the Go type of the enum label l's values in the generated package, the type of
// every parameter for l: resource_type → ResourceTypeAttr. A label without an enum is a plain
// string parameter.
func EnumType(l *catalog.Label) string { return enumTypeName(l) }
