package catalog

import "strings"

// Providers of the metric families that telediag's pipeline (package telemetry) serves for every
// catalogue without generating them. A catalogue lists them with provided_by so that it names
// everything its /metrics serves; a family only one catalogue needs is generated in that
// catalogue instead (Teleport's go_memstats_lookups_total, for example).
const (
	ProvidedByGoCollector      = "go_collector"
	ProvidedByProcessCollector = "process_collector"
	ProvidedByPromHTTP         = "promhttp"
	ProvidedByOTelRuntime      = "otel_runtime"
)

// RuntimeFamilies maps each family a telediag process serves by itself, whatever its
// catalogue, to its provided_by: client_golang's Go collector's (with its defaults), its
// process collector's, promhttp's instrumentation of the /metrics handler, and OTel's runtime
// instrumentation's as the Prometheus exporter names them. The map is new at each call, the
// caller's to keep or change.
//
// The families are listed by name, never by prefix, and only those telemetry.New's /metrics
// really serves (a test in package telemetry scrapes it and holds this list to it, both ways):
// a client_golang service with more of the runtime's metrics
// (collectors.WithGoCollectorRuntimeMetrics) serves go_* families telediag does not, a
// promhttp handler given HandlerOpts.Registry serves promhttp_metric_handler_errors_total,
// which telediag's does not, and Teleport's process_state is not the process collector's.
// Those are the service's own: imported and checked like any other family, so that nothing a
// dashboard queries is lost silently.
func RuntimeFamilies() map[string]string {
	fams := map[string]string{}
	add := func(provider string, names ...string) {
		for _, n := range names {
			fams[n] = provider
		}
	}
	// collectors.NewGoCollector() with its defaults.
	add(ProvidedByGoCollector,
		"go_gc_duration_seconds", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes", "go_goroutines",
		"go_info", "go_sched_gomaxprocs_threads", "go_threads",
		"go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total", "go_memstats_buck_hash_sys_bytes",
		"go_memstats_frees_total", "go_memstats_gc_sys_bytes", "go_memstats_heap_alloc_bytes",
		"go_memstats_heap_idle_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_objects",
		"go_memstats_heap_released_bytes", "go_memstats_heap_sys_bytes", "go_memstats_last_gc_time_seconds",
		"go_memstats_mallocs_total", "go_memstats_mcache_inuse_bytes", "go_memstats_mcache_sys_bytes",
		"go_memstats_mspan_inuse_bytes", "go_memstats_mspan_sys_bytes", "go_memstats_next_gc_bytes",
		"go_memstats_other_sys_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_stack_sys_bytes",
		"go_memstats_sys_bytes")
	// OTel's runtime instrumentation (contrib/instrumentation/runtime), as telemetry's exporter
	// names it on /metrics: dots become underscores, no unit suffix (go.memory.used →
	// go_memory_used). go_memory_limit is served only while a memory limit is set (GOMEMLIMIT).
	add(ProvidedByOTelRuntime,
		"go_config_gogc", "go_goroutine_count", "go_memory_allocated", "go_memory_allocations",
		"go_memory_gc_goal", "go_memory_limit", "go_memory_used", "go_processor_limit")
	// collectors.NewProcessCollector; the network families need /proc/net/dev (Linux).
	add(ProvidedByProcessCollector,
		"process_cpu_seconds_total", "process_open_fds", "process_max_fds",
		"process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
		"process_resident_memory_bytes", "process_start_time_seconds",
		"process_network_receive_bytes_total", "process_network_transmit_bytes_total")
	// promhttp.InstrumentMetricHandler around telemetry's /metrics handler. Not
	// promhttp_metric_handler_errors_total: promhttp serves it only when HandlerOpts.Registry
	// is set, and telemetry does not set it.
	add(ProvidedByPromHTTP,
		"promhttp_metric_handler_requests_in_flight", "promhttp_metric_handler_requests_total")
	return fams
}

// RuntimeProvider is the provided_by of a family a telediag process serves by itself, whatever
// its catalogue (see RuntimeFamilies); "" for any other family. A service moving to telediag
// does not declare them, and a live check does not call them undeclared.
func RuntimeProvider(name string) string {
	// Every runtime family starts with one of these (TestRuntimeFamilyPrefixes): the common
	// case, a family of the service's own, needs no map.
	if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_") {
		return ""
	}
	return RuntimeFamilies()[name]
}

// TargetInfo is the family the OTel Prometheus exporter serves the Resource as: telemetry
// serves it too, but it is not a metric, so no catalogue declares it, not even as provided_by.
const TargetInfo = "target_info"
