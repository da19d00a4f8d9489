// Package codegen renders a validated catalogue into the typed OTel instruments of package
// telemetry, a test helper that records into each of them, and the metrics reference in
// docs/metrics.md. Output is deterministic: the same catalogue gives the same bytes.
package codegen

import (
	"bytes"
	"embed"
	"fmt"
	"go/format"
	"strconv"
	"strings"
	"text/template"

	"github.com/telediag/telediag/internal/catalog"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Files are the generated outputs, keyed by path relative to the repository root.
type Files map[string][]byte

// Output paths, relative to the repository root.
const (
	InstrumentsFile     = "telemetry/instruments_gen.go"
	InstrumentsTestFile = "telemetry/instruments_gen_test.go"
	DocsFile            = "docs/metrics.md"
)

// Generate renders every output for c. Source is the catalogue path written into headers.
func Generate(c *catalog.Catalog, source string) (Files, error) {
	model, err := newModel(c, source)
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(template.FuncMap{
		"quote":   strconv.Quote,
		"comment": comment,
		"join":    strings.Join,
		"syncMetrics": func(ms []metricModel) []metricModel {
			var out []metricModel
			for _, m := range ms {
				if !m.Observable {
					out = append(out, m)
				}
			}
			return out
		},
	}).ParseFS(templateFS, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("codegen: parse templates: %w", err)
	}
	out := Files{}
	for path, name := range map[string]string{
		InstrumentsFile:     "instruments.go.tmpl",
		InstrumentsTestFile: "instruments_test.go.tmpl",
		DocsFile:            "metrics.md.tmpl",
	} {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name, model); err != nil {
			return nil, fmt.Errorf("codegen: render %s: %w", path, err)
		}
		b := buf.Bytes()
		if strings.HasSuffix(path, ".go") {
			if b, err = format.Source(b); err != nil {
				return nil, fmt.Errorf("codegen: gofmt %s: %w", path, err)
			}
		}
		out[path] = b
	}
	return out, nil
}

// comment wraps text into Go comment lines of at most 100 columns, each prefixed by indent+"// ".
func comment(indent, text string) string {
	const width = 100
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(indent)+3+len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	for i, l := range lines {
		lines[i] = indent + "// " + l
	}
	return strings.Join(lines, "\n")
}
