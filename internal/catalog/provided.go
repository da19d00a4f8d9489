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

// RuntimeProvider is the provided_by of a family a telediag process serves by itself, whatever
// its catalogue: client_golang's Go collector's, OTel's runtime instrumentation's, the process
// collector's and promhttp's (promhttp_*); "" for any other family. A service moving to
// telediag does not declare them, and a live check does not call them undeclared.
//
// Go and process families are matched by name, not by their prefix: a client_golang service
// with more of the runtime's metrics (collectors.WithGoCollectorRuntimeMetrics, say) serves
// go_* families that telediag does not, and Teleport's process_state is not the process
// collector's. Those are imported and checked like any other family, so that nothing a
// dashboard queries is lost silently. The lists are the collectors' as telemetry registers
// them; TestRuntimeFamilyNames holds them to the collectors.
func RuntimeProvider(name string) string {
	if strings.HasPrefix(name, "promhttp_") {
		return ProvidedByPromHTTP
	}
	switch name {
	// client_golang's Go collector, collectors.NewGoCollector() with its defaults.
	case "go_gc_duration_seconds", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes", "go_goroutines",
		"go_info", "go_sched_gomaxprocs_threads", "go_threads",
		"go_memstats_alloc_bytes", "go_memstats_alloc_bytes_total", "go_memstats_buck_hash_sys_bytes",
		"go_memstats_frees_total", "go_memstats_gc_sys_bytes", "go_memstats_heap_alloc_bytes",
		"go_memstats_heap_idle_bytes", "go_memstats_heap_inuse_bytes", "go_memstats_heap_objects",
		"go_memstats_heap_released_bytes", "go_memstats_heap_sys_bytes", "go_memstats_last_gc_time_seconds",
		"go_memstats_mallocs_total", "go_memstats_mcache_inuse_bytes", "go_memstats_mcache_sys_bytes",
		"go_memstats_mspan_inuse_bytes", "go_memstats_mspan_sys_bytes", "go_memstats_next_gc_bytes",
		"go_memstats_other_sys_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_stack_sys_bytes",
		"go_memstats_sys_bytes":
		return ProvidedByGoCollector
	// OTel's runtime instrumentation (contrib/instrumentation/runtime), as the Prometheus
	// exporter names it on /metrics (go.memory.used → go_memory_used).
	case "go_config_gogc", "go_goroutine_count", "go_memory_allocated", "go_memory_allocations",
		"go_memory_gc_goal", "go_memory_limit", "go_memory_used", "go_processor_limit":
		return ProvidedByOTelRuntime
	// client_golang's process collector (prometheus/process_collector.go).
	case "process_cpu_seconds_total", "process_open_fds", "process_max_fds",
		"process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
		"process_resident_memory_bytes", "process_start_time_seconds",
		"process_network_receive_bytes_total", "process_network_transmit_bytes_total":
		return ProvidedByProcessCollector
	}
	return ""
}

// TargetInfo is the family the OTel Prometheus exporter serves the Resource as: telemetry
// serves it too, but it is not a metric, so no catalogue declares it, not even as provided_by.
const TargetInfo = "target_info"
