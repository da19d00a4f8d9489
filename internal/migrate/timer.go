package migrate

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
)

// timerEv is prometheus.NewTimer(arg), arg a histogram or summary (or a child of one), in a
// shape the fixer rewrites into time.Now and a Record of the seconds since:
//
//	timer := prometheus.NewTimer(h)        start := time.Now()
//	defer timer.ObserveDuration()          defer func() { h.Record(ctx, time.Since(start).Seconds()) }()
//	timer.ObserveDuration()                h.Record(ctx, time.Since(start).Seconds())
//
// and defer prometheus.NewTimer(h).ObserveDuration(), whose start is taken when the defer runs:
//
//	defer func(start time.Time) { h.Record(ctx, time.Since(start).Seconds()) }(time.Now())
type timerEv struct {
	newTimer *ast.CallExpr
	arg      ast.Expr
	// decl is timer := prometheus.NewTimer(arg); nil for the deferred shape.
	decl *ast.AssignStmt
	// deferred is defer prometheus.NewTimer(arg).ObserveDuration(), for the deferred shape.
	deferred *ast.DeferStmt
	// observes are the timer's ObserveDuration calls, each a statement (deferred or not).
	observes []*ast.CallExpr
	defers   map[*ast.CallExpr]*ast.DeferStmt
	// start is the name of the variable (or closure parameter) that keeps the start time.
	start string
	// body is the function body the timer lives in.
	body       *ast.BlockStmt
	key, where string
}

// isTimerArg reports whether child is an argument of parent, a call of prometheus.NewTimer.
func isTimerArg(info *types.Info, parent, child ast.Node) bool {
	call, ok := parent.(*ast.CallExpr)
	return ok && call.Fun != child && isPkgFunc(calleeOf(info, call), promPkg, "NewTimer")
}

// timer classifies prometheus.NewTimer(e), the call at stack[i]: a timer rewritten when its
// shape is mechanical, else refused with the reason.
func (ev *events) timer(e ast.Expr, call *ast.CallExpr, stack []ast.Node, i int, refuse func(string, ...any)) {
	info := ev.u.info
	t := &timerEv{newTimer: call, arg: e, defers: map[*ast.CallExpr]*ast.DeferStmt{}, key: ev.key(call.Pos()), where: ev.where(call.Pos())}
	for j := i - 1; j >= 0 && t.body == nil; j-- {
		switch f := stack[j].(type) {
		case *ast.FuncDecl:
			t.body = f.Body
		case *ast.FuncLit:
			t.body = f.Body
		}
	}
	if t.body == nil {
		refuse("it is timed by a prometheus.NewTimer outside a function, which the fixer does not rewrite: time with time.Now and Record the seconds")
		return
	}
	up := i - 1
	for up >= 0 {
		if _, ok := stack[up].(*ast.ParenExpr); !ok {
			break
		}
		up--
	}
	switch p := stackAt(stack, up).(type) {
	case *ast.SelectorExpr:
		// defer prometheus.NewTimer(h).ObserveDuration()
		obs, ok := parentCall(stack, up)
		d, isDefer := stackAt(stack, up-2).(*ast.DeferStmt)
		if !ok || p.Sel.Name != "ObserveDuration" || !isDefer || d.Call != obs {
			refuse("it is timed by a prometheus.NewTimer used as %s, which the fixer does not rewrite: time with time.Now and Record the seconds", timerUse(p))
			return
		}
		t.deferred = d
		t.observes = []*ast.CallExpr{obs}
		t.defers[obs] = d
	case *ast.AssignStmt:
		id, ok := p.Lhs[0].(*ast.Ident)
		if len(p.Lhs) != 1 || len(p.Rhs) != 1 || p.Tok != token.DEFINE || !ok || id.Name == "_" {
			refuse("it is timed by a prometheus.NewTimer assigned in a way the fixer does not rewrite (it rewrites timer := prometheus.NewTimer(h)): time with time.Now and Record the seconds")
			return
		}
		obj := info.Defs[id]
		if obj == nil {
			refuse("it is timed by a prometheus.NewTimer the fixer cannot follow")
			return
		}
		t.decl = p
		if reason := t.uses(info, obj); reason != "" {
			refuse("%s: time with time.Now and Record the seconds", reason)
			return
		}
		if len(t.observes) == 0 {
			refuse("it is timed by a prometheus.NewTimer whose duration is never observed")
			return
		}
	case *ast.ExprStmt:
		refuse("it is timed by a prometheus.NewTimer whose duration is never observed")
		return
	default:
		refuse("it is timed by a prometheus.NewTimer that is passed around or kept, which the fixer does not follow: time with time.Now and Record the seconds")
		return
	}
	t.start = startName(info, t.body, t.decl)
	if t.start == "" {
		refuse("it is timed by a prometheus.NewTimer in a function whose names leave none for the start time")
		return
	}
	ev.timers = append(ev.timers, t)
}

// timerUse names what the code does with a timer's selector for a message.
func timerUse(sel *ast.SelectorExpr) string {
	if sel.Sel.Name == "ObserveDuration" {
		return "ObserveDuration outside a defer"
	}
	return sel.Sel.Name
}

// uses checks every use of the timer variable obj in t.body: each must be ObserveDuration
// called as a statement, or deferred; it fills t.observes.
func (t *timerEv) uses(info *types.Info, obj types.Object) string {
	reason := ""
	var stack []ast.Node
	ast.Inspect(t.body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		id, ok := n.(*ast.Ident)
		if !ok || info.Uses[id] != obj || reason != "" {
			return true
		}
		k := len(stack) - 2
		sel, ok := stackAt(stack, k).(*ast.SelectorExpr)
		if !ok || sel.X != id {
			reason = "it is timed by a prometheus.NewTimer that is passed around or kept, which the fixer does not follow"
			return true
		}
		call, ok := stackAt(stack, k-1).(*ast.CallExpr)
		if !ok || call.Fun != sel {
			reason = fmt.Sprintf("it is timed by a prometheus.NewTimer whose %s is taken as a value", sel.Sel.Name)
			return true
		}
		switch sel.Sel.Name {
		case "ObserveDuration":
		case "ObserveDurationWithExemplar":
			reason = "it is timed by a prometheus.NewTimer observed with ObserveDurationWithExemplar: an exemplar is taken from the context's span in OTel (telemetry.WithExemplarFilter), not passed"
			return true
		default:
			reason = fmt.Sprintf("it is timed by a prometheus.NewTimer whose %s has no counterpart", sel.Sel.Name)
			return true
		}
		switch st := stackAt(stack, k-2).(type) {
		case *ast.ExprStmt:
			t.observes = append(t.observes, call)
		case *ast.DeferStmt:
			if st.Call != call {
				reason = "it is timed by a prometheus.NewTimer observed in a way the fixer does not rewrite"
				return true
			}
			t.observes = append(t.observes, call)
			t.defers[call] = st
		default:
			reason = "it is timed by a prometheus.NewTimer whose ObserveDuration result (the duration) is used"
		}
		return true
	})
	return reason
}

// startName is a name for the start time that no identifier of body uses ("start", else the
// timer's own name, else "timerStart"), or "". A function with several timers keeps each
// timer's own name, so that two starts do not meet in one scope.
func startName(info *types.Info, body *ast.BlockStmt, decl *ast.AssignStmt) string {
	used := map[string]bool{}
	timers := 0
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			used[n.Name] = true
		case *ast.CallExpr:
			if isPkgFunc(calleeOf(info, n), promPkg, "NewTimer") {
				timers++
			}
		}
		return true
	})
	if !used["start"] && (timers == 1 || decl == nil) {
		return "start"
	}
	if decl != nil {
		// The timer's variable becomes the start time, under its own name.
		return decl.Lhs[0].(*ast.Ident).Name
	}
	if !used["timerStart"] {
		return "timerStart"
	}
	return ""
}

// checkTimer says why the timer t cannot be rewritten for v, or "".
func (p *Plan) checkTimer(u *unit, t *timerEv, v val) string {
	d := v.d
	if d.metric.Kind != "histogram" && d.metric.Kind != "summary" {
		return fmt.Sprintf("it is timed by a prometheus.NewTimer, and %s is a %s in the catalogue: time with time.Now and record the seconds by hand", d.name, d.metric.Kind)
	}
	if d.metric.ValueType == "int" {
		return fmt.Sprintf("it is timed by a prometheus.NewTimer, whose seconds have a fraction, and %s records int (value_type: int)", d.name)
	}
	call, isChild := ast.Unparen(t.arg).(*ast.CallExpr)
	if !isChild || childCall(u.info, call) == nil {
		if v.child {
			// A bound child in a variable: read when the duration is recorded.
			if r := stableUntilEnd(u.info, t.arg, t.body); r != "" {
				return fmt.Sprintf("it is timed by a prometheus.NewTimer of the child %s, which %s, and the rewrite reads it when the duration is recorded: time by hand", exprText(u.fset, t.arg), r)
			}
		}
		return ""
	}
	given, reason := p.labelValues(u, call, d)
	if reason != "" {
		return reason
	}
	// The labels were read when the timer started; the rewrite reads them when it records.
	for _, a := range given {
		if a.constant {
			continue
		}
		if r := stableUntilEnd(u.info, a.expr, t.body); r != "" {
			return fmt.Sprintf("it is timed by a prometheus.NewTimer whose label value %s %s, and the rewrite reads it when the duration is recorded: assign it to a variable of its own first, or time by hand", exprText(u.fset, a.expr), r)
		}
	}
	return ""
}

// stableUntilEnd says why e might read another value later in body than where it is, or "": e
// must be a variable of body's function (or a field path from one, r.Method) that nothing in
// body assigns, increments or takes the address of.
func stableUntilEnd(info *types.Info, e ast.Expr, body *ast.BlockStmt) string {
	root := e
	for {
		switch x := ast.Unparen(root).(type) {
		case *ast.SelectorExpr:
			if sel := info.Selections[x]; sel == nil || sel.Kind() != types.FieldVal {
				return "is not a variable or a field of one"
			}
			root = x.X
			continue
		case *ast.Ident:
			root = x
		default:
			return "is not a variable or a field of one"
		}
		break
	}
	v, ok := info.Uses[root.(*ast.Ident)].(*types.Var)
	if !ok || v.Parent() == nil || v.Parent() == v.Pkg().Scope() {
		return "is not a local variable (another function may change it)"
	}
	changed := false
	rootOf := func(x ast.Expr) *types.Var {
		for {
			switch y := ast.Unparen(x).(type) {
			case *ast.SelectorExpr:
				x = y.X
				continue
			case *ast.IndexExpr:
				x = y.X
				continue
			case *ast.StarExpr:
				x = y.X
				continue
			case *ast.Ident:
				w, _ := info.Uses[y].(*types.Var)
				return w
			}
			return nil
		}
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if rootOf(l) == v {
					changed = true
				}
			}
		case *ast.IncDecStmt:
			if rootOf(n.X) == v {
				changed = true
			}
		case *ast.UnaryExpr:
			if n.Op == token.AND && rootOf(n.X) == v {
				changed = true
			}
		case *ast.RangeStmt:
			if n.Key != nil && rootOf(n.Key) == v || n.Value != nil && rootOf(n.Value) == v {
				changed = true
			}
		}
		return !changed
	})
	if changed {
		return "is assigned in the function"
	}
	return ""
}

// timers rewrites the timers into time.Now and a Record of the seconds since.
func (r *renderer) timers() {
	for _, t := range r.ev.timers {
		v, ok := r.oneVal(t.arg)
		if !ok || r.plan.checkTimer(r.u, t, v) != "" {
			continue
		}
		d := v.d
		pos := t.newTimer.Pos()
		tm := r.qual(pos, "time", "time")
		var given map[string]labelArg
		recv := t.arg
		if call, isChild := ast.Unparen(t.arg).(*ast.CallExpr); isChild && childCall(r.u.info, call) != nil {
			given, _ = r.plan.labelValues(r.u, call, d)
			recv = childCall(r.u.info, call)
		}
		record := func(at token.Pos) string {
			labels := r.labelsText(at, d, given)
			if v.child && given == nil {
				labels = "" // a bound child in a variable: its labels are bound
			}
			return fmt.Sprintf("%s.%s(%s, %s.Since(%s).Seconds()%s)", r.render(recv), methodName(d), r.ctxAt(at), tm, t.start, labels)
		}
		if t.deferred != nil {
			obs := t.observes[0]
			text := fmt.Sprintf("func(%s %s.Time) { %s }(%s.Now())", t.start, tm, record(obs.Pos()), tm)
			r.replace(obs, d.name+": prometheus.NewTimer(…).ObserveDuration()", text)
			continue
		}
		r.replace(t.decl, d.name+": prometheus.NewTimer", fmt.Sprintf("%s := %s.Now()", t.start, tm))
		for _, obs := range t.observes {
			text := record(obs.Pos())
			if t.defers[obs] != nil {
				text = "func() { " + text + " }()"
			}
			r.replace(obs, d.name+": ObserveDuration", text)
		}
	}
}
