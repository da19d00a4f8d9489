//go:build e2e

package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// relayCatalogue is the catalogue of a service that relays an upstream: one family of its own,
// and the families it makes at run time for each metric of the upstream, listed as undeclared.
const relayCatalogue = `metrics:
  - name: relay_requests_total
    section: Relay
    kind: counter
    value_type: int
    unit: "{request}"
    description: "Requests relayed to the upstream."
undeclared:
  - match: "upstream_.*"
    description: "Made at run time, one per metric of the upstream the service relays."
`

// relayMain is the service: its catalogue created from the pipeline (unless -drop-declared,
// a service that lost its declared family), and a client_golang registry that /relay fills
// while it runs, served beside the catalogue with telemetry.WithGatherer.
const relayMain = `package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/telediag/telediag/telemetry"

	"example.com/relay/relaymetrics"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	direct := flag.Bool("direct", false, "telemetry.WithDirectScrape")
	drop := flag.Bool("drop-declared", false, "do not create the catalogue: relay_requests_total goes missing")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	relayed := prometheus.NewRegistry() // empty now; traffic fills it
	opts := []telemetry.Option{telemetry.WithServiceName("relay"), telemetry.WithGatherer(relayed)}
	if *direct {
		opts = append(opts, telemetry.WithDirectScrape())
	}
	tel, err := telemetry.New(ctx, opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Shutdown(context.Background())
	if !*drop {
		metrics, err := relaymetrics.NewInstruments(tel.MeterProvider())
		if err != nil {
			log.Fatal(err)
		}
		metrics.RelayRequestsTotal.Add(ctx, 1)
	}

	var mu sync.Mutex
	made := map[string]*prometheus.CounterVec{}
	mux := http.NewServeMux()
	mux.Handle("/metrics", tel.Handler())
	mux.HandleFunc("/relay", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("family")
		mu.Lock()
		defer mu.Unlock()
		c := made[name]
		if c == nil {
			c = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Made at run time from the upstream's " + name + "."}, []string{"upstream"})
			if err := relayed.Register(c); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			made[name] = c
		}
		c.WithLabelValues("shop").Inc()
		w.Write([]byte("relayed\n"))
	})
	srv := &http.Server{Addr: *addr, Handler: mux}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
`

// TestRunTimeFamiliesLiveCheck is issue 22's service in CI: a service outside the repository
// serves, with telemetry.WithGatherer, families that its traffic creates after it started,
// beside its generated catalogue. The built instrumentgen live-check fails on them (exit 1)
// until they are expected: with -ignore, or with the catalogue's undeclared list, it passes
// (exit 0), on the exporter's and the direct scrape path; and it still fails (exit 1) when
// the service stops serving a family the catalogue declares.
func TestRunTimeFamiliesLiveCheck(t *testing.T) {
	gen := instrumentgen(t)
	mod := outsideModule(t, "example.com/relay")
	pkg := filepath.Join(mod, "relaymetrics")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	withKey := filepath.Join(pkg, "instruments.yaml")
	writeFile(t, withKey, relayCatalogue)
	writeFile(t, filepath.Join(pkg, "doc.go"), "// Package relaymetrics is the relay's metric catalogue.\npackage relaymetrics\n")
	if r := runTool(t, time.Minute, pkg, nil, gen, "instruments.yaml"); r.code != 0 {
		t.Fatalf("generate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	writeFile(t, filepath.Join(mod, "main.go"), relayMain)
	if r := runTool(t, 5*time.Minute, mod, nil, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.stderr)
	}
	relay := goBuild(t, mod, ".", "relay")
	// The same catalogue without its undeclared list.
	plain := filepath.Join(t.TempDir(), "instruments.yaml")
	writeFile(t, plain, relayCatalogue[:strings.Index(relayCatalogue, "undeclared:")])

	// start runs the service and makes it relay an upstream: two families appear at run time.
	start := func(args ...string) string {
		t.Helper()
		addr := hostPort(freePort(t))
		p := startProc(t, "relay", relay, append([]string{"-addr", addr}, args...), nil)
		base := "http://" + addr
		waitFor(t, "relay /metrics", 30*time.Second, func() error {
			_, err := get200(base + "/metrics")
			return err
		}, p)
		for _, family := range []string{"upstream_orders_placed_total", "upstream_carts_total"} {
			if _, err := get200(base + "/relay?family=" + url.QueryEscape(family)); err != nil {
				t.Fatal(err)
			}
		}
		return base + "/metrics"
	}
	liveCheck := func(what string, want int, args ...string) string {
		t.Helper()
		r := runTool(t, time.Minute, "", nil, gen, append([]string{"live-check"}, args...)...)
		if r.code != want {
			t.Errorf("%s: exit %d, want %d\n%s%s", what, r.code, want, r.stdout, r.stderr)
		}
		return r.stdout
	}

	for _, path := range []struct{ name, flag string }{{"exporter", "-direct=false"}, {"direct", "-direct"}} {
		metrics := start(path.flag)
		out := liveCheck(path.name+": no pattern", 1, plain, metrics)
		for _, family := range []string{"upstream_orders_placed_total", "upstream_carts_total"} {
			if !strings.Contains(out, ": "+family+": undeclared: ") {
				t.Errorf("%s: %s is not reported as undeclared:\n%s", path.name, family, out)
			}
		}
		out = liveCheck(path.name+": -ignore", 0, "-ignore", "upstream_.*", plain, metrics)
		if !strings.Contains(out, `-ignore "upstream_.*": ignored 2 families: upstream_carts_total, upstream_orders_placed_total`) {
			t.Errorf("%s: -ignore does not say what it ignored:\n%s", path.name, out)
		}
		out = liveCheck(path.name+": undeclared list", 0, withKey, metrics)
		if !strings.Contains(out, withKey+`:9: undeclared "upstream_.*": ignored 2 families`) {
			t.Errorf("%s: the undeclared list does not say what it ignored:\n%s", path.name, out)
		}
	}

	metrics := start("-drop-declared")
	for _, args := range [][]string{{"-ignore", "upstream_.*", plain, metrics}, {withKey, metrics}} {
		out := liveCheck("declared family removed", 1, args...)
		if !strings.Contains(out, ": relay_requests_total: missing: ") {
			t.Errorf("the missing declared family is not reported:\n%s", out)
		}
	}
}
