package migrate

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/telediag/telediag/internal/catalog"
)

// labelOf is d's catalogue label exposed as key.
func labelOf(d *def, key string) *catalog.Label {
	for _, l := range d.metric.Labels {
		if l.Key == key {
			return l
		}
	}
	return nil
}

// ctxAt is the context a recording call at pos passes: a context.Context variable in scope
// (ctx first), else the Context() of an *http.Request in scope, else context.Background().
func (r *renderer) ctxAt(pos token.Pos) string {
	if v := r.varInScope(pos, func(t types.Type) bool { return isNamed(t, contextPkg, "Context") }, "ctx"); v != "" {
		return v
	}
	if v := r.varInScope(pos, func(t types.Type) bool {
		p, ok := t.(*types.Pointer)
		return ok && isNamed(p.Elem(), netHTTPPkg, "Request")
	}, "r"); v != "" {
		return v + ".Context()"
	}
	return r.qual(pos, contextPkg, "context") + ".Background()"
}

// varInScope is the name of a function-local variable visible at pos whose type satisfies ok,
// preferring one called prefer, then the innermost; "" when there is none.
func (r *renderer) varInScope(pos token.Pos, ok func(types.Type) bool, prefer string) string {
	inner := r.pass.Pkg.Scope().Innermost(pos)
	found := ""
	for s := inner; s != nil && s != r.pass.Pkg.Scope() && s != types.Universe; s = s.Parent() {
		if _, isFile := fileScope(r, s); isFile {
			break
		}
		for _, name := range s.Names() {
			v, isVar := s.Lookup(name).(*types.Var)
			if !isVar || name == "_" || !ok(v.Type()) {
				continue
			}
			// Declared before pos, and not shadowed between its scope and pos.
			if _, obj := inner.LookupParent(name, pos); obj != v {
				continue
			}
			if name == prefer {
				return name
			}
			if found == "" {
				found = name
			}
		}
	}
	return found
}

// fileScope reports whether s is the scope of one of the package's files.
func fileScope(r *renderer, s *types.Scope) (*ast.File, bool) {
	for _, f := range r.pass.Files {
		if r.pass.TypesInfo.Scopes[f] == s {
			return f, true
		}
	}
	return nil, false
}

func isNamed(t types.Type, path, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == path && n.Obj().Name() == name
}

// isRuntimeCollector reports whether e makes client_golang's Go or process collector, which
// telemetry's /metrics serves by itself.
func isRuntimeCollector(info *types.Info, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	fn := calleeOf(info, call)
	switch {
	case isPkgFunc(fn, collectorsPkg, "NewGoCollector"):
		return len(call.Args) == 0 // options ask for more than telemetry serves
	case isPkgFunc(fn, promPkg, "NewGoCollector"):
		return true
	case isPkgFunc(fn, collectorsPkg, "NewProcessCollector"), isPkgFunc(fn, promPkg, "NewProcessCollector"):
		return true
	}
	return false
}

// registrations removes the registrations of rewritten metrics and of the runtime collectors.
func (r *renderer) registrations() {
	info := r.u.info
	for _, call := range r.ev.regCalls {
		var keep []ast.Expr
		var dropped []string
		for _, a := range call.Args {
			if v, ok := r.oneVal(a); ok && !v.child {
				dropped = append(dropped, v.d.name)
				if c, ok := ast.Unparen(a).(*ast.CallExpr); ok {
					r.consumed[c] = true
				}
				continue
			}
			if isRuntimeCollector(info, a) {
				dropped = append(dropped, "the "+runtimeName(info, a))
				continue
			}
			keep = append(keep, a)
		}
		onDefault := r.onDefaultRegistry(call)
		if len(dropped) == 0 {
			if onDefault && r.programUsesRewritten() {
				for _, a := range keep {
					r.keptCollector(a)
				}
			}
			continue
		}
		st := r.ev.stmtOf[call]
		es, isStmt := st.(*ast.ExprStmt)
		if !isStmt || ast.Unparen(es.X) != call {
			continue
		}
		if onDefault {
			for _, a := range keep {
				r.keptCollector(a)
			}
		}
		what := strings.Join(dropped, ", ")
		if len(keep) == 0 {
			if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
				if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok {
					r.removedUses[id] = true
				}
			}
			edit, ok := r.deleteStmt(es)
			if !ok {
				continue
			}
			r.report(call.Pos(), call.End(), fmt.Sprintf("the registration of %s goes: NewInstruments creates the instruments and telemetry serves them", what), edit)
			continue
		}
		args := make([]string, len(keep))
		for i, a := range keep {
			args[i] = exprText(r.u.fset, a)
		}
		start, end := call.Args[0].Pos(), call.Args[len(call.Args)-1].End()
		msg := fmt.Sprintf("the registration of %s goes: NewInstruments creates the instruments and telemetry serves them", what)
		if !onDefault {
			// The registry keeps collectors, so its promhttp.HandlerFor stays: the metrics
			// dropped from it are served by tel.Handler() only.
			msg += fmt.Sprintf("; %s stays on this registry, whose handler stays too: serve tel.Handler() beside it", strings.Join(args, ", "))
		}
		r.report(call.Pos(), call.End(), msg,
			analysis.TextEdit{Pos: start, End: end, NewText: []byte(strings.Join(args, ", "))})
	}
}

func runtimeName(info *types.Info, e ast.Expr) string {
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
		if fn := calleeOf(info, call); fn != nil && strings.Contains(fn.Name(), "Go") {
			return "Go collector"
		}
	}
	return "process collector"
}

// onDefaultRegistry reports whether call registers on client_golang's default registry, which
// promhttp.Handler() served and tel.Handler() does not. A registry of the code's own is served
// by its own promhttp.HandlerFor, which stays while anything stays registered on it.
func (r *renderer) onDefaultRegistry(call *ast.CallExpr) bool { return onDefault(r.u.info, call) }

// onDefault reports whether call, a registration, registers on client_golang's default registry.
func onDefault(info *types.Info, call *ast.CallExpr) bool {
	fn := calleeOf(info, call)
	if fn.Signature().Recv() == nil {
		return true
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	return ok && isDefaultVar(info, ast.Unparen(sel.X))
}

// keptCollector reports a collector that stays registered on a client_golang registry.
func (r *renderer) keptCollector(a ast.Expr) {
	if vals := r.plan.valuesOf(r.u, a); len(vals) > 0 {
		return // a metric that stays: reported where it is defined
	}
	if r.plan.keepsDefault != "" && len(r.plan.mains) > 0 {
		return // main's pipeline serves the default registry: said at main
	}
	r.report(a.Pos(), a.End(), fmt.Sprintf("%s stays registered on client_golang's registry, which tel.Handler() does not serve: pass it to telemetry.New with telemetry.WithCollectors", exprText(r.u.fset, a)))
}

// deleteStmt is the edit that removes st with its line when it stands alone on it.
func (r *renderer) deleteStmt(st ast.Stmt) (analysis.TextEdit, bool) {
	tf := r.u.fset.File(st.Pos())
	src, err := r.pass.ReadFile(tf.Name())
	if err != nil {
		return analysis.TextEdit{}, false
	}
	start, end := tf.Offset(st.Pos()), tf.Offset(st.End())
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if le+1 < len(src) && src[le] == '/' && src[le+1] == '/' {
		// A comment after the statement is about it, and goes with it.
		for le < len(src) && src[le] != '\n' {
			le++
		}
	}
	if (ls == 0 || src[ls-1] == '\n') && le < len(src) && src[le] == '\n' {
		start, end = ls, le+1
	}
	return analysis.TextEdit{Pos: tf.Pos(start), End: tf.Pos(end), NewText: nil}, true
}

// mains puts the pipeline's setup at the top of each main that needs it: one whose program
// uses a rewritten metric.
func (r *renderer) mains() {
	if len(r.ev.mainDecl) == 0 || !r.programUsesRewritten() {
		return
	}
	for _, fd := range r.ev.mainDecl {
		if r.createsPipeline(fd) {
			if !r.callsSetDefault(fd) {
				r.report(fd.Name.Pos(), fd.Name.End(), fmt.Sprintf("main creates a telemetry pipeline already: call %s.%s(tel.MeterProvider()) right after telemetry.New, before anything records", r.target.Name, setDefaultFunc))
			}
			if r.plan.keepsDefault != "" && !r.passesGatherer(fd) {
				r.report(fd.Name.Pos(), fd.Name.End(), fmt.Sprintf("main creates a telemetry pipeline already: pass it telemetry.WithGatherer(prometheus.DefaultGatherer), since client_golang's default registry stays in use (%s) and tel.Handler() serves it only so", r.plan.keepsDefault))
			}
			continue
		}
		if r.nameTaken(r.fileOf(fd.Pos()), "log") && r.qualIfImported(fd.Pos(), "log") == "" {
			r.report(fd.Name.Pos(), fd.Name.End(), "main needs the telemetry pipeline, and the name log is taken in its file: create it with telemetry.New and call SetDefault by hand")
			continue
		}
		tel := r.freshName(fd, "tel")
		errName := "err"
		if r.u.info.Scopes[fd.Type] != nil && bodyDeclares(r.u.info, fd, "err") {
			errName = r.freshName(fd, "telErr")
		}
		pos := fd.Body.Lbrace
		ctx := r.qual(pos, contextPkg, "context") + ".Background()"
		tm := r.qual(pos, telemetryPkg, "telemetry")
		logq := r.qual(pos, "log", "log")
		cat := r.cat(pos)
		opts, unreg := "", ""
		msg := fmt.Sprintf("main creates the telemetry pipeline and fills %s.%s before anything records", r.target.Name, defaultVar)
		if r.plan.keepsDefault != "" {
			// The families registered there at run time (an exporter's), and whatever stays
			// on client_golang, are served beside the instruments, as promhttp.Handler()
			// served them; names the pipeline serves itself (the runtime's) are left out.
			prom := r.qual(pos, promPkg, "prometheus")
			coll := r.qual(pos, collectorsPkg, "collectors")
			opts = fmt.Sprintf(", %s.WithGatherer(%s.DefaultGatherer)", tm, prom)
			// The default registry holds client_golang's Go and process collectors from the
			// start; the pipeline serves those families itself, and would log each of the
			// registry's as a collision at the first scrape. Unregistering them is
			// client_golang's documented way to take them off.
			unreg = fmt.Sprintf(`
	// telemetry serves the Go and process collectors' families itself.
	%[1]s.Unregister(%[2]s.NewGoCollector())
	%[1]s.Unregister(%[2]s.NewProcessCollector(%[2]s.ProcessCollectorOpts{}))`, prom, coll)
			msg += fmt.Sprintf("; client_golang's default registry stays in use (%s), and tel.Handler() serves it through telemetry.WithGatherer, without its Go and process collectors", r.plan.keepsDefault)
		}
		text := fmt.Sprintf(`
	%[1]s, %[2]s := %[3]s.New(%[4]s%[8]s)
	if %[2]s != nil {
		%[5]s.Fatal(%[2]s)
	}
	defer %[1]s.Shutdown(%[4]s)
	if %[2]s := %[6]s.%[7]s(%[1]s.MeterProvider()); %[2]s != nil {
		%[5]s.Fatal(%[2]s)
	}%[9]s`, tel, errName, tm, ctx, logq, cat, setDefaultFunc, opts, unreg)
		r.setupIn[fd] = tel
		// After the line of the brace, so that a comment on it stays there.
		tf := r.u.fset.File(pos)
		at := pos + 1
		if line := tf.Line(pos); line < tf.LineCount() {
			at = tf.LineStart(line+1) - 1
		}
		r.report(fd.Name.Pos(), fd.Name.End(), msg, analysis.TextEdit{Pos: at, End: at, NewText: []byte(text)})
	}
}

// qualIfImported is the name the file of pos imports path under, or "".
func (r *renderer) qualIfImported(pos token.Pos, path string) string {
	for _, spec := range r.fileOf(pos).Imports {
		if p, _ := strconv.Unquote(spec.Path.Value); p == path {
			if spec.Name != nil {
				return spec.Name.Name
			}
			return lastElem(path)
		}
	}
	return ""
}

// programUsesRewritten reports whether this package, or one it imports, has a rewritten
// definition, or serves promhttp.
func (r *renderer) programUsesRewritten() bool {
	if len(r.ev.handlers) > 0 {
		return true
	}
	pkgs := map[string]bool{}
	var visit func(p *types.Package)
	visit = func(p *types.Package) {
		if pkgs[p.Path()] {
			return
		}
		pkgs[p.Path()] = true
		for _, i := range p.Imports() {
			visit(i)
		}
	}
	visit(r.pass.Pkg)
	for _, d := range r.plan.defs {
		if d.ok() && pkgs[d.pkg] {
			return true
		}
	}
	return false
}

// createsPipeline reports whether fd calls telemetry.New.
func (r *renderer) createsPipeline(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isPkgFunc(calleeOf(r.u.info, call), telemetryPkg, "New") {
			found = true
		}
		return !found
	})
	return found
}

// passesGatherer reports whether fd calls telemetry.WithGatherer.
func (r *renderer) passesGatherer(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isPkgFunc(calleeOf(r.u.info, call), telemetryPkg, "WithGatherer") {
			found = true
		}
		return !found
	})
	return found
}

// callsSetDefault reports whether fd calls the generated package's SetDefault.
func (r *renderer) callsSetDefault(fd *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok && isPkgFunc(calleeOf(r.u.info, call), r.target.Path, setDefaultFunc) {
			found = true
		}
		return !found
	})
	return found
}

// freshName is base, or base with a number, declared nowhere in fd and naming nothing fd
// could refer to at package level.
func (r *renderer) freshName(fd *ast.FuncDecl, base string) string {
	used := map[string]bool{}
	ast.Inspect(fd, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			used[id.Name] = true
		}
		return true
	})
	f := r.fileOf(fd.Pos())
	for i := 1; ; i++ {
		name := base
		if i > 1 {
			name = base + strconv.Itoa(i)
		}
		if !used[name] && !r.nameTaken(f, name) {
			return name
		}
	}
}

// bodyDeclares reports whether fd's body declares name at its top level.
func bodyDeclares(info *types.Info, fd *ast.FuncDecl, name string) bool {
	s := info.Scopes[fd.Type]
	return s != nil && s.Lookup(name) != nil
}

// handlers rewrites promhttp.Handler() and promhttp.HandlerFor(…) into the pipeline's handler.
func (r *renderer) handlers() {
	for _, call := range r.ev.handlers {
		fn := calleeOf(r.u.info, call)
		var regVar *types.Var
		var regIdent *ast.Ident
		if fn.Name() == "HandlerFor" {
			if len(call.Args) != 2 {
				continue
			}
			if reason := r.handlerOpts(call.Args[1]); reason != "" {
				r.report(call.Pos(), call.End(), "promhttp.HandlerFor stays: "+reason)
				continue
			}
			g := ast.Unparen(call.Args[0])
			switch {
			case r.isDefaultGatherer(g):
			default:
				id, ok := g.(*ast.Ident)
				v, _ := r.u.info.Uses[id].(*types.Var)
				if !ok || v == nil {
					r.report(call.Pos(), call.End(), "promhttp.HandlerFor stays: it serves a gatherer the fixer cannot follow; serve tel.Handler() instead once everything it gathers is migrated")
					continue
				}
				if rest := r.otherUses(v, id); rest != "" {
					r.report(call.Pos(), call.End(), fmt.Sprintf("promhttp.HandlerFor stays: the registry %s is also used at %s; serve tel.Handler() instead once everything it gathers is migrated", id.Name, rest))
					continue
				}
				regVar, regIdent = v, id
			}
		}
		tel := r.telAt(call.Pos())
		r.telUsed[tel] = true
		if tel == "" {
			r.report(call.Pos(), call.End(), fmt.Sprintf("promhttp.%s() stays: no *telemetry.Telemetry is in scope here, and this is not main: create the pipeline in main (telemetry.New) and pass it here, then serve tel.Handler()", fn.Name()))
			continue
		}
		edits := []analysis.TextEdit{{Pos: call.Pos(), End: call.End(), NewText: []byte(tel + ".Handler()")}}
		if regVar != nil {
			r.removedUses[regIdent] = true
			if st, ok := r.ev.registries[regVar]; ok {
				if e, ok := r.deleteStmt(st); ok {
					edits = append(edits, e)
				}
			}
		}
		r.report(call.Pos(), call.End(), fmt.Sprintf("promhttp.%s becomes %s.Handler(), which serves the catalogue's instruments with the runtime's families", fn.Name(), tel), edits...)
	}
}

// handlerOpts says why opts has no counterpart in tel.Handler(), or "".
func (r *renderer) handlerOpts(opts ast.Expr) string {
	lit, ok := ast.Unparen(opts).(*ast.CompositeLit)
	if !ok {
		return "its HandlerOpts are not a literal"
	}
	var fields []string
	for _, e := range lit.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			fields = append(fields, exprText(r.u.fset, kv.Key))
		} else {
			fields = append(fields, exprText(r.u.fset, e))
		}
	}
	if len(fields) > 0 {
		return fmt.Sprintf("HandlerOpts{%s} has no counterpart in tel.Handler()", strings.Join(fields, ", "))
	}
	return ""
}

func (r *renderer) isDefaultGatherer(e ast.Expr) bool { return isDefaultVar(r.u.info, e) }

// isDefaultVar reports whether e is prometheus.DefaultGatherer or prometheus.DefaultRegisterer.
func isDefaultVar(info *types.Info, e ast.Expr) bool {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	v, ok := info.Uses[sel.Sel].(*types.Var)
	return ok && v.Pkg() != nil && v.Pkg().Path() == promPkg && (v.Name() == "DefaultGatherer" || v.Name() == "DefaultRegisterer")
}

// otherUses is where v is used besides at skip and where an edit removes the use, or "".
func (r *renderer) otherUses(v *types.Var, skip *ast.Ident) string {
	var ids []*ast.Ident
	for id, obj := range r.u.info.Uses {
		if obj == v && id != skip && !r.removedUses[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	slices.SortFunc(ids, func(a, b *ast.Ident) int { return int(a.Pos() - b.Pos()) })
	return where(r.u.fset, ids[0].Pos())
}

// telAt is the pipeline a handler at pos serves: a *telemetry.Telemetry in scope, or the one
// the setup of the enclosing main declares; "" when there is none.
func (r *renderer) telAt(pos token.Pos) string {
	if v := r.varInScope(pos, func(t types.Type) bool {
		p, ok := t.(*types.Pointer)
		return ok && isNamed(p.Elem(), telemetryPkg, "Telemetry")
	}, "tel"); v != "" {
		return v
	}
	for fd, name := range r.setupIn {
		if fd.Body.Pos() <= pos && pos < fd.Body.End() {
			return name
		}
	}
	return ""
}

// notes reports the plan's refusals that sit in this package's files.
func (r *renderer) notes() {
	for _, f := range r.u.files {
		tf := r.u.fset.File(f.Pos())
		for key, msgs := range r.plan.notes {
			file, line, col, ok := splitKey(key)
			if !ok || file != tf.Name() || line > tf.LineCount() {
				continue
			}
			pos := tf.LineStart(line) + token.Pos(col-1)
			for _, m := range msgs {
				r.report(pos, pos, m)
			}
		}
	}
}

// splitKey parses a posKey.
func splitKey(key string) (file string, line, col int, ok bool) {
	i := strings.LastIndexByte(key, ':')
	if i < 0 {
		return "", 0, 0, false
	}
	j := strings.LastIndexByte(key[:i], ':')
	if j < 0 {
		return "", 0, 0, false
	}
	line, err1 := strconv.Atoi(key[j+1 : i])
	col, err2 := strconv.Atoi(key[i+1:])
	return key[:j], line, col, err1 == nil && err2 == nil
}
