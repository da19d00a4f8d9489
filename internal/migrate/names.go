package migrate

import (
	"fmt"
	"go/ast"
	"go/types"
	"slices"
	"strings"
)

// Names the fixer cannot read where a metric is defined: a Name given to a helper function as
// its parameter (func newCounter(name string) … Name: name), and a registerer wrapped with
// prometheus.WrapRegistererWithPrefix or WrapRegistererWith, which renames or labels what it
// registers, so that the options do not say the exposed name or all the labels. Both are
// reported at the definition, with where the name or the wrapper comes from.

// scanNames finds the variables of u's files assigned a prometheus.WrapRegistererWith(Prefix) call,
// with the call; and the calls of each function, by the function.
func scanNames(u *unit) (wrapped map[*types.Var]*ast.CallExpr, calls map[*types.Func][]*ast.CallExpr) {
	wrapped, calls = map[*types.Var]*ast.CallExpr{}, map[*types.Func][]*ast.CallExpr{}
	info := u.info
	note := func(lhs ast.Expr, rhs ast.Expr) {
		id, ok := ast.Unparen(lhs).(*ast.Ident)
		if !ok {
			return
		}
		call := wrapCall(info, rhs)
		if call == nil {
			return
		}
		if v, ok := info.ObjectOf(id).(*types.Var); ok {
			wrapped[v] = call
		}
	}
	for _, f := range u.files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, v := range n.Values {
					if i < len(n.Names) && len(n.Names) == len(n.Values) {
						note(n.Names[i], v)
					}
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i := range n.Lhs {
						note(n.Lhs[i], n.Rhs[i])
					}
				}
			case *ast.CallExpr:
				if fn := calleeOf(info, n); fn != nil {
					calls[fn.Origin()] = append(calls[fn.Origin()], n)
				}
			}
			return true
		})
	}
	return wrapped, calls
}

// wrapCall is e when it is a call of prometheus.WrapRegistererWith or WrapRegistererWithPrefix.
func wrapCall(info *types.Info, e ast.Expr) *ast.CallExpr {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if ok && isPkgFunc(calleeOf(info, call), promPkg, "WrapRegistererWith", "WrapRegistererWithPrefix") {
		return call
	}
	return nil
}

// wrappedBy is the wrapping call reg is, or was assigned from in the package, or nil.
func (ev *events) wrappedBy(reg ast.Expr) *ast.CallExpr {
	if call := wrapCall(ev.u.info, reg); call != nil {
		return call
	}
	if id, ok := ast.Unparen(reg).(*ast.Ident); ok {
		if v, ok := ev.u.info.Uses[id].(*types.Var); ok {
			return ev.wrapped[v]
		}
	}
	return nil
}

// wrapReason says why the registerer reg, a metric's, hides its exposed name or labels, or "".
func (ev *events) wrapReason(reg ast.Expr) string {
	call := ev.wrappedBy(reg)
	if call == nil {
		return ""
	}
	fn := calleeOf(ev.u.info, call)
	what := "adds the labels " + exprText(ev.u.fset, call.Args[0]) + " to"
	if fn.Name() == "WrapRegistererWithPrefix" {
		what = "prefixes with " + exprText(ev.u.fset, call.Args[0]) + " the names of"
	}
	return fmt.Sprintf("it is registered through prometheus.%s at %s, which %s what it registers, so the options do not say the exposed name and labels the catalogue matches: write the full name and the labels in the options and register on the registerer the wrapper wraps, then run migrate again",
		fn.Name(), ev.where(call.Pos()), what)
}

// factoryReg is the registerer of promauto.With(reg).NewCounter(…), or nil.
func factoryReg(info *types.Info, call *ast.CallExpr) ast.Expr {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	with, ok := ast.Unparen(sel.X).(*ast.CallExpr)
	if !ok || len(with.Args) != 1 || !isPkgFunc(calleeOf(info, with), promautoPkg, "With") {
		return nil
	}
	return with.Args[0]
}

// helperReason says, for a definition in a helper function whose options take their name from
// its parameters, which callers give the names (each a constant), or "": a name the callers
// compute (a family made at run time) is left to the reason that the name is no constant.
func (ev *events) helperReason(call *ast.CallExpr, stack []ast.Node) string {
	info := ev.u.info
	var fd *ast.FuncDecl
	for j := len(stack) - 1; j >= 0; j-- {
		if f, ok := stack[j].(*ast.FuncDecl); ok {
			fd = f
			break
		}
		if _, ok := stack[j].(*ast.FuncLit); ok {
			return ""
		}
	}
	if fd == nil || len(call.Args) == 0 {
		return ""
	}
	lit, ok := ast.Unparen(call.Args[0]).(*ast.CompositeLit)
	if !ok {
		return ""
	}
	fn, _ := info.Defs[fd.Name].(*types.Func)
	if fn == nil {
		return ""
	}
	var params []*types.Var
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		if k, ok := kv.Key.(*ast.Ident); !ok || (k.Name != "Name" && k.Name != "Namespace" && k.Name != "Subsystem") {
			continue
		}
		ast.Inspect(kv.Value, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				if v, ok := info.Uses[id].(*types.Var); ok && v.Kind() == types.ParamVar && !slices.Contains(params, v) {
					params = append(params, v)
				}
			}
			return true
		})
	}
	sig := fn.Signature()
	index := func(v *types.Var) int {
		for i := range sig.Params().Len() {
			if sig.Params().At(i) == v {
				return i
			}
		}
		return -1
	}
	var names, callers []string
	for _, v := range params {
		if index(v) < 0 || sig.Variadic() && index(v) == sig.Params().Len()-1 {
			return ""
		}
		names = append(names, v.Name())
	}
	if len(names) == 0 || len(ev.calls[fn]) == 0 {
		return ""
	}
	for _, c := range ev.calls[fn] {
		var given []string
		for _, v := range params {
			i := index(v)
			if i >= len(c.Args) {
				return ""
			}
			tv := info.Types[c.Args[i]]
			if tv.Value == nil {
				return "" // computed by a caller: a name made at run time
			}
			given = append(given, tv.Value.ExactString())
		}
		callers = append(callers, ev.where(c.Pos())+" gives "+strings.Join(given, ", "))
	}
	if len(callers) > 5 {
		callers = append(callers[:5], fmt.Sprintf("and %d more", len(callers)-5))
	}
	return fmt.Sprintf("it is %s's parameter %s, which its callers give (%s): the fixer does not follow names into helper functions; define each metric with its constant Name where it is kept, then run migrate again",
		fd.Name.Name, strings.Join(names, ", "), strings.Join(callers, "; "))
}
