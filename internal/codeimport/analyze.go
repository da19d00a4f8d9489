package codeimport

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/types/typeutil"

	"github.com/telediag/telediag/internal/catalog"
)

// maxResolve bounds how many variables an evaluation follows to their initializers (x := y,
// y := z, …), so that a cycle the type checker allows (var a = b; var b = a is refused, but a
// function's parameters are not followed) cannot loop.
const maxResolve = 8

// analyzer holds the indexes of one load: every node's parent, every use of every object, the
// initializers of variables and which variables are written after them, and the functions with
// bodies. All of it is built once, before any family is read.
type analyzer struct {
	base    string
	fset    *token.FileSet
	parents map[ast.Node]ast.Node
	uses    map[types.Object][]site
	inits   map[types.Object]site
	written map[types.Object]bool
	decls   map[*types.Func]funcSite
	notes   []Note
}

// site is an expression in the package whose types describe it.
type site struct {
	expr ast.Expr
	pkg  *packages.Package
}

// funcSite is a function declaration and its package.
type funcSite struct {
	decl *ast.FuncDecl
	pkg  *packages.Package
}

// Analyze finds the families that pkgs define: packages loaded with their syntax and type
// information (Load's mode), whose dependencies need only their types. Positions are made
// relative to base. It never fails: what it cannot read is a Note.
func Analyze(pkgs []*packages.Package, base string) *Code {
	a := &analyzer{
		base:    base,
		parents: map[ast.Node]ast.Node{},
		uses:    map[types.Object][]site{},
		inits:   map[types.Object]site{},
		written: map[types.Object]bool{},
		decls:   map[*types.Func]funcSite{},
	}
	var loaded []*packages.Package
	seen := map[*packages.Package]bool{}
	for _, p := range pkgs {
		if p == nil || seen[p] || p.TypesInfo == nil || p.Fset == nil {
			continue
		}
		seen[p] = true
		loaded = append(loaded, p)
		a.fset = p.Fset
	}
	for _, p := range loaded {
		for _, f := range p.Syntax {
			a.index(f, p)
		}
	}
	for _, p := range loaded {
		a.indexUses(p)
	}
	for obj, sites := range a.uses {
		slices.SortFunc(sites, func(x, y site) int { return cmp.Compare(x.expr.Pos(), y.expr.Pos()) })
		a.uses[obj] = sites
	}
	var fams []*Family
	collected := map[string]Collected{}
	for _, p := range loaded {
		for _, f := range p.Syntax {
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if fam := a.definition(call, p); fam != nil {
						fams = append(fams, fam)
					}
					if c, ok := a.collected(call, p); ok {
						if prev, seen := collected[c.Name]; !seen || positionLess(c.Pos, prev.Pos) {
							collected[c.Name] = c
						}
					}
				}
				return true
			})
		}
	}
	code := &Code{}
	for _, name := range slices.Sorted(maps.Keys(collected)) {
		code.Collected = append(code.Collected, collected[name])
	}
	code.Families, code.Notes = mergeFamilies(fams, a.notes)
	sortNotes(code.Notes)
	return code
}

// index records the parent of every node of f, the initializers of its variables, what it
// writes, and its function declarations.
func (a *analyzer) index(f *ast.File, p *packages.Package) {
	info := p.TypesInfo
	var stack []ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		if len(stack) > 0 {
			a.parents[n] = stack[len(stack)-1]
		}
		stack = append(stack, n)
		switch n := n.(type) {
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if obj := info.Defs[name]; obj != nil && len(n.Values) == len(n.Names) {
					a.inits[canon(obj)] = site{n.Values[i], p}
				}
			}
		case *ast.AssignStmt:
			for i, lhs := range n.Lhs {
				if id, ok := ast.Unparen(lhs).(*ast.Ident); ok && n.Tok == token.DEFINE {
					if obj := info.Defs[id]; obj != nil {
						if len(n.Lhs) == len(n.Rhs) {
							a.inits[canon(obj)] = site{n.Rhs[i], p}
						}
						continue
					}
				}
				a.markWritten(lhs, info)
			}
		case *ast.IncDecStmt:
			a.markWritten(n.X, info)
		case *ast.RangeStmt:
			if n.Tok == token.ASSIGN {
				a.markWritten(n.Key, info)
				a.markWritten(n.Value, info)
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND {
				a.markWritten(n.X, info)
			}
		case *ast.FuncDecl:
			if fn, ok := info.Defs[n.Name].(*types.Func); ok && n.Body != nil {
				a.decls[fn.Origin()] = funcSite{n, p}
			}
		}
		return true
	})
}

// markWritten notes that the variable (or field) e names, or the one e indexes into, may change
// after its initializer: its initializer is then not its value.
func (a *analyzer) markWritten(e ast.Expr, info *types.Info) {
	for e != nil {
		switch x := ast.Unparen(e).(type) {
		case *ast.Ident:
			if obj := info.ObjectOf(x); obj != nil {
				a.written[canon(obj)] = true
			}
			return
		case *ast.SelectorExpr:
			if obj := info.ObjectOf(x.Sel); obj != nil {
				a.written[canon(obj)] = true
			}
			return
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.SliceExpr:
			e = x.X
		default:
			return
		}
	}
}

// indexUses records every use of every object in p: the identifier, or the selector x.Sel it
// is the Sel of, which is the expression that holds the object's value.
func (a *analyzer) indexUses(p *packages.Package) {
	for id, obj := range p.TypesInfo.Uses {
		if obj == nil {
			continue
		}
		var e ast.Expr = id
		if sel, ok := a.parents[id].(*ast.SelectorExpr); ok && sel.Sel == id {
			e = sel
		}
		obj = canon(obj)
		a.uses[obj] = append(a.uses[obj], site{e, p})
	}
}

// canon is the object a generic instantiation's field or method comes from, so that uses
// through any instantiation find the declaration.
func canon(obj types.Object) types.Object {
	switch o := obj.(type) {
	case *types.Var:
		return o.Origin()
	case *types.Func:
		return o.Origin()
	}
	return obj
}

// collected says whether call creates one of client_golang's collectors whose family a service
// keeps as it is (collectedFamilies).
func (a *analyzer) collected(call *ast.CallExpr, p *packages.Package) (Collected, bool) {
	fn := callee(p.TypesInfo, call)
	if fn == nil || fn.Pkg().Path() != collectorsPath || recvName(fn) != "" {
		return Collected{}, false
	}
	name, ok := collectedFamilies[fn.Name()]
	if !ok {
		return Collected{}, false
	}
	return Collected{Name: name, Constructor: "collectors." + fn.Name(), Pos: a.pos(call.Pos())}, true
}

// positionLess orders positions by file, then offset.
func positionLess(x, y token.Position) bool {
	if x.Filename != y.Filename {
		return x.Filename < y.Filename
	}
	return x.Offset < y.Offset
}

// pos is p relative to the analyzer's base directory.
func (a *analyzer) pos(p token.Pos) token.Position {
	if a.fset == nil || !p.IsValid() {
		return token.Position{}
	}
	return relPosition(a.fset.Position(p), a.base)
}

// relPosition makes pos's file name relative to base, which notes and comments name it from.
func relPosition(pos token.Position, base string) token.Position {
	if base != "" && filepath.IsAbs(pos.Filename) {
		if rel, err := filepath.Rel(base, pos.Filename); err == nil {
			pos.Filename = filepath.ToSlash(rel)
		}
	}
	return pos
}

// notef records a note at p.
func (a *analyzer) notef(p token.Pos, family, msg string) {
	a.notes = append(a.notes, Note{Pos: a.pos(p), Family: family, Msg: msg})
}

// exprString is e as written, shortened for a note.
func exprString(e ast.Expr) string {
	s := types.ExprString(e)
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// callee is the function or method a call statically calls, nil for a call through a function
// value or an interface, a conversion or a builtin.
func callee(info *types.Info, call *ast.CallExpr) *types.Func {
	fn := typeutil.StaticCallee(info, call)
	if fn == nil || fn.Pkg() == nil {
		return nil
	}
	return fn
}

// isProm reports whether fn is client_golang's prometheus.NAME (a function, not a method).
func isProm(fn *types.Func, name string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == promPath && fn.Name() == name && recvName(fn) == ""
}

// recvName is the name of fn's receiver's type, "" for a function.
func recvName(fn *types.Func) string {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return ""
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

// ctor describes one of client_golang's constructors.
type ctor struct {
	kind       catalog.Kind
	vec        bool // takes variable labels
	observable bool // a *Func form
	untyped    bool // NewUntypedFunc: served untyped, imported as a gauge
	desc       bool // NewDesc: a custom collector's
}

// ctorOf says whether fn defines a family, and how it is written in the code.
func ctorOf(fn *types.Func) (ctor, string, bool) {
	if fn == nil || fn.Pkg() == nil {
		return ctor{}, "", false
	}
	recv := recvName(fn)
	var prefix string
	switch {
	case fn.Pkg().Path() == promPath && recv == "":
		prefix = "prometheus."
	case fn.Pkg().Path() == promPath && recv == "v2":
		prefix = "prometheus.V2."
	case fn.Pkg().Path() == promautoPath && recv == "":
		prefix = "promauto."
	case fn.Pkg().Path() == promautoPath && recv == "Factory":
		prefix = "promauto.With(…)."
	default:
		return ctor{}, "", false
	}
	var c ctor
	switch fn.Name() {
	case "NewCounter":
		c = ctor{kind: catalog.KindCounter}
	case "NewCounterVec":
		c = ctor{kind: catalog.KindCounter, vec: true}
	case "NewCounterFunc":
		c = ctor{kind: catalog.KindCounter, observable: true}
	case "NewGauge":
		c = ctor{kind: catalog.KindGauge}
	case "NewGaugeVec":
		c = ctor{kind: catalog.KindGauge, vec: true}
	case "NewGaugeFunc":
		c = ctor{kind: catalog.KindGauge, observable: true}
	case "NewUntypedFunc":
		c = ctor{kind: catalog.KindGauge, observable: true, untyped: true}
	case "NewHistogram":
		c = ctor{kind: catalog.KindHistogram}
	case "NewHistogramVec":
		c = ctor{kind: catalog.KindHistogram, vec: true}
	case "NewSummary":
		c = ctor{kind: catalog.KindSummary}
	case "NewSummaryVec":
		c = ctor{kind: catalog.KindSummary, vec: true}
	case "NewDesc":
		if prefix != "prometheus." && prefix != "prometheus.V2." {
			return ctor{}, "", false
		}
		c = ctor{desc: true}
	default:
		return ctor{}, "", false
	}
	if prefix == "prometheus.V2." && !c.vec && !c.desc {
		return ctor{}, "", false
	}
	return c, prefix + fn.Name(), true
}

// sortNotes orders notes by file, line and text, so that output is stable.
func sortNotes(notes []Note) {
	slices.SortStableFunc(notes, func(x, y Note) int {
		return cmp.Or(
			strings.Compare(x.Pos.Filename, y.Pos.Filename),
			cmp.Compare(x.Pos.Line, y.Pos.Line),
			strings.Compare(x.Family, y.Family),
			strings.Compare(x.Msg, y.Msg))
	})
}
