package migrate

import (
	"fmt"
	"go/ast"
	"go/types"
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

// helperReason says why the options of the definition call, in the function of stack, take
// their name from that function's parameters, naming the callers that decide it; or "".
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
	var params []string
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
				if v, ok := info.Uses[id].(*types.Var); ok && v.Kind() == types.ParamVar && !containsWord(params, v.Name()) {
					params = append(params, v.Name())
				}
			}
			return true
		})
	}
	if len(params) == 0 {
		return ""
	}
	fn, _ := info.Defs[fd.Name].(*types.Func)
	var callers []string
	if fn != nil {
		for _, c := range ev.calls[fn] {
			callers = append(callers, ev.where(c.Pos()))
		}
	}
	who := "its callers decide it"
	switch {
	case len(callers) > 0 && len(callers) <= 5:
		who = "its callers decide it (" + strings.Join(callers, ", ") + ")"
	case len(callers) > 5:
		who = fmt.Sprintf("its %d callers decide it (%s, …)", len(callers), strings.Join(callers[:5], ", "))
	}
	return fmt.Sprintf("the name is %s's parameter %s, and %s: the fixer does not follow names into helper functions; define each metric with a constant Name where it is kept, then run migrate again",
		fd.Name.Name, strings.Join(params, ", "), who)
}
