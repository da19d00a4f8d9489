// Package probes tracks the readiness and liveness of a process made of
// several components and serves them over HTTP as /healthz, /readyz and
// /livez.
//
// The readiness state machine is the one behind Teleport's /readyz
// (lib/service/state.go), so that dashboards, alerts and load balancers built
// for Teleport read this process the same way:
//
//   - Every component reports heartbeats through [Monitor.Heartbeat]. A
//     failed heartbeat makes the component degraded at once. The first
//     successful heartbeat after that makes it recovering, and it becomes ok
//     again only on a successful heartbeat that arrives strictly later than
//     the recovery window (by
//     default 10s, twice Teleport's 5s heartbeat period) after recovery began.
//     One good heartbeat after an outage is therefore not trusted on its own.
//   - The process state combines the components in this order of importance:
//     degraded, recovering, starting, ok. It is ok only when every known
//     component is ok and there is at least one ([WithReadyWithoutComponents]
//     makes a process with none ok, for one that has nothing to wait for).
//
// Heartbeats can come from the service's own loops, or from a [Runner] that
// runs [Checker]s (a small interface in the spirit of kube-apiserver's
// healthz.HealthChecker: [NamedCheck], [NewTCPCheck], [NewHTTPCheck]) every
// heartbeat interval. The Runner knows nothing of the state machine: it
// reports to any [Reporter].
//
// On top of Teleport's behaviour, a [Monitor] gives per-component detail
// (/readyz?verbose and /readyz/{component}), kube-apiserver's
// ?exclude=NAME, listeners for changes of the process state, rate-limited
// transition logs, and a shutdown mode ([Monitor.BeginShutdown]) in which
// /readyz fails so that load balancers drain the process before it stops.
// [Liveness] serves /livez from its own checks, run on every request, with
// ?verbose and ?exclude as on kube-apiserver, and Teleport's /healthz.
//
// Every endpoint is a method returning an http.Handler:
// [Monitor.ReadyzHandler], [Monitor.ComponentHandler],
// [Liveness.LivezHandler], [Liveness.CheckHandler] and
// [Liveness.HealthzHandler]. The per-component and per-check handlers read
// the name with http.Request.PathValue, so they work behind chi and
// http.ServeMux alike. The package depends only on the standard library;
// package router mounts them all, with /metrics and /status, in one call.
package probes
