package codeimport

import (
	"cmp"
	"go/ast"
	"go/token"
	"go/types"
	"slices"

	"golang.org/x/tools/go/packages"
)

// maxSteps bounds the walk up from one expression: every step goes to a parent, so the walk
// ends at the file anyway; the bound only guards against a parent map that loops.
const maxSteps = 256

// event is one thing the code does with a metric: a method called on it (or taken as a
// value), or a function it is passed to.
type event struct {
	// method is the method called on the metric, "" for an argument.
	method string
	// call is the method's call, or the call the metric is an argument of; nil for a method
	// value.
	call *ast.CallExpr
	// fn is the function the metric is passed to, and arg which argument it is.
	fn  *types.Func
	arg int
	pkg *packages.Package
	pos token.Pos
}

// tracer follows one metric from the expression that creates it through every variable, field
// and parameter that holds it, by types.Object identity, to what the code does with it.
type tracer struct {
	a      *analyzer
	objs   map[types.Object]bool
	funcs  map[*types.Func]bool
	events []event
}

// trace returns what the code does with the metric start creates, in source order.
func (a *analyzer) trace(start ast.Expr, p *packages.Package) []event {
	t := &tracer{a: a, objs: map[types.Object]bool{}, funcs: map[*types.Func]bool{}}
	t.up(start, p)
	slices.SortStableFunc(t.events, func(x, y event) int { return cmp.Compare(x.pos, y.pos) })
	return t.events
}

// up walks from e, an expression whose value is the metric (or one of its label sets), to its
// parents, and records where the value goes.
func (t *tracer) up(e ast.Expr, p *packages.Package) {
	info := p.TypesInfo
	for range maxSteps {
		switch x := t.a.parents[e].(type) {
		case *ast.ParenExpr:
			e = x
		case *ast.StarExpr:
			e = x
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return
			}
			e = x
		case *ast.SelectorExpr:
			if x.X != e {
				return
			}
			sel := info.Selections[x]
			if sel == nil || sel.Kind() != types.MethodVal {
				return
			}
			name := x.Sel.Name
			var parent ast.Node = x
			for {
				pp, ok := t.a.parents[parent].(*ast.ParenExpr)
				if !ok {
					break
				}
				parent = pp
			}
			call, ok := t.a.parents[parent].(*ast.CallExpr)
			if !ok || ast.Unparen(call.Fun) != x {
				t.events = append(t.events, event{method: name, pkg: p, pos: x.Sel.Pos()})
				return
			}
			if isChildMethod(name) {
				e = call
				continue
			}
			t.events = append(t.events, event{method: name, call: call, pkg: p, pos: x.Sel.Pos()})
			return
		case *ast.CallExpr:
			i := slices.Index(x.Args, e)
			if i < 0 {
				return
			}
			fn := callee(info, x)
			t.events = append(t.events, event{call: x, fn: fn, arg: i, pkg: p, pos: e.Pos()})
			if fn != nil {
				if d, ok := t.a.decls[fn.Origin()]; ok {
					t.alias(param(d, i), d.pkg)
				}
			}
			for _, d := range t.a.implementations(info, x) {
				t.alias(param(d, i), d.pkg)
			}
			return
		case *ast.AssignStmt:
			if i := slices.Index(x.Rhs, e); i >= 0 {
				switch {
				case len(x.Lhs) == len(x.Rhs):
					t.alias(t.a.objectOf(x.Lhs[i], p), p)
				case len(x.Rhs) == 1 && len(x.Lhs) > 0:
					// v, err := vec.GetMetricWithLabelValues(…)
					t.alias(t.a.objectOf(x.Lhs[0], p), p)
				}
			}
			return
		case *ast.ValueSpec:
			if i := slices.Index(x.Values, e); i >= 0 {
				switch {
				case len(x.Names) == len(x.Values):
					t.alias(info.Defs[x.Names[i]], p)
				case len(x.Values) == 1 && len(x.Names) > 0:
					t.alias(info.Defs[x.Names[0]], p)
				}
			}
			return
		case *ast.KeyValueExpr:
			if x.Value != e {
				return
			}
			if lit, ok := t.a.parents[x].(*ast.CompositeLit); ok {
				if _, isStruct := underlyingStruct(info.TypeOf(lit)); isStruct {
					if key, ok := x.Key.(*ast.Ident); ok {
						t.alias(info.ObjectOf(key), p)
					}
				}
			}
			return
		case *ast.CompositeLit:
			i := slices.Index(x.Elts, e)
			if st, ok := underlyingStruct(info.TypeOf(x)); ok && i >= 0 && i < st.NumFields() {
				t.alias(st.Field(i), p)
			}
			return
		case *ast.ReturnStmt:
			if i := slices.Index(x.Results, e); i == 0 {
				t.returned(x, p)
			}
			return
		default:
			return
		}
	}
}

// alias follows every use of obj, a variable, field or parameter the metric is stored in.
func (t *tracer) alias(obj types.Object, _ *packages.Package) {
	if obj == nil {
		return
	}
	obj = canon(obj)
	if _, ok := obj.(*types.Var); !ok || t.objs[obj] {
		return
	}
	t.objs[obj] = true
	for _, s := range t.a.uses[obj] {
		t.up(s.expr, s.pkg)
	}
}

// returned follows a metric a function returns (first result) to the calls of the function.
func (t *tracer) returned(ret *ast.ReturnStmt, p *packages.Package) {
	var n ast.Node = ret
	for n != nil {
		if fd, ok := n.(*ast.FuncDecl); ok {
			fn, ok := p.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				return
			}
			fn = fn.Origin()
			if t.funcs[fn] {
				return
			}
			t.funcs[fn] = true
			for _, s := range t.a.uses[fn] {
				if call, ok := t.a.parents[s.expr].(*ast.CallExpr); ok && ast.Unparen(call.Fun) == s.expr {
					t.up(call, s.pkg)
				}
			}
			return
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return // a closure's result goes where the closure is called: not followed
		}
		n = t.a.parents[n]
	}
}

// implementations are the declarations of the methods that a call through an interface
// (a Registry field's GetCounter, statsd_exporter's way) may run: the loaded packages' methods of
// that name whose receiver implements the interface. A metric passed to the call reaches their
// parameters, as it reaches a function's; nil for any other call.
func (a *analyzer) implementations(info *types.Info, call *ast.CallExpr) []funcSite {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal || !types.IsInterface(s.Recv()) {
		return nil
	}
	iface, ok := s.Recv().Underlying().(*types.Interface)
	if !ok {
		return nil
	}
	var out []funcSite
	for fn, d := range a.decls {
		recv := fn.Signature().Recv()
		if recv == nil || fn.Name() != sel.Sel.Name || types.IsInterface(recv.Type()) || !types.Implements(recv.Type(), iface) {
			continue
		}
		out = append(out, d)
	}
	// Map order is random; the events' order is by position anyway, and this keeps the walk
	// the same from run to run.
	slices.SortFunc(out, func(x, y funcSite) int { return cmp.Compare(x.decl.Pos(), y.decl.Pos()) })
	return out
}

// param is the object of the i-th parameter of d, nil for a variadic or unnamed one.
func param(d funcSite, i int) types.Object {
	j := 0
	for _, field := range d.decl.Type.Params.List {
		if _, variadic := field.Type.(*ast.Ellipsis); variadic {
			return nil
		}
		if len(field.Names) == 0 {
			if j == i {
				return nil
			}
			j++
			continue
		}
		for _, name := range field.Names {
			if j == i {
				return d.pkg.TypesInfo.Defs[name]
			}
			j++
		}
	}
	return nil
}
