package migrate

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/format"
	"go/token"
	"go/types"
	"slices"
	"strings"
)

// events is what one walk of a package's files finds: the definitions, and every expression of
// a client_golang metric type with what its context does with it. The plan evaluates them
// until nothing changes; the analyzer renders them.
type events struct {
	u        *unit
	defs     []*def
	defCalls map[*ast.CallExpr]*def
	groups   []*group
	mains    []string
	flows    []*flowEv
	refusals []*refusalEv
	methods  []*methodEv
	timers   []*timerEv
	deletes  []*methodEv // DeleteLabelValues, Delete, DeletePartialMatch and Reset calls
	binds    []*bindEv
	regs     []*regEv
	regCalls []*ast.CallExpr // MustRegister and Register calls, in order
	unregs   []*regEv        // Unregister calls
	derefs   []*ast.StarExpr // *vec of a pointer to a vector kept by value
	// gathers are the calls of a client_golang Gatherer's Gather (a test reading a registry).
	gathers []*ast.CallExpr
	// names are the string literals of the package's files outside the definitions' options.
	names []*ast.BasicLit
	// defaultUses are the uses of client_golang's DefaultRegisterer and DefaultGatherer outside
	// a promhttp handler's arguments: the default registry stays in use there.
	defaultUses []ast.Expr
	handlers    []*ast.CallExpr // promhttp.Handler and HandlerFor calls
	mainDecl    []*ast.FuncDecl
	// registries are local variables made by prometheus.NewRegistry, with their declaring
	// statement.
	registries map[*types.Var]ast.Stmt
	// stmtOf is the statement each expression event sits in, for removals.
	stmtOf map[ast.Node]ast.Stmt
	// wrapped are the variables assigned a wrapped registerer, with the wrapping call.
	wrapped map[*types.Var]*ast.CallExpr
	// calls are the package's calls of each function, by the function.
	calls map[*types.Func][]*ast.CallExpr
}

// group is a type expression that declares variables of a client_golang metric type.
type group struct {
	keys  []string
	where string
	typ   ast.Expr
	// field is the parameter, result or struct field that declares the variables, when it
	// names them all and can be split into one declaration each (a, b T into a A, b B).
	field *ast.Field
	// inStruct: field is a struct's, whose declarations are split by a semicolon.
	inStruct bool
}

// flowEv: src's metric goes into the variable dst.
type flowEv struct {
	dst, dstWhere string
	src           ast.Expr
	where         string
}

// refusalEv: the metric expr holds cannot be rewritten here.
type refusalEv struct {
	expr       ast.Expr
	key, where string
	reason     string
	// needsChild and needsWhole restrict the refusal to a bound child or to the metric.
	needsChild, needsWhole bool
}

// methodEv: a recording call (Inc, Add, Observe…) on recv.
type methodEv struct {
	recv       ast.Expr
	call       *ast.CallExpr
	method     string
	key, where string
}

// bindEv: a child kept (WithLabelValues or With not called on at once).
type bindEv struct {
	call       *ast.CallExpr
	pkgLevel   bool
	key, where string
}

// regEv: arg registered with a client_golang registry.
type regEv struct {
	call       *ast.CallExpr
	arg        ast.Expr
	stmt       bool // the call is a statement of its own
	key, where string
}

// deletingMethods are a vector's calls that remove series, which become the generated
// instrument's Delete, DeletePartialMatch and Reset (issue 24).
var deletingMethods = []string{"DeleteLabelValues", "Delete", "DeletePartialMatch", "Reset"}

// recordingMethods are the calls on a metric or child that become Add or Record.
var recordingMethods = []string{"Inc", "Dec", "Add", "Sub", "Set", "SetToCurrentTime", "Observe"}

// refusedMethods are the calls with no counterpart yet, and why.
var refusedMethods = map[string]string{
	"CurryWith":                "a curried vector has no counterpart: give every label at each call, or Bind",
	"MustCurryWith":            "a curried vector has no counterpart: give every label at each call, or Bind",
	"GetMetricWith":            "GetMetricWith returns an error, which Bind does not: call Bind",
	"GetMetricWithLabelValues": "GetMetricWithLabelValues returns an error, which Bind does not: call Bind",
	"AddWithExemplar":          "an exemplar is taken from the context's span in OTel (telemetry.WithExemplarFilter), not passed",
	"ObserveWithExemplar":      "an exemplar is taken from the context's span in OTel (telemetry.WithExemplarFilter), not passed",
	"Describe":                 "a Collector's method: the generated instruments are no Collector",
	"Collect":                  "a Collector's method: the generated instruments are no Collector",
	"Desc":                     "a Metric's method: the generated instruments are no Metric",
	"Write":                    "a Metric's method: the generated instruments are no Metric",
}

// metricTypes are client_golang's types of metrics, vectors and children.
var metricTypes = []string{"Counter", "Gauge", "Histogram", "Summary", "Observer",
	"CounterVec", "GaugeVec", "HistogramVec", "SummaryVec", "ObserverVec"}

// isMetricType reports whether t is one of metricTypes, or a pointer to one.
func isMetricType(t types.Type) bool {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != promPkg {
		return false
	}
	return slices.Contains(metricTypes, n.Obj().Name())
}

// childCall returns the vector of call when call is WithLabelValues or With on a client_golang
// vector, else nil.
func childCall(info *types.Info, e ast.Expr) ast.Expr {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return nil
	}
	fn := calleeOf(info, call)
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || !isPkgFunc(fn, promPkg, "WithLabelValues", "With") || fn.Signature().Recv() == nil {
		return nil
	}
	return sel.X
}

// collect walks u's files once.
func collect(u *unit, target *Target) *events {
	ev := &events{u: u, defCalls: map[*ast.CallExpr]*def{}, registries: map[*types.Var]ast.Stmt{}, stmtOf: map[ast.Node]ast.Stmt{}}
	ev.wrapped, ev.calls = scanNames(u)
	for _, f := range u.files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return false
			}
			stack = append(stack, n)
			ev.visit(n, stack, target)
			return true
		})
	}
	return ev
}

func (ev *events) key(pos token.Pos) string   { return posKey(ev.u.fset, pos) }
func (ev *events) where(pos token.Pos) string { return where(ev.u.fset, pos) }

func (ev *events) visit(n ast.Node, stack []ast.Node, target *Target) {
	info := ev.u.info
	switch n := n.(type) {
	case *ast.FuncDecl:
		if n.Recv == nil && n.Name.Name == "main" && ev.u.pkg.Name() == "main" && n.Body != nil {
			ev.mains = append(ev.mains, ev.key(n.Pos()))
			ev.mainDecl = append(ev.mainDecl, n)
		}
	case *ast.Field:
		if g := ev.group(n.Names, n.Type); g != nil && len(n.Names) > 1 && n.Tag == nil {
			g.field = n
			if len(stack) >= 3 {
				_, g.inStruct = stack[len(stack)-3].(*ast.StructType)
			}
		}
	case *ast.ValueSpec:
		if n.Type != nil {
			ev.group(n.Names, n.Type)
		}
		for i, v := range n.Values {
			if i < len(n.Names) && isNewRegistry(info, v) {
				if obj, ok := info.Defs[n.Names[i]].(*types.Var); ok && len(n.Names) == 1 {
					if st := enclosingStmt(stack); st != nil {
						ev.registries[obj] = st
					}
				}
			}
		}
	case *ast.AssignStmt:
		if len(n.Lhs) == 1 && len(n.Rhs) == 1 && isNewRegistry(info, n.Rhs[0]) {
			if id, ok := n.Lhs[0].(*ast.Ident); ok {
				if obj, ok := info.ObjectOf(id).(*types.Var); ok && obj.Parent() != nil && obj.Parent() != obj.Pkg().Scope() {
					ev.registries[obj] = n
				}
			}
		}
	case *ast.CallExpr:
		if d := defOf(info, n, ev.key(n.Pos()), ev.where(n.Pos()), target.Catalog); d != nil {
			d.pkg = ev.u.pkg.Path()
			// What the options cannot say: the reason replaces the one their reading gave.
			if reason := ev.wrapReason(factoryReg(info, n)); reason != "" {
				d.refused, d.intrinsic = reason, true
			} else if reason := ev.helperReason(n, stack); reason != "" && d.intrinsic {
				d.refused += ": " + reason
			}
			ev.defs = append(ev.defs, d)
			ev.defCalls[n] = d
		}
		fn := calleeOf(info, n)
		if isPkgFunc(fn, promPkg, "MustRegister", "Register") {
			ev.regCalls = append(ev.regCalls, n)
			ev.stmtOf[n] = enclosingStmt(stack)
		}
		if isPkgFunc(fn, promhttpPkg, "Handler", "HandlerFor") && fn.Signature().Recv() == nil {
			ev.handlers = append(ev.handlers, n)
		}
		if isPkgFunc(fn, promPkg, "Gather") && fn.Signature().Recv() != nil {
			ev.gathers = append(ev.gathers, n)
		}
	case *ast.BasicLit:
		if n.Kind == token.STRING && !inDefinition(info, stack) {
			ev.names = append(ev.names, n)
		}
	case *ast.SelectorExpr:
		if v, ok := info.Uses[n.Sel].(*types.Var); ok && v.Pkg() != nil && v.Pkg().Path() == promPkg &&
			(v.Name() == "DefaultRegisterer" || v.Name() == "DefaultGatherer") && !inHandlerArgs(info, stack) && !isRegistrationRecv(info, stack) {
			ev.defaultUses = append(ev.defaultUses, n)
		}
	}
	e, ok := n.(ast.Expr)
	if !ok {
		return
	}
	if _, paren := e.(*ast.ParenExpr); paren {
		return
	}
	tv, ok := info.Types[e]
	if ok && tv.IsNil() {
		// nil given to a variable of a metric type: a bound child, a value, cannot take it.
		ev.classify(e, stack)
		return
	}
	if !ok || !tv.IsValue() || !isMetricType(tv.Type) {
		return
	}
	if id, ok := e.(*ast.Ident); ok && info.Defs[id] != nil {
		return
	}
	ev.classify(e, stack)
}

// inDefinition reports whether the innermost node of stack is inside the arguments of a
// client_golang constructor (its options).
func inDefinition(info *types.Info, stack []ast.Node) bool {
	for j := len(stack) - 2; j >= 0; j-- {
		if call, ok := stack[j].(*ast.CallExpr); ok {
			if fn := calleeOf(info, call); fn != nil && fn.Pkg() != nil && (fn.Pkg().Path() == promPkg || fn.Pkg().Path() == promautoPkg) && ctors[fn.Name()] != (ctor{}) {
				return true
			}
		}
	}
	return false
}

// inHandlerArgs reports whether the innermost node of stack is inside the arguments of a
// promhttp.Handler or HandlerFor call, whose rewrite decides about the registry it serves.
func inHandlerArgs(info *types.Info, stack []ast.Node) bool {
	for j := len(stack) - 2; j >= 0; j-- {
		if call, ok := stack[j].(*ast.CallExpr); ok && stack[j+1] != call.Fun {
			if fn := calleeOf(info, call); isPkgFunc(fn, promhttpPkg, "Handler", "HandlerFor") && fn.Signature().Recv() == nil {
				return true
			}
		}
	}
	return false
}

// isRegistrationRecv reports whether the innermost node of stack is the registry a
// registration is called on (prometheus.DefaultRegisterer.MustRegister(…)): the registrations
// decide about it.
func isRegistrationRecv(info *types.Info, stack []ast.Node) bool {
	if len(stack) < 3 {
		return false
	}
	sel, ok := stack[len(stack)-2].(*ast.SelectorExpr)
	if !ok || sel.X != stack[len(stack)-1] {
		return false
	}
	call, ok := stack[len(stack)-3].(*ast.CallExpr)
	return ok && call.Fun == sel && isPkgFunc(calleeOf(info, call), promPkg, "MustRegister", "Register", "Unregister")
}

// group records a type expression that declares variables of a metric type.
func (ev *events) group(names []*ast.Ident, typ ast.Expr) *group {
	info := ev.u.info
	t := info.TypeOf(typ)
	if t == nil || !isMetricType(t) {
		return nil
	}
	g := &group{where: ev.where(typ.Pos()), typ: typ}
	if len(names) == 0 {
		// An unnamed parameter or result: go/types places its variable at its type.
		g.keys = []string{ev.key(typ.Pos())}
	}
	for _, n := range names {
		if v, ok := info.Defs[n].(*types.Var); ok {
			g.keys = append(g.keys, varKey(ev.u.fset, v))
		}
	}
	ev.groups = append(ev.groups, g)
	return g
}

// classify finds what the context of e, an expression of a metric type, does with it.
func (ev *events) classify(e ast.Expr, stack []ast.Node) {
	info := ev.u.info
	i := len(stack) - 2
	var child ast.Node = e
	for i >= 0 {
		if _, ok := stack[i].(*ast.ParenExpr); !ok {
			break
		}
		child = stack[i]
		i--
	}
	if i < 0 {
		return
	}
	key, wh := ev.key(e.Pos()), ev.where(e.Pos())
	refuse := func(format string, args ...any) {
		ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: key, where: wh, reason: fmt.Sprintf(format, args...)})
	}
	var flow func(dst *types.Var)
	atInit := atInitialisation(stack[:i+1])
	// A kept child is one whose WithLabelValues is not the receiver of a recording call (nor
	// a timer's, whose rewrite reads its labels).
	if call, ok := e.(*ast.CallExpr); ok && childCall(info, call) != nil && !ev.isRecordingReceiver(stack, i) && !isTimerArg(info, stack[i], child) {
		ev.binds = append(ev.binds, &bindEv{call: call, pkgLevel: atInit, key: key, where: wh})
	}
	flow = func(dst *types.Var) {
		switch {
		case dst == nil:
			refuse("it goes where the fixer cannot follow it")
		case !isMetricType(dst.Type()):
			refuse("it is kept as a %s, a type the fixer does not rewrite", types.TypeString(dst.Type(), func(p *types.Package) string { return p.Name() }))
		default:
			ev.flows = append(ev.flows, &flowEv{dst: varKey(ev.u.fset, dst), dstWhere: where(ev.u.fset, dst.Pos()), src: e, where: wh})
		}
	}
	switch p := stack[i].(type) {
	case *ast.SelectorExpr:
		if p.X != child {
			return
		}
		call, ok := parentCall(stack, i)
		if !ok {
			refuse("its method %s is taken as a value", p.Sel.Name)
			return
		}
		m := p.Sel.Name
		switch {
		case m == "WithLabelValues" || m == "With":
			if call.Ellipsis.IsValid() {
				ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: key, where: wh, reason: "the label values are passed as a slice (...), so they cannot be moved to the catalogue's order", needsWhole: true})
			}
		case slices.Contains(recordingMethods, m) && atInit:
			ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: ev.key(call.Pos()), where: ev.where(call.Pos()),
				reason: "recorded while the package initialises, before SetDefault creates the instruments, so the value would be lost: record it in main, after SetDefault"})
		case slices.Contains(recordingMethods, m):
			ev.methods = append(ev.methods, &methodEv{recv: e, call: call, method: m, key: ev.key(call.Pos()), where: ev.where(call.Pos())})
		case slices.Contains(deletingMethods, m):
			ev.deletes = append(ev.deletes, &methodEv{recv: e, call: call, method: m, key: ev.key(call.Pos()), where: ev.where(call.Pos())})
		case refusedMethods[m] != "":
			ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: ev.key(call.Pos()), where: ev.where(call.Pos()), reason: refusedMethods[m]})
		default:
			refuse("%s has no counterpart on the generated instruments", m)
		}
	case *ast.AssignStmt:
		for j, r := range p.Rhs {
			if r != child {
				continue
			}
			if len(p.Lhs) != len(p.Rhs) {
				refuse("it is assigned in a way the fixer cannot follow")
				return
			}
			ev.flowTo(p.Lhs[j], flow, refuse)
		}
	case *ast.ValueSpec:
		for j, v := range p.Values {
			if v == child && j < len(p.Names) {
				obj, _ := info.Defs[p.Names[j]].(*types.Var)
				if p.Names[j].Name == "_" {
					return
				}
				flow(obj)
			}
		}
	case *ast.KeyValueExpr:
		if p.Value != child || i == 0 {
			refuse("it is a map key")
			return
		}
		lit, ok := stack[i-1].(*ast.CompositeLit)
		if !ok {
			refuse("it goes where the fixer cannot follow it")
			return
		}
		if _, isStruct := info.TypeOf(lit).Underlying().(*types.Struct); !isStruct {
			refuse("it is kept in a map or slice, whose element type stays client_golang's")
			return
		}
		if id, ok := p.Key.(*ast.Ident); ok {
			if f, ok := info.Uses[id].(*types.Var); ok {
				flow(f)
				return
			}
		}
		refuse("it goes where the fixer cannot follow it")
	case *ast.CompositeLit:
		st, isStruct := info.TypeOf(p).Underlying().(*types.Struct)
		if !isStruct {
			refuse("it is kept in a map or slice, whose element type stays client_golang's")
			return
		}
		for j, elt := range p.Elts {
			if elt == child && j < st.NumFields() {
				flow(st.Field(j))
			}
		}
	case *ast.CallExpr:
		if p.Fun == child {
			return
		}
		j := -1
		for k, a := range p.Args {
			if a == child {
				j = k
			}
		}
		fn := calleeOf(info, p)
		switch {
		case isPkgFunc(fn, promPkg, "MustRegister", "Register"):
			_, isStmt := stack[i-1].(*ast.ExprStmt)
			ev.regs = append(ev.regs, &regEv{call: p, arg: e, stmt: isStmt, key: key, where: wh})
		case isPkgFunc(fn, promPkg, "Unregister"):
			// The generated instruments are not registered: a registration's undoing goes
			// with it (statsd_exporter's tests unregister promauto's metrics between cases).
			_, isStmt := stack[i-1].(*ast.ExprStmt)
			ev.unregs = append(ev.unregs, &regEv{call: p, arg: e, stmt: isStmt, key: key, where: wh})
			if isStmt {
				ev.stmtOf[p] = stack[i-1].(*ast.ExprStmt)
			}
		case fn == nil:
			refuse("it is passed to a function value, whose parameter type the fixer cannot change")
		case isPkgFunc(fn, promPkg, "NewTimer"):
			ev.timer(e, p, stack, i, refuse)
		case fn.Pkg() != nil && strings.HasPrefix(fn.Pkg().Path()+"/", "github.com/prometheus/client_golang/"):
			refuse("it is passed to %s.%s, which takes client_golang's types (a test reads a generated instrument through an OTel reader instead)", fn.Pkg().Name(), fn.Name())
		default:
			// An interface method's parameter is a variable as a function's is: the plan
			// links it to the parameters of the methods that implement it (Plan.links), so
			// that the interface and its implementations change together.
			sig := fn.Signature()
			if sig.Variadic() && j >= sig.Params().Len()-1 {
				refuse("it is passed to a variadic parameter of %s", fn.Name())
				return
			}
			if j < 0 || j >= sig.Params().Len() {
				refuse("it goes where the fixer cannot follow it")
				return
			}
			flow(fn.Origin().Signature().Params().At(j))
		}
	case *ast.ReturnStmt:
		sig := enclosingSig(info, stack[:i])
		for j, r := range p.Results {
			if r == child {
				if sig == nil || sig.Results().Len() != len(p.Results) {
					refuse("it is returned in a way the fixer cannot follow")
					return
				}
				flow(sig.Results().At(j))
			}
		}
	case *ast.ExprStmt:
		if call, ok := e.(*ast.CallExpr); ok && ev.defCalls[call] != nil {
			refuse("it is defined and never kept")
		}
	case *ast.BinaryExpr:
		if (p.Op == token.EQL || p.Op == token.NEQ) && (isNil(info, p.X) || isNil(info, p.Y)) {
			// A whole metric becomes a pointer, which compares with nil as the interface did;
			// a bound child becomes a value, which does not.
			ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: key, where: wh, needsChild: true,
				reason: "a bound child is compared with nil, and a bound instrument is a value"})
			return
		}
		refuse("it is compared, and a generated instrument is not a client_golang interface")
	case *ast.TypeAssertExpr:
		ev.assertion(e, p, stack, i, refuse)
	case *ast.StarExpr:
		// *vec, where vec points to a vector kept by value (prometheus.CounterVec): the value
		// is the same metric, classified on its own; a pointer to the generated instrument
		// takes the vector's place, and the star goes (renderer.derefs).
		if p.X == child {
			// (*vec).WithLabelValues(…): the call's rewrite renders vec (renderer.render).
			j := i - 1
			var up ast.Node = p
			for j >= 0 {
				if _, ok := stack[j].(*ast.ParenExpr); !ok {
					break
				}
				up = stack[j]
				j--
			}
			if sel, ok := stack[max(j, 0)].(*ast.SelectorExpr); !ok || j < 0 || sel.X != up {
				ev.derefs = append(ev.derefs, p)
			}
			return
		}
		refuse("it is used as %s, which the fixer cannot rewrite", nodeName(p))
	default:
		refuse("it is used as %s, which the fixer cannot rewrite", nodeName(p))
	}
}

// assertion classifies a type assertion on a metric. client_golang reaches exemplars through
// one, h.(prometheus.ExemplarObserver).ObserveWithExemplar(v, labels), as its own examples do:
// that is reported as the refused call it is, at the call, with the call's reason, rather than
// as an assertion the fixer cannot follow, so that the hand edit the report asks for is the
// call's (Observe or Add, the exemplar taken from the context's span).
func (ev *events) assertion(e ast.Expr, p *ast.TypeAssertExpr, stack []ast.Node, i int, refuse func(string, ...any)) {
	typ := types.ExprString(p.Type)
	if p.Type == nil {
		typ = "a type switch"
	}
	j := i - 1
	for j >= 0 {
		if _, ok := stack[j].(*ast.ParenExpr); !ok {
			break
		}
		j--
	}
	if sel, ok := stackAt(stack, j).(*ast.SelectorExpr); ok {
		if call, ok := parentCall(stack, j); ok && refusedMethods[sel.Sel.Name] != "" {
			ev.refusals = append(ev.refusals, &refusalEv{expr: e, key: ev.key(call.Pos()), where: ev.where(call.Pos()),
				reason: fmt.Sprintf("%s through the assertion to %s: %s", sel.Sel.Name, typ, refusedMethods[sel.Sel.Name])})
			return
		}
	}
	refuse("it is asserted to %s, which the generated instruments do not implement", typ)
}

// stackAt is stack[j], or nil when j is outside it.
func stackAt(stack []ast.Node, j int) ast.Node {
	if j < 0 || j >= len(stack) {
		return nil
	}
	return stack[j]
}

// flowTo records e going into the assignment's destination lhs.
func (ev *events) flowTo(lhs ast.Expr, flow func(*types.Var), refuse func(string, ...any)) {
	info := ev.u.info
	switch l := ast.Unparen(lhs).(type) {
	case *ast.Ident:
		if l.Name == "_" {
			return
		}
		v, _ := info.ObjectOf(l).(*types.Var)
		flow(v)
	case *ast.SelectorExpr:
		if sel := info.Selections[l]; sel != nil && sel.Kind() == types.FieldVal {
			v, _ := sel.Obj().(*types.Var)
			flow(v)
			return
		}
		v, _ := info.Uses[l.Sel].(*types.Var)
		flow(v)
	default:
		refuse("it is kept in a map or slice, whose element type stays client_golang's")
	}
}

// isRecordingReceiver reports whether stack[:i+1]'s top is the receiver of a recording call,
// or of a refused one: a WithLabelValues whose child is used at once, and not kept.
func (ev *events) isRecordingReceiver(stack []ast.Node, i int) bool {
	sel, ok := stack[i].(*ast.SelectorExpr)
	if !ok {
		return false
	}
	if _, ok := parentCall(stack, i); !ok {
		return false
	}
	return slices.Contains(recordingMethods, sel.Sel.Name) || refusedMethods[sel.Sel.Name] != ""
}

// parentCall returns the call whose Fun is stack[i].
func parentCall(stack []ast.Node, i int) (*ast.CallExpr, bool) {
	fun := stack[i]
	for j := i - 1; j >= 0; j-- {
		switch p := stack[j].(type) {
		case *ast.ParenExpr:
			fun = p
			continue
		case *ast.CallExpr:
			return p, p.Fun == fun
		}
		return nil, false
	}
	return nil, false
}

// atInitialisation reports whether the innermost node of stack runs while its package
// initialises: outside any function, or in an init function (a function literal there
// included, as most run at once).
func atInitialisation(stack []ast.Node) bool {
	for _, n := range stack {
		if fd, ok := n.(*ast.FuncDecl); ok {
			return fd.Recv == nil && fd.Name.Name == "init"
		}
	}
	return true
}

// enclosingSig is the signature of the innermost function in stack.
func enclosingSig(info *types.Info, stack []ast.Node) *types.Signature {
	for j := len(stack) - 1; j >= 0; j-- {
		switch f := stack[j].(type) {
		case *ast.FuncLit:
			sig, _ := info.TypeOf(f).(*types.Signature)
			return sig
		case *ast.FuncDecl:
			if fn, ok := info.Defs[f.Name].(*types.Func); ok {
				return fn.Signature()
			}
			return nil
		}
	}
	return nil
}

// enclosingStmt is the innermost statement in stack.
func enclosingStmt(stack []ast.Node) ast.Stmt {
	for j := len(stack) - 1; j >= 0; j-- {
		if s, ok := stack[j].(ast.Stmt); ok {
			return s
		}
		if _, ok := stack[j].(*ast.GenDecl); ok {
			// A var declaration in a function is a statement; one at package level is none.
			if j > 0 {
				if ds, ok := stack[j-1].(*ast.DeclStmt); ok {
					return ds
				}
			}
			return nil
		}
	}
	return nil
}

// isNewRegistry reports whether e is a call to prometheus.NewRegistry or NewPedanticRegistry.
func isNewRegistry(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	return ok && isPkgFunc(calleeOf(info, call), promPkg, "NewRegistry", "NewPedanticRegistry")
}

// nodeName names a syntax node for a message.
func nodeName(n ast.Node) string {
	switch n.(type) {
	case *ast.UnaryExpr:
		return "an operand (&, <-, …)"
	case *ast.IndexExpr:
		return "an index"
	case *ast.SendStmt:
		return "a value sent on a channel"
	case *ast.StarExpr:
		return "a dereferenced pointer"
	}
	return fmt.Sprintf("a %T", n)
}

// labelArg is one label value of a WithLabelValues or With call, as written.
type labelArg struct {
	expr     ast.Expr
	constant bool
}

// labelValues reads the label values of call (a WithLabelValues or With on d's vector) by label
// name, or says why it cannot.
func (p *Plan) labelValues(u *unit, call *ast.CallExpr, d *def) (map[string]labelArg, string) {
	info := u.info
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return nil, "not a method call"
	}
	out := map[string]labelArg{}
	switch sel.Sel.Name {
	case "WithLabelValues", "DeleteLabelValues":
		if call.Ellipsis.IsValid() {
			return nil, "the label values are passed as a slice (...), so they cannot be moved to the catalogue's order"
		}
		if len(call.Args) != len(d.labels) {
			return nil, fmt.Sprintf("%d label values for the %d labels %s declares (client_golang %s here)", len(call.Args), len(d.labels), d.name, mismatch(sel.Sel.Name))
		}
		for i, a := range call.Args {
			out[d.labels[i]] = labelArg{expr: a, constant: info.Types[a].Value != nil}
		}
	case "With", "Delete":
		m := sel.Sel.Name
		if len(call.Args) != 1 {
			return nil, m + " takes one prometheus.Labels"
		}
		lit, ok := ast.Unparen(call.Args[0]).(*ast.CompositeLit)
		if !ok {
			return nil, m + "'s labels are not a prometheus.Labels literal, so the fixer cannot tell which value goes with which label"
		}
		for _, elt := range lit.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				return nil, m + "'s labels are not a prometheus.Labels literal"
			}
			k, ok := constString(info, kv.Key)
			if !ok {
				return nil, "a label name given to " + m + " is not a constant"
			}
			out[k] = labelArg{expr: kv.Value, constant: info.Types[kv.Value].Value != nil}
		}
		var got []string
		for k := range out {
			got = append(got, k)
		}
		if !sameSet(got, d.labels) {
			return nil, fmt.Sprintf("%s gives the labels %v and %s declares %v (client_golang %s here)", m, sorted(got), d.name, sorted(d.labels), mismatch(m))
		}
	}
	if reason := p.orderKept(u, call, d, out); reason != "" {
		return nil, reason
	}
	for _, l := range d.metric.Labels {
		a, ok := out[l.Key]
		if !ok || !a.constant || len(l.Enum) == 0 {
			continue
		}
		if v := info.Types[a.expr].Value; v.Kind() == constant.String && !slices.Contains(l.Enum, constant.StringVal(v)) {
			return nil, fmt.Sprintf("the value %s is not in the enum of label %s %v in the catalogue", v.ExactString(), l.Key, l.Enum)
		}
	}
	return out, ""
}

// valueText is the value a recording call takes, as the generated method takes it: for an int
// metric an integer constant or the integer inside float64(…); negated for Dec and Sub. ok is
// false when an int metric is given a float64 the fixer cannot convert.
func valueText(u *unit, e ast.Expr, intValue, negate bool) (string, bool) {
	info := u.info
	e = ast.Unparen(e)
	tv := info.Types[e]
	if !intValue {
		return sourceOf(u, e, negate), true
	}
	if v := tv.Value; v != nil {
		iv := constant.ToInt(v)
		if iv.Kind() != constant.Int {
			return "", false
		}
		if b, ok := tv.Type.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
			return sourceOf(u, e, negate), true // an untyped constant converts by itself
		}
		if negate {
			iv = constant.UnaryOp(token.SUB, iv, 0)
		}
		return iv.ExactString(), true
	}
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 || !info.Types[call.Fun].IsType() {
		return "", false
	}
	inner := call.Args[0]
	b, ok := info.TypeOf(inner).Underlying().(*types.Basic)
	if !ok || b.Info()&types.IsInteger == 0 {
		return "", false
	}
	text := exprText(u.fset, inner)
	if b.Kind() != types.Int64 {
		text = "int64(" + text + ")"
	}
	if negate {
		return "-" + text, true
	}
	return text, true
}

// sourceOf is e's source text, negated when asked (in parentheses unless it is an operand).
func sourceOf(u *unit, e ast.Expr, negate bool) string {
	text := exprText(u.fset, e)
	if !negate {
		return text
	}
	switch ast.Unparen(e).(type) {
	case *ast.Ident, *ast.SelectorExpr, *ast.CallExpr, *ast.BasicLit, *ast.IndexExpr:
		return "-" + text
	}
	return "-(" + text + ")"
}

// exprText prints e as gofmt would.
func exprText(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	if err := format.Node(&b, fset, e); err != nil {
		return types.ExprString(e)
	}
	return b.String()
}

// orderKept says why moving the label values of call to the catalogue's order would change
// the order in which their function calls run, or "". Go runs the calls of a call's arguments
// left to right; moving f() after g() would record under each label the value the other call
// returned (say, two calls to a sequence): THE thing the fixer must not do.
func (p *Plan) orderKept(u *unit, call *ast.CallExpr, d *def, given map[string]labelArg) string {
	var before []ast.Expr // the values with calls, in the order the code runs them
	switch {
	case len(call.Args) == 1 && (childSelName(call) == "With" || childSelName(call) == "Delete"):
		if lit, ok := ast.Unparen(call.Args[0]).(*ast.CompositeLit); ok {
			for _, elt := range lit.Elts {
				if kv, ok := elt.(*ast.KeyValueExpr); ok && effects(u.info, kv.Value) {
					before = append(before, kv.Value)
				}
			}
		}
	default:
		for _, a := range call.Args {
			if effects(u.info, a) {
				before = append(before, a)
			}
		}
	}
	var after []ast.Expr
	for _, l := range d.metric.Labels {
		if a, ok := given[l.Key]; ok && effects(u.info, a.expr) {
			after = append(after, a.expr)
		}
	}
	for i := range after {
		if after[i] != before[i] {
			return fmt.Sprintf("the label values %s and %s call functions, which would run in another order in the catalogue's order of labels: assign them to variables first", exprText(u.fset, before[0]), exprText(u.fset, before[len(before)-1]))
		}
	}
	return ""
}

// mismatch is what client_golang does when method is given other labels than the vector's:
// WithLabelValues and With panic, DeleteLabelValues and Delete delete nothing (and the
// generated Delete, given all the catalogue's labels, would delete a series).
func mismatch(method string) string {
	if strings.HasPrefix(method, "Delete") {
		return "deletes nothing"
	}
	return "panics"
}

// childSelName is the method name of a WithLabelValues or With call.
func childSelName(call *ast.CallExpr) string {
	if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
		return sel.Sel.Name
	}
	return ""
}

// pureStd are standard packages whose functions and methods change nothing a label value or a
// recorded value could read: calling them in another order changes no value.
var pureStd = []string{"strconv", "strings", "bytes", "fmt", "time", "math", "path", "unicode", "net/http", "net/url", "context"}

// effects reports whether evaluating e may change what another argument reads: a call (not a
// conversion, a builtin, or a function of pureStd), or a receive.
func effects(info *types.Info, e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				found = true
			}
		case *ast.CallExpr:
			if tv, ok := info.Types[n.Fun]; ok && (tv.IsType() || tv.IsBuiltin()) {
				return true
			}
			fn := calleeOf(info, n)
			if fn == nil || fn.Pkg() == nil || !slices.Contains(pureStd, fn.Pkg().Path()) {
				found = true
			}
		}
		return !found
	})
	return found
}
