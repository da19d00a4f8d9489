package probes

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"
)

// livenessTimeout bounds one /livez request: every check runs concurrently
// and one that has not answered by then counts as failed. It is
// Kubernetes' default probe timeout (timeoutSeconds: 1); a liveness check
// is meant to look at the process itself, not to wait on the network.
const livenessTimeout = time.Second

// statusLivenessFailed prefixes the /livez status when a check fails; the
// failed checks' names follow.
const statusLivenessFailed = "liveness check failed: "

// Liveness answers /livez: is the process working at all, so that an
// orchestrator restarts it when it is not. Unlike readiness, which follows
// heartbeats through the state machine, liveness runs its checks on every
// request, as kube-apiserver's /livez does, and has no memory. The checks
// run concurrently, and one that has not answered within one second
// (Kubernetes' default probe timeout) counts as failed: a liveness check is
// meant to look at the process itself, not to wait on the network.
//
// With no checks /livez always answers 200, like /healthz: a process that
// can answer is alive. Liveness checks must not depend on other services
// (a database outage must not restart every client), which is why they are
// separate from readiness checks.
//
// Its handlers are LivezHandler, CheckHandler and Teleport's HealthzHandler.
type Liveness struct {
	checks      []Checker
	pid         int
	healthzBody []byte
}

// NewLiveness returns a Liveness with the given checks. It fails if a
// check is nil, badly named (see ValidateName) or named twice.
func NewLiveness(checks ...Checker) (*Liveness, error) {
	if err := checkNames("liveness check", checks); err != nil {
		return nil, fmt.Errorf("probes: NewLiveness: %w", err)
	}
	return &Liveness{
		checks:      append([]Checker(nil), checks...),
		pid:         os.Getpid(),
		healthzBody: mustMarshal(map[string]string{"status": statusOK}),
	}, nil
}

// livezBody is the /livez body; status and pid as in /readyz.
type livezBody struct {
	Status   string   `json:"status"`
	PID      int      `json:"pid"`
	Check    string   `json:"check,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// livezVerbose is the /livez?verbose body: the checks are listed even when
// there are none.
type livezVerbose struct {
	Status   string      `json:"status"`
	PID      int         `json:"pid"`
	Checks   []checkJSON `json:"checks"`
	Warnings []string    `json:"warnings,omitempty"`
}

type checkJSON struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok, failed or excluded
	Error  string `json:"error,omitempty"`
}

// HealthzHandler returns the handler of Teleport's /healthz: it always
// answers 200 {"status":"ok"} and runs no check, because a process that can
// answer at all is alive; readiness is /readyz's business and a stuck
// process is /livez's.
func (l *Liveness) HealthzHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, http.StatusOK, l.healthzBody)
	})
}

// LivezHandler returns the handler of /livez: 200 {"status":"ok","pid":N} when every check
// passes, and 500 {"status":"liveness check failed: a, b","pid":N} naming
// the failed ones otherwise (500, as kube-apiserver answers). Query
// parameters, as kube-apiserver's:
//
//   - exclude=NAME (repeatable) skips a check; a name that matches no check
//     adds a "warnings" entry to the body instead of failing the request;
//   - verbose adds "checks":[{"name","status","error"}] with status ok,
//     failed or excluded, and the error of a failed check.
//
// HEAD gets the same status and headers without a body.
func (l *Liveness) LivezHandler() http.Handler { return http.HandlerFunc(l.serveLivez) }

func (l *Liveness) serveLivez(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	excluded, warnings := excludeSet(q["exclude"], func(name string) bool {
		for _, c := range l.checks {
			if c.Name() == name {
				return true
			}
		}
		return false
	}, "check")
	results := l.run(r.Context(), excluded)
	body := livezBody{Status: statusOK, PID: l.pid, Warnings: warnings}
	var failed []string
	for _, res := range results {
		if res.Status == "failed" {
			failed = append(failed, res.Name)
		}
	}
	code := http.StatusOK
	if len(failed) > 0 {
		code = http.StatusInternalServerError
		body.Status = statusLivenessFailed + strings.Join(failed, ", ")
	}
	if q.Has("verbose") {
		if results == nil {
			results = []checkJSON{}
		}
		writeJSON(w, r, code, mustMarshal(livezVerbose{Status: body.Status, PID: l.pid, Checks: results, Warnings: warnings}))
		return
	}
	writeJSON(w, r, code, mustMarshal(body))
}

// CheckHandler returns the handler of /livez/{check}, one check as
// kube-apiserver's /livez/NAME: 200 {"status":"ok","pid":N,"check":name},
// or 500 with the check's error as the status. It reads the name with
// r.PathValue("check"), so mount it on a pattern that ends in {check}. An
// unknown name gets 404, so that a typo in a probe fails loudly.
func (l *Liveness) CheckHandler() http.Handler { return http.HandlerFunc(l.serveCheck) }

func (l *Liveness) serveCheck(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue(checkWildcard)
	for _, c := range l.checks {
		if c.Name() != name {
			continue
		}
		ctx, cancel := context.WithTimeout(r.Context(), livenessTimeout)
		defer cancel()
		res := runOne(ctx, c)
		if res.Status == "ok" {
			writeJSON(w, r, http.StatusOK, mustMarshal(livezBody{Status: statusOK, PID: l.pid, Check: name}))
			return
		}
		writeJSON(w, r, http.StatusInternalServerError,
			mustMarshal(livezBody{Status: statusLivenessFailed + res.Error, PID: l.pid, Check: name}))
		return
	}
	writeJSON(w, r, http.StatusNotFound,
		mustMarshal(livezBody{Status: fmt.Sprintf("unknown liveness check %q", name), PID: l.pid}))
}

// run runs the checks that are not excluded concurrently, bounded by
// livenessTimeout, and returns their results in the order of the checks.
func (l *Liveness) run(ctx context.Context, excluded map[string]bool) []checkJSON {
	if len(l.checks) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, livenessTimeout)
	defer cancel()
	results := make([]checkJSON, len(l.checks))
	type done struct {
		i   int
		res checkJSON
	}
	// Buffered for every check: a check that ignores its context and
	// answers after the request has gone can still deliver and exit.
	ch := make(chan done, len(l.checks))
	pending := 0
	for i, c := range l.checks {
		if excluded[c.Name()] {
			results[i] = checkJSON{Name: c.Name(), Status: "excluded"}
			continue
		}
		pending++
		go func() { ch <- done{i, runOne(ctx, c)} }()
	}
	answered := make([]bool, len(l.checks))
	for ; pending > 0; pending-- {
		select {
		case d := <-ch:
			results[d.i], answered[d.i] = d.res, true
		case <-ctx.Done():
			for i, c := range l.checks {
				if !excluded[c.Name()] && !answered[i] {
					results[i] = checkJSON{Name: c.Name(), Status: "failed",
						Error: fmt.Sprintf("no answer within %v: %v", livenessTimeout, ctx.Err())}
				}
			}
			return results
		}
	}
	return results
}

// runOne runs one check, turning a panic into a failure: a buggy check
// must not take the diagnostics server down with it.
func runOne(ctx context.Context, c Checker) (res checkJSON) {
	res = checkJSON{Name: c.Name(), Status: "ok"}
	defer func() {
		if p := recover(); p != nil {
			res.Status, res.Error = "failed", fmt.Sprintf("check panicked: %v", p)
		}
	}()
	if err := c.Check(ctx); err != nil {
		res.Status, res.Error = "failed", err.Error()
	}
	return res
}

// excludeSet turns ?exclude values into a set, with a warning for each
// name that known does not recognise, worded after kube-apiserver's "some
// health checks cannot be excluded: no matches for ...".
func excludeSet(names []string, known func(string) bool, what string) (map[string]bool, []string) {
	if len(names) == 0 {
		return nil, nil
	}
	set := make(map[string]bool, len(names))
	var warnings []string
	for _, n := range names {
		if set[n] {
			continue
		}
		set[n] = true
		if !known(n) {
			warnings = append(warnings, fmt.Sprintf("cannot exclude %q: no %s has that name", n, what))
		}
	}
	return set, warnings
}
