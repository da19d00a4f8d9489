// Package teleport is Teleport's documented metric catalogue as typed OTel instruments,
// generated from the repository's instruments.yaml, with the two observable metrics every
// Teleport process reports, teleport_build_info and process_state, and one Teleport lacks:
// teleport_component_state, the state of each readiness component (gravitational/teleport#43440),
// so that a dashboard or an alert names the component that keeps the process from being ready.
//
// It sits on top of any MeterProvider; with telediag's pipeline:
//
//	tel, err := telemetry.New(ctx, telemetry.WithServiceName("auth"))
//	...
//	metrics, err := teleport.New(tel.MeterProvider(), monitor)
//	...
//	metrics.BackendReadRequestsTotal.Add(ctx, 1, "backend")
//
// The generated reference of every metric is docs/metrics.md.
package teleport

//go:generate go tool instrumentgen -docs ../../docs/metrics.md ../../instruments.yaml
