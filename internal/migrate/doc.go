// Package migrate moves code from client_golang's metrics to a generated catalogue: the analyzer
// behind `instrumentgen migrate`. It rewrites the definitions (promauto.NewCounterVec and the
// like) into the catalogue's instruments, the calls on them (WithLabelValues and With into Add,
// Record and Bind, with every label value moved to the catalogue's order by label name; the
// deletions DeleteLabelValues, Delete, DeletePartialMatch and Reset into their generated
// counterparts, the same way; prometheus.NewTimer with its ObserveDuration into time.Now and a
// Record of the seconds since), the types that carry them between functions and packages, and the registry and promhttp wiring
// into telemetry.New and tel.Handler(). What it cannot rewrite it reports, at FILE:LINE, with
// the reason, and then leaves the whole metric on client_golang, so that the fixed code builds.
//
// How code reaches its instruments: a client_golang metric lives in a package-level variable
// registered on the default registry, and the rewrite keeps that shape. The catalogue's package
// gets one package-level *Instruments, Default (written beside the generated code by
// SupportFile), which main fills once at startup with SetDefault(tel.MeterProvider()); each
// former definition becomes a pointer into it (var requests = &shopmetrics.Default.ShopRequestsTotal),
// so that every call site's rewrite is local (requests.WithLabelValues("200").Inc() becomes
// requests.Add(ctx, 1, "200")) and costs what the generated call costs.
//
// The analysis of which metric reaches which variable, field, parameter and result is made over
// every package given (a Plan), since a function's parameter is decided by its callers, which
// sit in packages that import it; an Analyzer without a Plan sees its own package only.
package migrate
