package migrate

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"slices"
	"sort"
	"strconv"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ast/astutil"
)

// edit is a text edit by byte offsets in one file.
type edit struct {
	start, end int
	text       string
}

// Fixed is the outcome of ApplyFixes.
type Fixed struct {
	// Files maps each file changed to its new content, formatted, its unused imports removed.
	Files map[string][]byte
	// Skipped are the fixes that overlapped another and were left out, FILE:LINE: message.
	Skipped []string
}

// ApplyFixes applies the first suggested fix of every diagnostic, as `instrumentgen migrate
// -fix` does. A fix is applied whole or not at all; identical edits (the same import added by
// the fixes of a package and its test variant) count once; a fix whose edits overlap one
// already taken is skipped and named in Fixed.Skipped. Every file changed is then formatted
// and its imports left unused by the rewrite removed, as go/analysis drivers do.
func ApplyFixes(fset *token.FileSet, diags []analysis.Diagnostic, readFile func(string) ([]byte, error)) (*Fixed, error) {
	out := &Fixed{Files: map[string][]byte{}}
	byFile := map[string][]edit{}
	seen := map[string]bool{}
	type fixAt struct {
		d   analysis.Diagnostic
		fix analysis.SuggestedFix
	}
	var fixes []fixAt
	for _, d := range diags {
		if len(d.SuggestedFixes) > 0 {
			fixes = append(fixes, fixAt{d, d.SuggestedFixes[0]})
		}
	}
	sort.SliceStable(fixes, func(i, j int) bool { return fixes[i].d.Pos < fixes[j].d.Pos })
	for _, f := range fixes {
		var mine []struct {
			file string
			e    edit
		}
		id := ""
		for _, te := range f.fix.TextEdits {
			tf := fset.File(te.Pos)
			if tf == nil {
				return nil, fmt.Errorf("migrate: an edit of %q lies in no file", f.d.Message)
			}
			end := te.End
			if !end.IsValid() {
				end = te.Pos
			}
			e := edit{start: tf.Offset(te.Pos), end: tf.Offset(end), text: string(te.NewText)}
			mine = append(mine, struct {
				file string
				e    edit
			}{tf.Name(), e})
			id += fmt.Sprintf("%s:%d:%d:%q;", tf.Name(), e.start, e.end, e.text)
		}
		if seen[id] {
			continue // the same fix, from a package's test variant
		}
		seen[id] = true
		conflict := false
		for _, m := range mine {
			for _, other := range byFile[m.file] {
				if other == m.e {
					continue
				}
				if m.e.start < other.end && other.start < m.e.end ||
					m.e.start == m.e.end && m.e.start == other.start && other.start == other.end {
					conflict = true
				}
			}
		}
		if conflict {
			p := fset.Position(f.d.Pos)
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s:%d: %s", p.Filename, p.Line, f.d.Message))
			continue
		}
		for _, m := range mine {
			if !slices.Contains(byFile[m.file], m.e) {
				byFile[m.file] = append(byFile[m.file], m.e)
			}
		}
	}
	for file, edits := range byFile {
		src, err := readFile(file)
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
		var b bytes.Buffer
		last := 0
		for _, e := range edits {
			b.Write(src[last:e.start])
			b.WriteString(e.text)
			last = e.end
		}
		b.Write(src[last:])
		formatted, err := formatRemovingImports(b.Bytes())
		if err != nil {
			return nil, fmt.Errorf("migrate: %s after the fixes: %w", file, err)
		}
		out.Files[file] = formatted
	}
	return out, nil
}

// clientGolangPkgs are the imports a rewrite may leave unused.
var clientGolangPkgs = []string{promPkg, promautoPkg, promhttpPkg, collectorsPkg}

// formatRemovingImports formats src after removing the imports nothing uses any more.
func formatRemovingImports(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "fixed.go", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	for _, spec := range slices.Clone(f.Imports) {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue
		}
		name := ""
		if spec.Name != nil {
			name = spec.Name.Name
		}
		// Only the imports the rewrite may have left unused: astutil guesses a package's name
		// from its path, which is right for these and not for every path.
		if name == "_" || name == "." || !slices.Contains(clientGolangPkgs, path) {
			continue
		}
		if !astutil.UsesImport(f, path) {
			astutil.DeleteNamedImport(fset, f, name, path)
		}
	}
	ast.SortImports(fset, f)
	var b bytes.Buffer
	if err := format.Node(&b, fset, f); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
