package probes

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Status texts of /readyz that do not name the service.
const (
	statusOK       = "ok"
	statusShutdown = "process is shutting down"
)

// defaultService is what the /readyz texts call a service that nothing names.
const defaultService = "service"

// Path wildcards the per-component and per-check handlers read with
// http.Request.PathValue: the pattern they are mounted on must end in one.
const (
	componentWildcard = "component"
	checkWildcard     = "check"
)

// wording is the /readyz texts of each State for one service, and the plain /readyz bodies
// rendered from them once, so that the plain path neither locks nor allocates.
type wording struct {
	texts  [numStates]string
	bodies [numStates][]byte
}

// newWording words the states for a service called name, in Teleport's wording. With
// teleport set the texts are Teleport's word for word, because scripts and dashboards written
// against Teleport match on them.
func newWording(name string, teleport bool, pid int) *wording {
	w := &wording{}
	w.texts[StateOK] = statusOK
	w.texts[StateRecovering] = name + " is recovering from a degraded state, check logs for details"
	w.texts[StateDegraded] = name + " is in a degraded state, check logs for details"
	w.texts[StateStarting] = name + " is starting and not ready yet"
	if teleport {
		w.texts[StateRecovering] = "teleport is recovering from a degraded state, check logs for details"
		w.texts[StateDegraded] = "teleport is in a degraded state, check logs for details"
		w.texts[StateStarting] = "teleport is starting and hasn't joined the cluster yet"
	}
	for s := range w.bodies {
		_, text := w.status(State(s))
		w.bodies[s] = mustMarshal(readiness{Status: text, PID: pid})
	}
	return w
}

// status maps a State to Teleport's /readyz status code and this wording's text for it: 503
// only for degraded, so that a load balancer pulls the process only on a real failure, and
// 400 while starting or recovering.
func (w *wording) status(s State) (int, string) {
	switch s {
	case StateOK:
		return http.StatusOK, w.texts[StateOK]
	case StateRecovering:
		return http.StatusBadRequest, w.texts[StateRecovering]
	case StateDegraded:
		return http.StatusServiceUnavailable, w.texts[StateDegraded]
	default:
		return http.StatusBadRequest, w.texts[StateStarting]
	}
}

// readiness is the /readyz body, field order as in Teleport's
// debug.Readiness: {"status":...,"pid":...}. Warnings appear only when
// ?exclude names an unknown component, so Teleport's body is unchanged.
type readiness struct {
	Status   string   `json:"status"`
	PID      int      `json:"pid"`
	Warnings []string `json:"warnings,omitempty"`
}

// verboseReadiness is the /readyz?verbose body.
type verboseReadiness struct {
	Status     string          `json:"status"`
	PID        int             `json:"pid"`
	Components []componentJSON `json:"components"`
	Warnings   []string        `json:"warnings,omitempty"`
}

type componentJSON struct {
	Name     string `json:"name"`
	State    string `json:"state"`
	Since    string `json:"since"`
	Error    string `json:"error,omitempty"`
	Excluded bool   `json:"excluded,omitempty"`
}

// componentReadiness is the body of the per-component endpoint.
type componentReadiness struct {
	Status    string `json:"status"`
	PID       int    `json:"pid"`
	Component string `json:"component"`
}

// ReadyzHandler returns the handler of /readyz, the process state:
// 200 ok, 400 starting or recovering, 503 degraded, with body
// {"status":"<text>","pid":<pid>} and Teleport's status texts. After
// BeginShutdown it answers 503 "process is shutting down".
//
// With the query parameter verbose (any value, even empty) the body also
// lists the components: "components":[{"name","state","since","error"}],
// since in RFC 3339 with nanoseconds in UTC and error only when the last
// heartbeat failed.
//
// With exclude=NAME (repeatable), as on kube-apiserver's /readyz, the
// named components are left out and the process state is combined from
// the others by the same rules, so the codes and texts stay Teleport's
// (with every component excluded the process counts as starting, as
// Teleport's does with none). A name that matches no component does not
// fail the request; it adds "warnings":["cannot exclude ..."] to the body.
// In the verbose form excluded components carry "excluded":true. Shutdown
// cannot be excluded.
//
// The plain form reads only atomics and precomputed bytes, so a probe is
// never delayed by heartbeats; the verbose and exclude forms take a short
// read lock. HEAD gets the same status and headers without a body. The
// handler does not restrict methods; the router does.
func (m *Monitor) ReadyzHandler() http.Handler {
	return http.HandlerFunc(m.serveReadyz)
}

// ComponentHandler returns the handler of /readyz/{component}: one
// component's readiness, with the same codes and texts as /readyz and body
// {"status":...,"pid":...,"component":name}. It reads the name with
// r.PathValue("component"), so mount it on a pattern that ends in
// {component}, with chi or http.ServeMux alike. An unknown component gets
// 404 {"status":"unknown component \"name\"","pid":...}, so that a typo in
// a probe fails loudly instead of looking like a component that is
// starting. After BeginShutdown it answers 503.
func (m *Monitor) ComponentHandler() http.Handler {
	return http.HandlerFunc(m.serveComponent)
}

func (m *Monitor) serveReadyz(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Has("verbose") || q.Has("exclude") {
		m.serveDetailed(w, r, q.Has("verbose"), q["exclude"])
		return
	}
	if m.shuttingDown() {
		writeJSON(w, r, http.StatusServiceUnavailable, m.shutdownBody)
		return
	}
	s := m.State()
	wd := m.wording.Load()
	code, _ := wd.status(s)
	writeJSON(w, r, code, wd.bodies[s])
}

// serveDetailed answers /readyz?verbose and /readyz?exclude=NAME from one
// consistent snapshot of the components.
func (m *Monitor) serveDetailed(w http.ResponseWriter, r *http.Request, verbose bool, exclude []string) {
	comps := m.Components()
	wd := m.wording.Load()
	excluded, warnings := excludeSet(exclude, func(name string) bool {
		for _, c := range comps {
			if c.Name == name {
				return true
			}
		}
		return false
	}, "component")
	var counts [numStates]int
	n := 0
	for _, c := range comps {
		if !excluded[c.Name] {
			counts[c.State]++
			n++
		}
	}
	s := m.combine(counts, n, len(comps))
	code, text := wd.status(s)
	if m.shuttingDown() {
		code, text = http.StatusServiceUnavailable, statusShutdown
	}
	if !verbose {
		writeJSON(w, r, code, mustMarshal(readiness{Status: text, PID: m.pid, Warnings: warnings}))
		return
	}
	body := verboseReadiness{Status: text, PID: m.pid, Components: make([]componentJSON, 0, len(comps)), Warnings: warnings}
	for _, c := range comps {
		body.Components = append(body.Components, componentJSON{
			Name:     c.Name,
			State:    c.State.String(),
			Since:    c.Since.UTC().Format(time.RFC3339Nano),
			Error:    c.LastError,
			Excluded: excluded[c.Name],
		})
	}
	writeJSON(w, r, code, mustMarshal(body))
}

func (m *Monitor) serveComponent(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue(componentWildcard)
	if m.shuttingDown() {
		writeJSON(w, r, http.StatusServiceUnavailable,
			mustMarshal(componentReadiness{Status: statusShutdown, PID: m.pid, Component: name}))
		return
	}
	c, ok := m.component(name)
	if !ok {
		writeJSON(w, r, http.StatusNotFound,
			mustMarshal(readiness{Status: fmt.Sprintf("unknown component %q", name), PID: m.pid}))
		return
	}
	code, text := m.wording.Load().status(c.State)
	writeJSON(w, r, code, mustMarshal(componentReadiness{Status: text, PID: m.pid, Component: name}))
}

// marshalErrorBody is what roundtrip.ReplyJSON writes when encoding fails.
const marshalErrorBody = `{"msg":"internal marshal error"}`

// mustMarshal encodes v like roundtrip.ReplyJSON: json.Marshal, no
// trailing newline. The bodies here are strings and ints and cannot fail
// to encode; the fallback only keeps the output valid JSON if one ever did.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(marshalErrorBody)
	}
	return b
}

// writeJSON writes a JSON reply. Content-Length is set explicitly so that
// HEAD, which gets no body, still carries the same headers as GET;
// Cache-Control keeps proxies from serving a stale readiness answer.
func writeJSON(w http.ResponseWriter, r *http.Request, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body) // the client went away: nothing useful to do
	}
}
