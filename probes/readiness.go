package probes

import "net/http"

// Readiness is a snapshot of the process's readiness: the overall state,
// what /readyz answers for it, and every component. State and Components
// are read under one lock, so the state is always the one the listed
// components make; ShuttingDown, Code and Status are read just after them.
// It is what a page for people (the router's /status) shows; probes keep
// using /readyz.
type Readiness struct {
	// State is the process state, combined from Components by Teleport's
	// rules (degraded, then recovering, then starting; ok only when every
	// component is). It is what process_state reports.
	State State
	// Code is the HTTP status plain /readyz answers: 200 ok, 400 starting or
	// recovering, 503 degraded, and 503 while ShuttingDown whatever State is.
	Code int
	// Status is plain /readyz's "status" text, in this Monitor's wording
	// (WithService, WithTeleportTexts, SetDefaultServiceName).
	Status string
	// ShuttingDown reports whether BeginShutdown has been called.
	ShuttingDown bool
	// Components are the known components, sorted by name.
	Components []ComponentStatus
}

// Readiness returns a snapshot of the process's readiness. The components
// and the overall state are read under one read lock, so the state always
// agrees with the components listed, which State and Components called one
// after the other do not promise.
func (m *Monitor) Readiness() Readiness {
	m.mu.RLock()
	comps := m.componentsLocked()
	s := m.overallLocked()
	m.mu.RUnlock()
	code, text := m.wording.Load().status(s)
	shutdown := m.shuttingDown()
	if shutdown {
		code, text = http.StatusServiceUnavailable, statusShutdown
	}
	return Readiness{State: s, Code: code, Status: text, ShuttingDown: shutdown, Components: comps}
}
