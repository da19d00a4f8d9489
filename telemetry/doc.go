// Package telemetry builds telediag's OpenTelemetry metrics pipeline: the Resource, a
// MeterProvider whose Prometheus reader serves the documented metric names verbatim on the
// module's own registry, the typed instruments generated from instruments.yaml, and the
// client_golang Go, process and promhttp collectors that complete Teleport's catalogue.
//
// One call builds it all:
//
//	tel, err := telemetry.New(ctx)
//	...
//	defer tel.Shutdown(ctx)
//	tel.Instruments.BackendReadRequestsTotal.Add(ctx, 1, "backend")
//	http.Handle("/metrics", tel.Handler())
//
// Nothing is registered on client_golang's global registry and the global OTel MeterProvider is
// left alone unless WithGlobal is given.
package telemetry

