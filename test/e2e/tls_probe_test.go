//go:build e2e

package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// TestMutualTLSAndProbeCommand runs the binary with --diag-tls-cert, --diag-tls-key and
// --diag-client-ca, and probes it with the binary's own `telediag probe`, as a Kubernetes exec
// probe would: accepted with the client certificate, refused without it, 503 when the upstream
// goes away, nothing back for plain HTTP, and a new certificate served after the files are
// replaced on disk, without a restart.
func TestMutualTLSAndProbeCommand(t *testing.T) {
	requireE2E(t)
	bin := binary(t, envBin)
	dir := t.TempDir()
	serverCA, clientCA := testutil.NewCA(t, "server CA"), testutil.NewCA(t, "client CA")
	leaf := serverCA.Server(t, "telediag")
	cert := testutil.WriteFile(t, dir, "tls.crt", leaf.CertPEM)
	key := testutil.WriteFile(t, dir, "tls.key", leaf.KeyPEM)
	ca := testutil.WriteFile(t, dir, "client-ca.crt", clientCA.PEM)
	client := clientCA.Client(t, "kubelet")
	clientCert := testutil.WriteFile(t, dir, "probe.crt", client.CertPEM)
	clientKey := testutil.WriteFile(t, dir, "probe.key", client.KeyPEM)
	serverCAFile := testutil.WriteFile(t, dir, "server-ca.crt", serverCA.PEM)
	roots, clientTLS := serverCA.Pool(), client.TLS(t)

	up := newTCPUpstream(t)
	diag := hostPort(freePort(t))
	td := startProc(t, "telediag", bin, []string{"--diag-addr", diag, "--diag-tls-cert", cert, "--diag-tls-key", key,
		"--diag-client-ca", ca, "--check", "up=tcp://" + up.addr, "--heartbeat-interval", "100ms"}, nil)
	waitFor(t, "/healthz over mutual TLS", 30*time.Second, func() error {
		_, _, err := testutil.TLSGet(diag, "/healthz", roots, clientTLS)
		return err
	}, td)

	probe := func(args ...string) cmdResult {
		return runBinary(t, 30*time.Second, nil, append([]string{"probe"}, args...)...)
	}
	readyz := "https://" + diag + "/readyz"
	waitFor(t, "telediag probe: /readyz 200", 15*time.Second, func() error {
		r := probe("--ca", serverCAFile, "--cert", clientCert, "--key", clientKey, readyz)
		if r.code != 0 {
			return fmt.Errorf("exit %d: %s", r.code, r.stderr)
		}
		if !strings.Contains(r.stdout, "HTTP 200") || strings.Count(r.stdout, "\n") != 1 {
			return fmt.Errorf("exit 0 but stdout %q", r.stdout)
		}
		return nil
	}, td)

	// Refused without a client certificate: exit 1, one line saying why.
	if r := probe("--ca", serverCAFile, readyz); r.code != 1 || !strings.Contains(r.stderr, "certificate required") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("probe without a client certificate: exit %d, stderr %q", r.code, r.stderr)
	}
	// A Go client with another CA's certificate is refused too.
	if code, _, err := testutil.TLSGet(diag, "/healthz", roots, testutil.NewCA(t, "rogue").Client(t, "x").TLS(t)); err == nil {
		t.Errorf("client of another CA: HTTP %d, want refused", code)
	}

	// Plain HTTP to the TLS port: the connection closes without a byte.
	c, err := net.DialTimeout("tcp", diag, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
	got, err := io.ReadAll(c)
	c.Close()
	var ne net.Error
	if len(got) != 0 || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("plain HTTP to the TLS port: got %q (%v), want the connection closed without a byte", got, err)
	}

	// 503: the upstream goes away; the probe fails and names Teleport's status.
	up.close()
	waitFor(t, "telediag probe: /readyz 503", 15*time.Second, func() error {
		r := probe("--ca", serverCAFile, "--cert", clientCert, "--key", clientKey, readyz)
		if r.code != 1 || !strings.Contains(r.stderr, "HTTP 503") || !strings.Contains(r.stderr, statusDegradedText) {
			return fmt.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		return nil
	}, td)

	// Rotation: replace the files, the next handshakes get the new certificate.
	_, before, err := testutil.TLSGet(diag, "/healthz", roots, clientTLS)
	if err != nil {
		t.Fatal(err)
	}
	next := serverCA.Server(t, "telediag rotated")
	testutil.WriteFile(t, dir, "tls.key", next.KeyPEM)
	testutil.WriteFile(t, dir, "tls.crt", next.CertPEM)
	waitFor(t, "the rotated certificate", 15*time.Second, func() error {
		_, serial, err := testutil.TLSGet(diag, "/healthz", roots, clientTLS)
		if err == nil && serial != next.Cert.SerialNumber.String() {
			err = fmt.Errorf("still serving %s (before the rotation: %s)", serial, before)
		}
		return err
	}, td)
	if r := probe("--ca", serverCAFile, "--cert", clientCert, "--key", clientKey, "https://"+diag+"/livez"); r.code != 0 {
		t.Errorf("probe /livez after the rotation: exit %d %s", r.code, r.stderr)
	}
	if log := td.readLog(t); !strings.Contains(log, "diagtls: TLS files reloaded") {
		t.Errorf("the reload is not logged:\n%s", log)
	}
}

// TestProbeCommandFaults runs `telediag probe` against a closed port and a hung one (cut off by
// --timeout), and a bad command line.
func TestProbeCommandFaults(t *testing.T) {
	requireE2E(t)
	closed := testutil.ClosedAddr(t)
	r := runBinary(t, 30*time.Second, nil, "probe", "http://"+closed+"/readyz")
	if r.code != 1 || !strings.Contains(r.stderr, "connection refused") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("closed port: exit %d, stderr %q", r.code, r.stderr)
	}
	hung := hungPort(t)
	r = runBinary(t, 30*time.Second, nil, "probe", "--timeout", "500ms", "http://"+hung+"/readyz")
	if r.code != 1 || !strings.Contains(r.stderr, "no answer within 500ms") {
		t.Errorf("hung port: exit %d, stderr %q", r.code, r.stderr)
	}
	if r.took < 500*time.Millisecond || r.took > 5*time.Second {
		t.Errorf("hung port: took %v with --timeout 500ms", r.took)
	}
	t.Logf("hung port: exit %d after %v: %s", r.code, r.took.Round(time.Millisecond), strings.TrimSpace(r.stderr))
	r = runBinary(t, 30*time.Second, nil, "probe")
	if r.code != 2 || !strings.Contains(r.stderr, "needs a URL") {
		t.Errorf("no URL: exit %d, stderr %q", r.code, r.stderr)
	}
}

// TestLivezAndExclude: /livez runs the binary's heartbeat-loop check, and ?exclude on /readyz
// and /livez behaves as on kube-apiserver while /readyz keeps Teleport's codes.
func TestLivezAndExclude(t *testing.T) {
	requireE2E(t)
	up := newTCPUpstream(t)
	d := startTelediagArgs(t, "--check", "up=tcp://"+up.addr, "--check", "down=tcp://"+testutil.ClosedAddr(t),
		"--heartbeat-interval", "100ms")
	waitFor(t, "/readyz 503 (down is degraded)", 15*time.Second, func() error {
		code, body, err := get(d.url("/readyz"))
		if err == nil && code != http.StatusServiceUnavailable {
			err = fmt.Errorf("HTTP %d %s", code, body)
		}
		return err
	}, d.proc)
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/readyz?exclude=down", 200, `"status":"ok"`},
		{"/readyz?exclude=up", 503, statusDegradedText},
		{"/readyz?exclude=down&exclude=nope", 200, `"warnings":["cannot exclude \"nope\": no component has that name"]`},
		{"/readyz?verbose&exclude=down", 200, `"name":"down","state":"degraded"`},
		{"/livez", 200, `"status":"ok"`},
		{"/livez?verbose", 200, `"checks":[{"name":"heartbeats","status":"ok"}]`},
		{"/livez?exclude=heartbeats&verbose", 200, `{"name":"heartbeats","status":"excluded"}`},
		{"/livez/heartbeats", 200, `"check":"heartbeats"`},
		{"/livez/nope", 404, `unknown liveness check`},
		{"/healthz", 200, `{"status":"ok"}`},
	} {
		code, body, err := get(d.url(c.path))
		if err != nil || code != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("GET %s: %d %s (%v), want %d containing %s", c.path, code, body, err, c.code, c.want)
		}
	}
	// The excluded component is marked in the verbose body.
	_, body, _ := get(d.url("/readyz?verbose&exclude=down"))
	var v struct {
		Components []struct {
			Name     string
			Excluded bool
		}
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Components {
		if c.Excluded != (c.Name == "down") {
			t.Errorf("component %s excluded=%v", c.Name, c.Excluded)
		}
	}
}
