package main

import (
	"bytes"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
)

func runImportCmd(stdin string, args ...string) result {
	var out, errb bytes.Buffer
	code := run(append([]string{"import"}, args...), &out, &errb)
	if stdin != "" {
		out.Reset()
		errb.Reset()
		code = runImport(args, strings.NewReader(stdin), &out, &errb)
	}
	return result{code, out.String(), errb.String()}
}

// clientGolangService is a service as it is before it moves: client_golang's registry with
// its Go and process collectors, served by promhttp.
func clientGolangService(t *testing.T) *httptest.Server {
	t.Helper()
	reg := prometheus.NewRegistry()
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total", Help: "Requests answered, by code."}, []string{"code"})
	reqs.WithLabelValues("200").Add(3)
	reqs.WithLabelValues("503").Inc()
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds", Help: "Time to answer.", Buckets: []float64{0.01, 0.1, 1}}, []string{"handler"})
	lat.WithLabelValues("/cart").Observe(0.05)
	size := prometheus.NewSummary(prometheus.SummaryOpts{Name: "shop_response_size_bytes", Help: "Response sizes.",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01}})
	size.Observe(100)
	carts := prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_open_carts", Help: "Carts not checked out."})
	reg.MustRegister(reqs, lat, size, carts, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	return srv
}

func TestImportCommand(t *testing.T) {
	srv := clientGolangService(t)
	r := runImportCmd("", srv.URL+"/metrics")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	cat, err := catalog.Parse("stdout", []byte(r.stdout))
	if err != nil {
		t.Fatalf("the catalogue on stdout does not load: %v\n%s", err, r.stdout)
	}
	if got := names(cat); strings.Join(got, " ") != "shop_open_carts shop_request_duration_seconds shop_requests_total shop_response_size_bytes" {
		t.Errorf("imported %v", got)
	}
	if m := cat.Metric("shop_response_size_bytes"); m.Kind != catalog.KindSummary || len(m.Objectives) != 2 {
		t.Errorf("the summary came over as %+v", m)
	}
	for _, want := range []string{
		"instrumentgen import: note: shop_response_size_bytes: summary with objectives {0.5: 0.05, 0.9: 0.01}: /metrics shows the quantiles, not the errors allowed on them nor max_age",
		"go_threads: 29 families of client_golang's Go collector, which telemetry serves itself; -include-runtime lists them as provided_by: go_collector",
		"4 metric(s) and 2 label(s) from " + srv.URL + "/metrics to stdout",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// -o writes the file, which -check accepts as it is; a second import is the same file and
	// never overwrites the first.
	// The package it is meant for does not exist yet: -o creates its directories.
	out := filepath.Join(t.TempDir(), "internal", "shopmetrics", "instruments.yaml")
	if r := runImportCmd("", "-o", out, srv.URL+"/metrics"); r.code != 0 || r.stdout != "" {
		t.Fatalf("-o: exit %d, stdout %q, stderr %s", r.code, r.stdout, r.stderr)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var checkOut, checkErr bytes.Buffer
	if code := run([]string{"-check", out}, &checkOut, &checkErr); code != 0 {
		t.Fatalf("-check on the import: exit %d: %s", code, checkErr.String())
	}
	if string(written) != r.stdout {
		t.Error("importing again gives another file")
	}
	if r := runImportCmd("", "-o", out, srv.URL+"/metrics"); r.code != 1 || !strings.Contains(r.stderr, "refusing to overwrite") {
		t.Errorf("-o over an existing file: exit %d, %s", r.code, r.stderr)
	}

	// -include-runtime lists the runtime families as provided_by entries.
	r = runImportCmd("", "-include-runtime", srv.URL+"/metrics")
	cat, err = catalog.Parse("stdout", []byte(r.stdout))
	if r.code != 0 || err != nil {
		t.Fatalf("-include-runtime: exit %d, %v: %s", r.code, err, r.stderr)
	}
	if m := cat.Metric("go_goroutines"); m == nil || m.ProvidedBy != catalog.ProvidedByGoCollector {
		t.Errorf("go_goroutines: %+v", m)
	}
}

func names(cat *catalog.Catalog) []string {
	var out []string
	for _, m := range cat.Metrics {
		out = append(out, m.Name)
	}
	return out
}

func TestImportStdin(t *testing.T) {
	r := runImportCmd("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "- name: a_total\n") || !strings.Contains(r.stderr, "from stdin to stdout") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}

// TestImportOverMutualTLS: -ca, -cert and -key work as `telediag probe`'s.
func TestImportOverMutualTLS(t *testing.T) {
	dir := t.TempDir()
	serverCA, clientCA := testutil.NewCA(t, "server-ca"), testutil.NewCA(t, "client-ca")
	leaf, client := serverCA.Server(t, "svc"), clientCA.Client(t, "ci")
	caFile := testutil.WriteFile(t, dir, "ca.crt", serverCA.PEM)
	certFile := testutil.WriteFile(t, dir, "ci.crt", client.CertPEM)
	keyFile := testutil.WriteFile(t, dir, "ci.key", client.KeyPEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"))
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLS(t)}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCA.Pool()}
	srv.StartTLS()
	defer srv.Close()
	if r := runImportCmd("", "-ca", caFile, "-cert", certFile, "-key", keyFile, srv.URL); r.code != 0 {
		t.Errorf("mutual TLS: exit %d: %s", r.code, r.stderr)
	}
	if r := runImportCmd("", "-ca", caFile, "-cert", certFile, "-key", keyFile, "-server-name", "other.example", srv.URL); r.code != 1 || !strings.Contains(r.stderr, "certificate is valid for") {
		t.Errorf("-server-name: exit %d: %s", r.code, r.stderr)
	}
	if r := runImportCmd("", "-ca", caFile, srv.URL); r.code != 1 || !strings.Contains(r.stderr, "certificate required") {
		t.Errorf("without a client certificate: exit %d: %s", r.code, r.stderr)
	}
}

// TestImportBadUsage: usage errors exit 2 with one line naming the flag or argument; a source
// that cannot be read exits 1.
func TestImportBadUsage(t *testing.T) {
	dir := t.TempDir()
	garbage := testutil.WriteFile(t, dir, "garbage.pem", []byte("nope\n"))
	empty := testutil.WriteFile(t, dir, "empty.prom", []byte("# only a comment\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no source", nil, 2, "want one SOURCE"},
		{"flag after the source", []string{"x.prom", "-o", "y"}, 2, "flags go before it"},
		{"unknown flag", []string{"-insecure", "http://127.0.0.1/"}, 2, "-insecure"},
		{"bad include", []string{"-include", "shop_(", "x.prom"}, 2, "invalid value \"shop_(\" for flag -include: invalid regular expression (RE2): error parsing regexp: missing closing ): `shop_(`"},
		{"empty exclude", []string{"-exclude", "", "x.prom"}, 2, `invalid value "" for flag -exclude: empty pattern`},
		{"zero timeout", []string{"-timeout", "0", "http://127.0.0.1/"}, 2, "-timeout"},
		{"ca with http", []string{"-ca", garbage, "http://127.0.0.1/"}, 2, "flag -ca applies to https URLs only"},
		{"ca with a file", []string{"-ca", garbage, "x.prom"}, 2, `"x.prom" is not a URL`},
		{"unsupported scheme", []string{"ftp://example.com/metrics"}, 2, `unsupported scheme "ftp"`},
		{"ca not PEM", []string{"-ca", garbage, "https://127.0.0.1/"}, 2, "no PEM certificate found"},
		{"cert without key", []string{"-cert", garbage, "https://127.0.0.1/"}, 2, "-cert and -key go together"},
		{"URL without host", []string{"http:///metrics"}, 2, "has no host"},
		{"unreachable", []string{"http://" + closed + "/metrics"}, 1, "connection refused"},
		{"missing file", []string{filepath.Join(dir, "missing.prom")}, 1, "no such file"},
		{"unparsable file", []string{garbage}, 1, garbage + ": parse: text format parsing error in line 1"},
		{"nothing to import", []string{empty}, 1, "nothing to import: the exposition has no metric family"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runImportCmd("", tc.args...)
			if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d and %q", r.code, r.stdout, r.stderr, tc.code, tc.want)
			}
		})
	}
	if r := runImportCmd("", "-h"); r.code != 0 || !strings.Contains(r.stderr, "usage: instrumentgen import [flags] SOURCE") {
		t.Errorf("-h: exit %d, %s", r.code, r.stderr)
	}
}

// TestImportFilterFlags: a service that makes families at run time (an exporter's, one per
// metric of its upstream, registered while it serves) imports only its own with -exclude or
// -include, and every family left out is named on stderr with the flag that left it out.
func TestImportFilterFlags(t *testing.T) {
	reg := prometheus.NewRegistry()
	relayed := prometheus.NewCounter(prometheus.CounterOpts{Name: "relay_requests_total", Help: "Requests relayed."})
	relayed.Add(2)
	reg.MustRegister(relayed, collectors.NewGoCollector())
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	// Traffic: the upstream's families appear once the service has relayed a scrape.
	for _, name := range []string{"upstream_orders_placed_total", "upstream_carts_total"} {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: "Made at run time."}, []string{"upstream"})
		reg.MustRegister(c)
		c.WithLabelValues("shop").Inc()
	}
	url := srv.URL + "/metrics"
	if r := runImportCmd("", url); r.code != 0 || !strings.Contains(r.stdout, "- name: upstream_carts_total\n") {
		t.Fatalf("without a filter the run-time families are imported: exit %d\n%s", r.code, r.stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
		left []string
	}{
		{"exclude", []string{"-exclude", "upstream_.*"}, []string{
			`instrumentgen import: left out upstream_carts_total: matches -exclude "upstream_.*"`,
			`instrumentgen import: left out upstream_orders_placed_total: matches -exclude "upstream_.*"`,
		}},
		{"include", []string{"-include", "relay_.*", "-include", "shop_.*"}, []string{
			`instrumentgen import: left out upstream_carts_total: matches no -include ("relay_.*", "shop_.*")`,
			`instrumentgen import: left out upstream_orders_placed_total: matches no -include ("relay_.*", "shop_.*")`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runImportCmd("", append(tc.args, url)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			cat, err := catalog.Parse("stdout", []byte(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			if got := names(cat); strings.Join(got, " ") != "relay_requests_total" {
				t.Errorf("imported %v, want relay_requests_total alone", got)
			}
			for _, w := range tc.left {
				if !strings.Contains(r.stderr, w+"\n") {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if !strings.Contains(r.stderr, "families of client_golang's Go collector, which telemetry serves itself") || strings.Contains(r.stderr, "left out go_goroutines:") {
				t.Errorf("the runtime families are named on their provider's line, not as filtered one by one:\n%s", r.stderr)
			}
		})
	}
}
