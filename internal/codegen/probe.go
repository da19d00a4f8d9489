package codegen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path"
	"strconv"
	"strings"
	"text/template"

	"github.com/telediag/telediag/internal/catalog"
)

// templateNames is what the Go templates themselves declare and use, whatever the catalogue.
// It is read from the templates' own output, so that an identifier added to a template is
// kept out of generated names without a list to maintain by hand.
type templateNames struct {
	// pkg are the package-level identifiers the templates declare (Instruments,
	// NewInstruments, ScopeName, the generated tests' functions) and the methods of
	// Instruments, which share a namespace with its fields: no metric may generate them.
	pkg []string
	// used is every identifier the templates' code mentions: locals, parameters, receivers,
	// fields, methods and imported package names. A label parameter named after one could
	// shadow it.
	used map[string]bool
}

// probeMark is in every name of the probe catalogue, so that what comes from the catalogue
// can be told from what comes from the templates.
const probeMark = "zzprobe"

// probeCatalog has one metric of every shape the templates distinguish: every kind, value
// type and observability, without labels, with a free label, with an enum label and with both.
func probeCatalog() *catalog.Catalog {
	free := &catalog.Label{ID: probeMark + "_free", Key: probeMark + "_free", Description: "d"}
	enum := &catalog.Label{ID: probeMark + "_enum", Key: probeMark + "_enum", Description: "d", Enum: []string{probeMark}}
	c := &catalog.Catalog{File: probeMark + ".yaml", Labels: []*catalog.Label{free, enum}}
	labelSets := [][]*catalog.Label{nil, {free}, {enum}, {free, enum}}
	kinds := []catalog.Kind{catalog.KindCounter, catalog.KindUpDownCounter, catalog.KindGauge, catalog.KindHistogram, catalog.KindSummary}
	for _, kind := range kinds {
		for _, vt := range []catalog.ValueType{catalog.ValueInt, catalog.ValueDouble} {
			for _, observable := range []bool{false, true} {
				if observable && (kind == catalog.KindHistogram || kind == catalog.KindSummary) {
					continue
				}
				for j, labels := range labelSets {
					m := &catalog.Metric{
						Name: fmt.Sprintf("%s_%s_%s_%t_%d", probeMark, kind, vt, observable, j),
						Kind: kind, ValueType: vt, Observable: observable, Unit: "1", Description: "d",
						Labels: labels, Line: len(c.Metrics) + 1,
					}
					if kind == catalog.KindHistogram {
						m.Buckets, m.BucketsSpec = []float64{1, 2}, "explicit"
						if j%2 == 1 { // the native declaration's code too, beside classic buckets
							m.Native = &catalog.Native{Schema: 3, MaxBuckets: catalog.DefaultNativeMaxBuckets, ZeroThreshold: catalog.DefaultNativeZeroThreshold}
						}
					}
					if kind == catalog.KindSummary && j%2 == 0 {
						m.Objectives, m.MaxAge, m.AgeBuckets = []catalog.Objective{{Quantile: 0.5, Error: 0.05}}, catalog.DefaultMaxAge, catalog.DefaultAgeBuckets
					}
					c.Metrics = append(c.Metrics, m)
				}
			}
		}
	}
	return c
}

// probeTemplates renders the Go templates for the probe catalogue and collects, from the
// parsed output, the identifiers that do not come from the catalogue.
func probeTemplates(tmpl *template.Template) (*templateNames, error) {
	mdl, err := newModel(probeCatalog(), Options{Source: probeMark, Package: probeMark, Scope: probeMark}, nil)
	if err != nil {
		return nil, fmt.Errorf("codegen: probe catalogue: %w", err)
	}
	names := &templateNames{used: map[string]bool{}}
	fromProbe := func(name string) bool { return strings.Contains(strings.ToLower(name), probeMark) }
	for _, name := range []string{"instruments.go.tmpl", "instruments_test.go.tmpl"} {
		var buf bytes.Buffer
		if err := tmpl.ExecuteTemplate(&buf, name, mdl); err != nil {
			return nil, fmt.Errorf("codegen: render %s for the probe catalogue: %w", name, err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, buf.Bytes(), parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("codegen: %s: generated Go does not parse (a bug in instrumentgen): %w", name, err)
		}
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, fmt.Errorf("codegen: %s: import %s: %w", name, imp.Path.Value, err)
			}
			names.used[path.Base(p)] = true
			if imp.Name != nil {
				names.used[imp.Name.Name] = true
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && !fromProbe(id.Name) && id.Name != "_" {
				names.used[id.Name] = true
			}
			return true
		})
		for _, d := range f.Decls {
			for _, id := range declared(d) {
				if !fromProbe(id) {
					names.pkg = append(names.pkg, id)
				}
			}
		}
	}
	return names, nil
}

// declared lists the package-level names d declares, counting methods of Instruments as
// such: a field of that name would clash with them.
func declared(d ast.Decl) []string {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			return []string{d.Name.Name}
		}
		recv := d.Recv.List[0].Type
		if star, ok := recv.(*ast.StarExpr); ok {
			recv = star.X
		}
		if id, ok := recv.(*ast.Ident); ok && id.Name == "Instruments" {
			return []string{d.Name.Name}
		}
	case *ast.GenDecl:
		var out []string
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.TypeSpec:
				out = append(out, s.Name.Name)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					out = append(out, n.Name)
				}
			}
		}
		return out
	}
	return nil
}
