//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Environment variables the tests read. run.sh sets all of them.
const (
	envE2E        = "TELEDIAG_E2E"        // "1" to run; unset: skip
	envBin        = "TELEDIAG_BIN"        // the telediag binary under test
	envOtelcol    = "TELEDIAG_OTELCOL"    // otelcol-telediag built by setup.sh
	envPrometheus = "TELEDIAG_PROMETHEUS" // prometheus (Debian package)
)

const howToRun = "run `bash test/e2e/run.sh`, or set TELEDIAG_E2E=1 with TELEDIAG_BIN, TELEDIAG_OTELCOL and TELEDIAG_PROMETHEUS " +
	"(`eval \"$(bash test/e2e/setup.sh)\"` prints the last two)"

// requireE2E skips the test unless TELEDIAG_E2E is set.
func requireE2E(t *testing.T) {
	t.Helper()
	if os.Getenv(envE2E) == "" {
		t.Skipf("end-to-end test with real peers: %s", howToRun)
	}
}

// binary returns the executable named by env var key. With TELEDIAG_E2E set
// (requireE2E ran first) a missing or unusable binary is a failure.
func binary(t *testing.T, key string) string {
	t.Helper()
	requireE2E(t)
	p := os.Getenv(key)
	if p == "" {
		t.Fatalf("%s is not set; %s", key, howToRun)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatalf("%s=%s: %v; %s", key, p, err, howToRun)
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("%s=%s is not an executable file", key, p)
	}
	return p
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freeTCPAndUDPPort returns a port free on 127.0.0.1 for TCP and UDP both, for a server that
// listens on one port number with both (statsd). freePort alone checks TCP only, and a UDP socket
// another part of the test holds may sit on the very number it returns.
func freeTCPAndUDPPort(t *testing.T) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", hostPort(port))
		l.Close()
		if err == nil {
			pc.Close()
			return port
		}
	}
	t.Fatalf("free port: no port free for TCP and UDP both on 127.0.0.1 in 100 tries")
	return 0
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// proc is a child process whose output goes to a log file under t.TempDir().
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when Wait returned
	waitErr error
}

var logSeq sync.Map // test name + process name -> *int, for unique log names on restart

// startProc starts bin with args and env (appended to a copy of the test's
// environment with every OTEL_* variable removed, so the tests do not depend
// on the caller's shell). The process is stopped and waited for in
// t.Cleanup, and its log is printed if the test failed.
func startProc(t *testing.T, name, bin string, args, env []string) *proc {
	t.Helper()
	n := 1
	if v, loaded := logSeq.LoadOrStore(t.Name()+"/"+name, &n); loaded {
		p := v.(*int)
		*p++
		n = *p
	}
	logPath := filepath.Join(t.TempDir(), fmt.Sprintf("%s-%d.log", name, n))
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create log for %s: %v", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cleanEnv(), env...)
	cmd.Stdout = f
	cmd.Stderr = f
	cmd.Dir = t.TempDir()
	// Should the test binary die without running its cleanups (a panic, a
	// kill), take the child with it rather than leave it holding ports.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s (%s): %v", name, bin, err)
	}
	p := &proc{name: fmt.Sprintf("%s#%d", name, n), cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Logf("started %s (pid %d): %s %s; log %s", p.name, cmd.Process.Pid, bin, strings.Join(args, " "), logPath)
	t.Cleanup(func() {
		p.stop(t, 5*time.Second)
		if t.Failed() {
			p.dumpLog(t)
		}
	})
	return p
}

func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "OTEL_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to grace, then SIGKILLs and waits again.
// Calling it on an ended process is a no-op.
func (p *proc) stop(t *testing.T, grace time.Duration) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		t.Logf("%s stopped: %v", p.name, p.waitErr)
		return
	case <-time.After(grace):
	}
	t.Logf("%s did not stop within %v of SIGTERM; killing it", p.name, grace)
	_ = p.cmd.Process.Kill()
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Errorf("%s (pid %d) still running 10s after SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// dumpLog prints the tail of the process log.
func (p *proc) dumpLog(t *testing.T) {
	t.Helper()
	const max = 24 << 10
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Logf("--- %s log %s: %v", p.name, p.logPath, err)
		return
	}
	note := ""
	if len(b) == 0 {
		note = " (empty)"
	}
	if len(b) > max {
		note = fmt.Sprintf(" (last %d of %d bytes)", max, len(b))
		b = b[len(b)-max:]
	}
	t.Logf("--- %s log %s%s ---\n%s--- end of %s log ---", p.name, p.logPath, note, b, p.name)
}

// errExited makes waitFor stop early: the condition can no longer become true.
type errExited struct{ p *proc }

func (e errExited) Error() string {
	return fmt.Sprintf("%s exited early (%v); see its log %s", e.p.name, e.p.waitErr, e.p.logPath)
}

// waitFor polls cond every interval until it returns nil, failing the test
// after timeout with cond's last error. If any of the watched processes
// ends meanwhile, it fails at once.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() error, watch ...*proc) {
	t.Helper()
	// Fail cleanly before `go test -timeout` would panic: a panic skips
	// t.Cleanup, and so the stopping of the peers.
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - 30*time.Second; left < timeout {
			timeout = max(left, time.Second)
		}
	}
	if err := poll(timeout, 250*time.Millisecond, cond, watch...); err != nil {
		t.Fatalf("waiting for %s (up to %v): %v", what, timeout, err)
	}
}

func poll(timeout, interval time.Duration, cond func() error, watch ...*proc) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		for _, p := range watch {
			if p.exited() {
				return errExited{p}
			}
		}
		if last = cond(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return last
		}
		time.Sleep(interval)
	}
}

var httpClient = &http.Client{Timeout: 3 * time.Second}

// get fetches url and returns the status code and body.
func get(rawURL string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, nil, err
	}
	// Ask for the classic text format: it is what expfmt parses below.
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	return resp.StatusCode, body, err
}

// get200 returns the body of url if it answered 200 with a non-empty body.
func get200(rawURL string) ([]byte, error) {
	code, body, err := get(rawURL)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %.200s", rawURL, code, body)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("GET %s: HTTP 200 with an empty body", rawURL)
	}
	return body, nil
}

// scrape fetches and parses a Prometheus text exposition. An empty page
// (a collector that has received nothing yet) is an empty map.
func scrape(rawURL string) (map[string]*dto.MetricFamily, error) {
	code, body, err := get(rawURL)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %.200s", rawURL, code, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", rawURL, err)
	}
	return fams, nil
}

// family looks a documented name up in a scrape. Labels are ignored. A
// collector's Prometheus exporter may append "_total" to counters (it does,
// in v0.155, whatever add_metric_suffixes says), so name+"_total" matches
// too.
func family(fams map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f, ok := fams[name]; ok {
		return f
	}
	if f, ok := fams[name+"_total"]; ok && !strings.HasSuffix(name, "_total") {
		return f
	}
	return nil
}

// familyWithPrefix returns the first family (by name) starting with prefix,
// for runtime metrics whose suffix depends on the exporter's unit handling.
func familyWithPrefix(fams map[string]*dto.MetricFamily, prefix string) *dto.MetricFamily {
	var names []string
	for n := range fams {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil
	}
	sort.Strings(names)
	return fams[names[0]]
}

// sampleSum adds up the values of a counter or gauge family over all its
// series, and the observation counts of a histogram or summary.
func sampleSum(f *dto.MetricFamily) float64 {
	var s float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Counter != nil:
			s += m.GetCounter().GetValue()
		case m.Gauge != nil:
			s += m.GetGauge().GetValue()
		case m.Untyped != nil:
			s += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			s += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			s += float64(m.GetSummary().GetSampleCount())
		}
	}
	return s
}

// repoRoot walks up from the test's working directory to the go.mod of the
// module.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/telediag/telediag")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of github.com/telediag/telediag above the working directory")
		}
		dir = parent
	}
}

// catalogPath is the user's metric table, copied into the repository beside the catalogue
// test that also reads it: the suite reads nothing outside the checkout, since a user's clone
// has nothing beside it.
func catalogPath(t *testing.T) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "telemetry", "teleport", "testdata", "catalog.tsv")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("metric catalogue: %v", err)
	}
	return p
}

type catalogEntry struct {
	name, typ string
}

// readCatalog returns the catalogue's entries: a TSV whose header row
// starts with "name<TAB>type".
func readCatalog(t *testing.T) []catalogEntry {
	t.Helper()
	path := catalogPath(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []catalogEntry
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		fields := strings.Split(sc.Text(), "\t")
		if line == 1 {
			if len(fields) < 2 || fields[0] != "name" || fields[1] != "type" {
				t.Fatalf("%s:1: header is not name<TAB>type<TAB>...: %q", path, sc.Text())
			}
			continue
		}
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if len(fields) < 2 || fields[0] == "" {
			t.Fatalf("%s:%d: malformed row %q", path, line, sc.Text())
		}
		out = append(out, catalogEntry{name: fields[0], typ: fields[1]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no entries", path)
	}
	t.Logf("catalogue %s: %d entries", path, len(out))
	return out
}

// --- OpenTelemetry Collector ---

type collectorPorts struct {
	grpc, http, prom int
}

func newCollectorPorts(t *testing.T) collectorPorts {
	return collectorPorts{grpc: freePort(t), http: freePort(t), prom: freePort(t)}
}

func (c collectorPorts) metricsURL() string { return "http://" + hostPort(c.prom) + "/metrics" }

// otlpEndpoint is the OTEL_EXPORTER_OTLP_ENDPOINT for the protocol.
func (c collectorPorts) otlpEndpoint(protocol string) string {
	if protocol == "grpc" {
		return "http://" + hostPort(c.grpc)
	}
	return "http://" + hostPort(c.http)
}

// writeCollectorConfig writes a config with the OTLP receiver on both
// protocols and the Prometheus exporter (plus the debug exporter, whose
// one-line summaries end up in the log).
func writeCollectorConfig(t *testing.T, ports collectorPorts) string {
	t.Helper()
	cfg := fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
      http:
        endpoint: %s
exporters:
  prometheus:
    endpoint: %s
    translation_strategy: UnderscoreEscapingWithoutSuffixes
    without_scope_info: true
    metric_expiration: 10m
  debug:
    verbosity: basic
service:
  telemetry:
    logs:
      level: info
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus, debug]
`, hostPort(ports.grpc), hostPort(ports.http), hostPort(ports.prom))
	path := filepath.Join(t.TempDir(), "otelcol.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startCollector starts the collector and waits until its OTLP ports and
// its Prometheus endpoint accept connections.
func startCollector(t *testing.T, bin, config string, ports collectorPorts) *proc {
	t.Helper()
	p := startProc(t, "otelcol", bin, []string{"--config=file:" + config}, nil)
	waitFor(t, "collector to listen", 30*time.Second, func() error {
		for _, port := range []int{ports.grpc, ports.http, ports.prom} {
			c, err := net.DialTimeout("tcp", hostPort(port), time.Second)
			if err != nil {
				return err
			}
			c.Close()
		}
		code, _, err := get(ports.metricsURL())
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("collector /metrics: HTTP %d", code)
		}
		return nil
	}, p)
	return p
}

// --- telediag ---

type telediag struct {
	*proc
	diag string // host:port of --diag-addr
}

func (d telediag) url(path string) string { return "http://" + d.diag + path }

// startTelediag runs `telediag --demo --diag-addr 127.0.0.1:PORT` with the
// given extra environment and waits until /metrics answers.
func startTelediag(t *testing.T, env []string) telediag {
	t.Helper()
	bin := binary(t, envBin)
	diag := hostPort(freePort(t))
	env = append([]string{"OTEL_SERVICE_NAME=telediag-e2e"}, env...)
	p := startProc(t, "telediag", bin, []string{"--demo", "--diag-addr", diag}, env)
	d := telediag{proc: p, diag: diag}
	waitFor(t, "telediag /metrics", 30*time.Second, func() error {
		_, err := get200(d.url("/metrics"))
		return err
	}, p)
	return d
}

// otlpEnv is the standard OTel SDK environment for pushing to a collector.
func otlpEnv(protocol, endpoint string) []string {
	return []string{
		"OTEL_EXPORTER_OTLP_PROTOCOL=" + protocol,
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + endpoint,
		"OTEL_METRIC_EXPORT_INTERVAL=500",
		"OTEL_METRIC_EXPORT_TIMEOUT=2000",
	}
}

// --- Prometheus HTTP API ---

type promResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
}

func promAPI(base, path string, params url.Values, into any) error {
	u := base + path
	if params != nil {
		u += "?" + params.Encode()
	}
	code, body, err := get(u)
	if err != nil {
		return err
	}
	var r promResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("GET %s: HTTP %d, not JSON: %.200s", u, code, body)
	}
	if r.Status != "success" {
		return fmt.Errorf("GET %s: HTTP %d, %s: %s", u, code, r.ErrorType, r.Error)
	}
	return json.Unmarshal(r.Data, into)
}

type promSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"` // [unix seconds, "value"]
}

func (s promSample) float() (float64, error) {
	v, ok := s.Value[1].(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", s.Value[1])
	}
	return strconv.ParseFloat(v, 64)
}

// promQuery runs an instant query and returns the vector result.
func promQuery(base, query string) ([]promSample, error) {
	var data struct {
		ResultType string       `json:"resultType"`
		Result     []promSample `json:"result"`
	}
	if err := promAPI(base, "/api/v1/query", url.Values{"query": {query}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: result type %q, want vector", query, data.ResultType)
	}
	if len(data.Result) == 0 {
		return nil, fmt.Errorf("query %q: empty result", query)
	}
	return data.Result, nil
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDetailedCollector starts a Collector whose debug exporter logs every data point in
// detail, so that the log names each metric's data type as the Collector decoded it.
func startDetailedCollector(t *testing.T, otelcol string) (collectorPorts, *proc) {
	t.Helper()
	ports := newCollectorPorts(t)
	config := writeCollectorConfig(t, ports)
	b, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, config, strings.Replace(string(b), "verbosity: basic", "verbosity: detailed", 1))
	return ports, startCollector(t, otelcol, config, ports)
}

// setPushEnv points an in-process pipeline's OTLP push (gRPC) at the Collector on ports, with
// the temporality and service name given and the extra variables, for the rest of the test.
func setPushEnv(t *testing.T, ports collectorPorts, temporality, service string, extra map[string]string) {
	t.Helper()
	for k, v := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT":                       ports.otlpEndpoint("grpc"),
		"OTEL_EXPORTER_OTLP_PROTOCOL":                       "grpc",
		"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": temporality,
		"OTEL_SERVICE_NAME":                                 service,
	} {
		t.Setenv(k, v)
	}
	for k, v := range extra {
		t.Setenv(k, v)
	}
}
