// Package demo feeds plausible synthetic values into every generated instrument and simulated
// Teleport components into a readiness monitor, so `telediag --demo` shows the whole catalogue
// and a live /readyz without a real workload.
package demo

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry/teleport"
)

// Components returns the simulated Teleport services that heartbeat in the demo (a new slice
// each call: the list is fixed).
func Components() []string { return []string{"auth", "proxy", "node"} }

// failureRate is the share of simulated backend requests that fail: low, as on a healthy
// cluster, but not zero, so that availability ratios such as Teleport's
// 1 - (failed - failed_precondition) / total have data and move. Half of the failed writes are
// precondition failures (already exists, not found), the kind Teleport counts as expected.
const failureRate = 0.02

// Generator records one round of synthetic activity at a time. It is not safe for concurrent
// use; Run drives it from one goroutine.
type Generator struct {
	inst *teleport.Instruments
	rng  *rand.Rand

	// Up-down counters move by deltas; the generator remembers their level to keep them at a
	// plausible, never negative, value.
	generating, sessions int64
	resources            map[teleport.ResourceTypeAttr]int64
}

// NewGenerator returns a generator recording into inst, with a fixed seed so that runs are
// repeatable.
func NewGenerator(inst *teleport.Instruments, seed uint64) *Generator {
	return &Generator{
		inst:      inst,
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		resources: map[teleport.ResourceTypeAttr]int64{},
	}
}

// latency returns a log-normal-ish latency around median seconds, the shape real request
// latencies have, so histograms fill several buckets.
func (g *Generator) latency(median float64) float64 {
	return median * (0.25 + g.rng.ExpFloat64())
}

func (g *Generator) n(upTo int) int64 { return int64(g.rng.IntN(upTo + 1)) }

// failures returns how many of n requests fail, each with probability p. Zero is recorded too:
// Add(0) creates a counter's series, so a failure ratio has a numerator from the first round.
func (g *Generator) failures(n int64, p float64) int64 {
	var f int64
	for range n {
		if g.rng.Float64() < p {
			f++
		}
	}
	return f
}

// walk moves *level by -step…+step, keeping it within [0, ceiling].
func (g *Generator) walk(level *int64, step, ceiling int) int64 {
	next := *level + int64(g.rng.IntN(2*step+1)-step)
	next = min(max(next, 0), int64(ceiling))
	d := next - *level
	*level = next
	return d
}

// record records one round: counters advance, gauges are set, histograms get a few samples,
// into every synchronous instrument of the catalogue.
func (g *Generator) record(ctx context.Context) {
	i := g.inst

	// Auth Service and backends.
	if g.rng.IntN(50) == 0 {
		i.AuditFailedDiskMonitoring.Add(ctx, 1)
	}
	i.AuditFailedDiskMonitoring.Add(ctx, 0) // keep the series present from the first round
	i.AuditFailedEmitEvents.Add(ctx, g.n(1)*g.n(1))
	i.AuditPercentageDiskSpaceUsed.Record(ctx, 40+10*g.rng.Float64())
	i.AuditServerOpenFiles.Record(ctx, 2+g.n(3))
	i.AuthGenerateRequestsThrottledTotal.Add(ctx, g.n(1))
	i.AuthGenerateRequestsTotal.Add(ctx, 1+g.n(4))
	i.AuthGenerateRequests.Add(ctx, g.walk(&g.generating, 1, 5))
	i.AuthGenerateSeconds.Record(ctx, g.latency(0.05))
	for _, c := range []string{"backend", "cache"} {
		// As Teleport's backend reporter does, a failed request counts in the total too.
		batchReads, batchWrites, reads, writes := 1+g.n(3), g.n(2), 5+g.n(20), 1+g.n(5)
		i.BackendBatchReadRequestsTotal.Add(ctx, batchReads, c)
		i.BackendBatchReadRequestsFailedTotal.Add(ctx, g.failures(batchReads, failureRate), c)
		i.BackendBatchReadSeconds.Record(ctx, g.latency(0.004), c)
		i.BackendBatchWriteRequestsTotal.Add(ctx, batchWrites, c)
		i.BackendBatchWriteRequestsFailedTotal.Add(ctx, g.failures(batchWrites, failureRate), c)
		i.BackendBatchWriteSeconds.Record(ctx, g.latency(0.008), c)
		i.BackendReadRequestsTotal.Add(ctx, reads, c)
		i.BackendReadRequestsFailedTotal.Add(ctx, g.failures(reads, failureRate), c)
		i.BackendReadSeconds.Record(ctx, g.latency(0.002), c)
		i.BackendWriteRequestsTotal.Add(ctx, writes, c)
		failed := g.failures(writes, failureRate)
		i.BackendWriteRequestsFailedTotal.Add(ctx, failed, c)
		i.TeleportBackendWriteRequestsFailedPreconditionTotal.Add(ctx, g.failures(failed, 0.5), c)
		i.BackendWriteSeconds.Record(ctx, g.latency(0.006), c)
	}
	i.ClusterNameNotFoundTotal.Add(ctx, g.n(1)*g.n(1))
	i.EtcdBackendBatchReadRequests.Add(ctx, 1+g.n(2))
	i.EtcdBackendBatchReadSeconds.Record(ctx, g.latency(0.01))
	i.EtcdBackendReadRequests.Add(ctx, 3+g.n(10))
	i.EtcdBackendReadSeconds.Record(ctx, g.latency(0.003))
	i.EtcdBackendTxRequests.Add(ctx, g.n(3))
	i.EtcdBackendTxSeconds.Record(ctx, g.latency(0.012))
	i.EtcdBackendWriteRequests.Add(ctx, 1+g.n(4))
	i.EtcdBackendWriteSeconds.Record(ctx, g.latency(0.009))
	i.FirestoreEventsBackendBatchReadRequests.Add(ctx, g.n(2))
	i.FirestoreEventsBackendBatchReadSeconds.Record(ctx, g.latency(0.03))
	i.FirestoreEventsBackendBatchWriteRequests.Add(ctx, g.n(2))
	i.FirestoreEventsBackendBatchWriteSeconds.Record(ctx, g.latency(0.04))
	i.GCSEventStorageDownloads.Add(ctx, g.n(1))
	i.GCSEventStorageDownloadsSeconds.Record(ctx, g.latency(0.2))
	i.GCSEventStorageUploads.Add(ctx, g.n(2))
	i.GCSEventStorageUploadsSeconds.Record(ctx, g.latency(0.3))
	i.HeartbeatConnectionsMissedTotal.Add(ctx, g.n(1)*g.n(1))
	i.HeartbeatConnectionsReceivedTotal.Add(ctx, 2+g.n(3))
	i.TeleportAuditEmitEvents.Add(ctx, 3+g.n(10))
	for _, t := range []teleport.ResourceTypeAttr{teleport.ResourceTypeNode, teleport.ResourceTypeKube, teleport.ResourceTypeApp, teleport.ResourceTypeDB} {
		level := g.resources[t]
		i.TeleportConnectedResources.Add(ctx, g.walk(&level, 2, 40), t)
		g.resources[t] = level
	}
	i.TeleportRegisteredServers.Record(ctx, 12+g.n(2), "17.4.2", "true")
	i.TeleportRegisteredServers.Record(ctx, 3, "16.5.0", "false")
	i.UserLoginTotal.Add(ctx, g.n(2))
	i.WatcherEventSizes.Record(ctx, 200+g.n(1200))
	for _, r := range []string{"node", "role", "user"} {
		i.WatcherEvents.Record(ctx, 100+g.n(500), r)
	}

	// Proxy Service.
	i.FailedConnectToNodeAttemptsTotal.Add(ctx, g.n(1)*g.n(1))
	i.FailedLoginAttemptsTotal.Add(ctx, g.n(1)*g.n(1))
	i.ProxyConnectionLimitExceededTotal.Add(ctx, 0)
	i.ProxyMissingSSHTunnels.Record(ctx, g.n(1)*g.n(1))
	i.TeleportConnectToNodeAttemptsTotal.Add(ctx, 1+g.n(5))
	i.TeleportReverseTunnelsConnected.Record(ctx, 10+g.n(3), "node")
	i.TeleportReverseTunnelsConnected.Record(ctx, 2, "app")

	// Teleport Nodes and all instances.
	i.UserMaxConcurrentSessionsHitTotal.Add(ctx, 0)
	i.CertificateMismatchTotal.Add(ctx, g.n(1)*g.n(1))
	i.ReversetunnelConnectedProxies.Record(ctx, 2)
	i.Rx.Add(ctx, 1024+g.n(64*1024))
	i.Tx.Add(ctx, 2048+g.n(128*1024))
	i.ServerInteractiveSessionsTotal.Add(ctx, g.walk(&g.sessions, 1, 8))
	for _, c := range []string{"auth", "proxy", "node"} {
		i.TeleportCacheEvents.Add(ctx, 2+g.n(10), c)
		i.TeleportCacheStaleEvents.Add(ctx, g.n(1)*g.n(1), c)
	}
	i.TrustedClusters.Record(ctx, 1, "leaf.example.com", "online")
}

// round is one round of the demo: record, then a successful heartbeat of each of Components()
// into m (unless m is nil), which also gives each its teleport_component_state series.
func (g *Generator) round(ctx context.Context, m *probes.Monitor) {
	g.record(ctx)
	if m != nil {
		for _, c := range Components() {
			m.Heartbeat(c, nil)
		}
	}
}

// demoMemoryLimit is the Go memory limit Run sets when the process has none.
const demoMemoryLimit = 4 << 30

// Run plays a round every interval until ctx is done. The simulated components are healthy:
// the demo shows the starting → ok path, and --check shows real failures.
//
// Without GOMEMLIMIT, Run sets a generous memory limit (demoMemoryLimit, far above what the
// demo uses, so the collector behaves as without one) until it returns: the OTel runtime
// instrumentation observes go_memory_limit only under a limit, and the demo shows every family.
func Run(ctx context.Context, g *Generator, m *probes.Monitor, interval time.Duration) {
	if debug.SetMemoryLimit(-1) == math.MaxInt64 {
		debug.SetMemoryLimit(demoMemoryLimit)
		defer debug.SetMemoryLimit(math.MaxInt64)
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		g.round(ctx, m)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
