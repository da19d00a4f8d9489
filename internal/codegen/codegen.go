// Package codegen turns a catalogue (an instruments.yaml) into the files cmd/instrumentgen
// writes: GoFile, the typed OTel instruments of the catalogue's Go package; TestFile, their
// example and test; and, on request, the markdown reference (Teleport's is docs/metrics.md).
//
// Build is the one way in for a catalogue's bytes: it parses and checks them as generation
// does, the loader's problems and those of the Go names the templates would produce (names
// that collide, or that clash with what every generated package declares) in one report, then
// renders. Generate renders a catalogue already loaded, and Check reports the Go-name problems
// alone. Output is deterministic: the same catalogue and options give the same bytes.
package codegen

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/telediag/telediag/internal/catalog"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// The files written beside the catalogue's package.
const (
	GoFile   = "instruments_gen.go"
	TestFile = "instruments_gen_test.go"
)

// Options name what is generated.
type Options struct {
	// Source is the catalogue's path as the Go headers name it (relative to the package).
	Source string
	// DocsSource is the catalogue's path relative to the docs file, for its link; empty: no
	// docs are rendered.
	DocsSource string
	// Package is the Go package name.
	Package string
	// Scope is the instrumentation scope name the package exports as ScopeName.
	Scope string
}

// Output is what Build renders.
type Output struct {
	Go, Test []byte
	// Docs is the markdown reference; nil unless Options.DocsSource was set.
	Docs []byte
}

// generate renders c. Problems that would make the output invalid (Go identifiers that collide
// or are not identifiers, a catalogue with nothing to generate) are returned as
// catalog.Problems, each naming its FILE:LINE.
func generate(c *catalog.Catalog, opts Options) (*Output, error) {
	if !token.IsIdentifier(opts.Package) {
		return nil, fmt.Errorf("codegen: package name %q is not a Go identifier", opts.Package)
	}
	tmpl, reserved, err := templates()
	if err != nil {
		return nil, err
	}
	model, err := newModel(c, opts, reserved)
	if err != nil {
		return nil, err
	}
	render := func(name string, gofmt bool) ([]byte, error) {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name, model); err != nil {
			return nil, fmt.Errorf("codegen: render %s: %w", name, err)
		}
		if !gofmt {
			return buf.Bytes(), nil
		}
		b, err := format.Source(buf.Bytes())
		if err != nil {
			// newModel validated every identifier, so this is a bug of the templates.
			return nil, fmt.Errorf("codegen: %s: generated Go does not parse (a bug in instrumentgen): %w", name, err)
		}
		return b, nil
	}
	out := &Output{}
	if out.Go, err = render("instruments.go.tmpl", true); err != nil {
		return nil, err
	}
	if out.Test, err = render("instruments_test.go.tmpl", true); err != nil {
		return nil, err
	}
	if opts.DocsSource != "" {
		if out.Docs, err = render("metrics.md.tmpl", false); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Build reads data, the catalogue called file, and generates it with opts, checking it exactly
// as generation does: the loader's problems and those of the Go identifiers it would generate
// (two metrics that give one Go name, a reserved name) in one report, in line order, then the
// rendering. It is what `instrumentgen` and every command that reads a catalogue accept; a
// caller that only checks passes CheckOptions and drops the Output. On any problem the Catalog
// is nil and the error a catalog.Problems.
func Build(file string, data []byte, opts Options) (*catalog.Catalog, *Output, error) {
	cat, err := catalog.ParsePartial(file, data)
	if err != nil {
		var problems catalog.Problems
		if cat == nil || !errors.As(err, &problems) {
			return nil, nil, err
		}
		more, checkErr := check(cat)
		if checkErr != nil {
			return nil, nil, errors.Join(err, checkErr)
		}
		all := append(append(catalog.Problems(nil), problems...), more...)
		sort.SliceStable(all, func(i, j int) bool { return all[i].Line < all[j].Line })
		return nil, nil, all
	}
	out, err := generate(cat, opts)
	if err != nil {
		return nil, nil, err
	}
	return cat, out, nil
}

// CheckOptions are placeholder names for a Build that only checks file: identifiers,
// collisions, the Go that comes out and the docs are checked as a real generation checks them.
func CheckOptions(file string) Options {
	return Options{Source: file, DocsSource: file, Package: "check", Scope: "check"}
}

// check returns the problems generate would report for c's Go identifiers: names that are not
// Go identifiers, that collide with each other or with what every generated package declares.
// c may be a partial catalogue (catalog.ParsePartial), so that these problems are reported in
// the same run as the catalogue's own. The problems are in line order; nil means none.
func check(c *catalog.Catalog) (catalog.Problems, error) {
	_, reserved, err := templates()
	if err != nil {
		return nil, err
	}
	_, err = newModel(c, Options{Package: "check", Scope: "check"}, reserved)
	var problems catalog.Problems
	if errors.As(err, &problems) {
		return problems, nil
	}
	return nil, err
}

// templates parses the templates and probes what they declare and use. Both depend only on
// the embedded templates, so they are worked out once per process: a command checks several
// catalogues (diff's two sides, the importer's rounds) and each check would otherwise parse
// the templates and render the probe catalogue again.
func templates() (*template.Template, *templateNames, error) {
	t := parsedTemplates()
	return t.tmpl, t.reserved, t.err
}

// parsedTemplates holds the one parse of the embedded templates. A parsed template is safe for
// concurrent execution, and nothing changes it after the parse.
var parsedTemplates = sync.OnceValue(func() (t struct {
	tmpl     *template.Template
	reserved *templateNames
	err      error
}) {
	t.tmpl, t.err = template.New("").Funcs(template.FuncMap{
		"quote":   strconv.Quote,
		"comment": comment,
		"join":    strings.Join,
		"cell":    markdownCell,
		"code":    markdownCode,
	}).ParseFS(templateFS, "templates/*.tmpl")
	if t.err != nil {
		t.err = fmt.Errorf("codegen: parse templates: %w", t.err)
		return t
	}
	t.reserved, t.err = probeTemplates(t.tmpl)
	return t
})

// markdownCell makes s safe inside a markdown table cell: a | would end the cell and a line
// break would end the row.
func markdownCell(s string) string {
	s = strings.NewReplacer("\\", "\\\\", "|", "\\|", "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	return s
}

// markdownCode makes s a code span inside a markdown table cell, such as a regular expression:
// a | is escaped (GitHub's tables split cells before reading code spans), a backslash is not
// (a code span shows it as it is), and a backtick in s gets a longer fence.
func markdownCode(s string) string {
	s = strings.NewReplacer("|", "\\|", "\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
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
