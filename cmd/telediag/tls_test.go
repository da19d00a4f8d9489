package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
)

// tlsFiles is a server certificate, its key and a client CA written for --diag-tls-*.
type tlsFiles struct {
	dir                string
	serverCA, clientCA *testutil.CA
	cert, key, ca      string
}

func newTLSFiles(t *testing.T) *tlsFiles {
	t.Helper()
	f := &tlsFiles{dir: t.TempDir(), serverCA: testutil.NewCA(t, "server CA"), clientCA: testutil.NewCA(t, "client CA")}
	leaf := f.serverCA.Server(t, "telediag")
	f.cert = testutil.WriteFile(t, f.dir, "tls.crt", leaf.CertPEM)
	f.key = testutil.WriteFile(t, f.dir, "tls.key", leaf.KeyPEM)
	f.ca = testutil.WriteFile(t, f.dir, "client-ca.crt", f.clientCA.PEM)
	return f
}

// TestBadTLSInput: TLS flags that do not go together, and files that cannot be used, are one
// line naming the flag (and the file) and a non-zero exit before anything is served.
func TestBadTLSInput(t *testing.T) {
	f := newTLSFiles(t)
	other := f.serverCA.Server(t, "other")
	otherKey := testutil.WriteFile(t, f.dir, "other.key", other.KeyPEM)
	garbage := testutil.WriteFile(t, f.dir, "garbage.pem", []byte("hello\n"))
	missing := filepath.Join(f.dir, "missing.crt")
	free := freeAddr(t)

	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		flag     string
		contains []string
	}{
		{"cert without key", []string{"--diag-tls-cert", f.cert}, 2, "-diag-tls-cert", []string{"needs -diag-tls-key"}},
		{"key without cert", []string{"--diag-tls-key", f.key}, 2, "-diag-tls-key", []string{"needs -diag-tls-cert"}},
		{"client CA without TLS", []string{"--diag-client-ca", f.ca}, 2, "-diag-client-ca", []string{"needs -diag-tls-cert"}},
		{"missing cert file", []string{"--diag-tls-cert", missing, "--diag-tls-key", f.key}, 1, "-diag-tls-cert", []string{missing, "no such file"}},
		{"cert file not PEM", []string{"--diag-tls-cert", garbage, "--diag-tls-key", f.key}, 1, "-diag-tls-cert", []string{garbage, "no PEM certificate"}},
		{"key does not match", []string{"--diag-tls-cert", f.cert, "--diag-tls-key", otherKey}, 1, "-diag-tls-key", []string{otherKey, "does not match"}},
		{"key not PEM", []string{"--diag-tls-cert", f.cert, "--diag-tls-key", garbage}, 1, "-diag-tls-key", []string{garbage}},
		{"client CA not PEM", []string{"--diag-tls-cert", f.cert, "--diag-tls-key", f.key, "--diag-client-ca", garbage}, 1, "-diag-client-ca", []string{garbage, "no PEM certificate"}},
		{"cert path is a directory", []string{"--diag-tls-cert", f.dir, "--diag-tls-key", f.key}, 1, "-diag-tls-cert", []string{f.dir, "is a directory"}},
		{"client CA missing", []string{"--diag-tls-cert", f.cert, "--diag-tls-key", f.key, "--diag-client-ca", missing}, 1, "-diag-client-ca", []string{missing}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runBounded(t, 10*time.Second, append([]string{"--diag-addr", free}, tc.args...)...)
			checkOneLine(t, r, tc.code, tc.flag, tc.contains)
		})
	}
	if ln, err := net.Listen("tcp", free); err != nil {
		t.Errorf("after the refused runs %s cannot be listened on: %v", free, err)
	} else {
		ln.Close()
	}
}

// checkOneLine asserts a refused run: exit code, nothing on stdout, one line on stderr naming
// flag (if any) and containing the strings, and no time spent serving.
func checkOneLine(t *testing.T, r runResult, code int, flag string, contains []string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit %d, want %d", r.code, code)
	}
	if r.took > 5*time.Second {
		t.Errorf("run took %v: it served instead of refusing", r.took)
	}
	if r.stdout != "" {
		t.Errorf("stdout %q, want nothing", r.stdout)
	}
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
		t.Fatalf("stderr is not one line:\n%s", r.stderr)
	}
	line := strings.TrimSuffix(r.stderr, "\n")
	if flag != "" && !containsFlag(line, flag) {
		t.Errorf("line %q does not name %s", line, flag)
	}
	for _, s := range contains {
		if !strings.Contains(line, s) {
			t.Errorf("line %q does not contain %q", line, s)
		}
	}
	t.Logf("exit %d: %s", r.code, line)
}

// TestServesMutualTLS runs telediag with --diag-tls-cert, --diag-tls-key and --diag-client-ca:
// a client with a certificate of the client CA is served, one without (or with another CA's)
// is refused, plain HTTP gets no byte back, and replacing the files on disk changes the
// certificate served without a restart.
func TestServesMutualTLS(t *testing.T) {
	f := newTLSFiles(t)
	client := f.clientCA.Client(t, "prometheus").TLS(t)
	roots := f.serverCA.Pool()
	s := startRunWith(t, func(addr string) error {
		code, _, err := testutil.TLSGet(addr, "/healthz", roots, client)
		if err == nil && code != 200 {
			err = fmt.Errorf("/healthz: HTTP %d", code)
		}
		return err
	}, "--diag-tls-cert", f.cert, "--diag-tls-key", f.key, "--diag-client-ca", f.ca,
		"--check", "up=tcp://"+upstream(t), "--heartbeat-interval", "100ms", "--log-level", "error")

	pollUntil(t, "/readyz 200 over mTLS", 10*time.Second, func() error {
		code, _, err := testutil.TLSGet(s.addr, "/readyz", roots, client)
		if err == nil && code != 200 {
			err = fmt.Errorf("HTTP %d", code)
		}
		return err
	})
	for _, path := range []string{"/livez", "/metrics", "/readyz/up"} {
		if code, _, err := testutil.TLSGet(s.addr, path, roots, client); err != nil || code != 200 {
			t.Errorf("%s over mTLS: %d %v", path, code, err)
		}
	}
	_, first, _ := testutil.TLSGet(s.addr, "/healthz", roots, client)

	// Refused: no client certificate, another CA's.
	if code, _, err := testutil.TLSGet(s.addr, "/healthz", roots); err == nil {
		t.Errorf("client without a certificate: HTTP %d, want refused", code)
	}
	if code, _, err := testutil.TLSGet(s.addr, "/healthz", roots, testutil.NewCA(t, "rogue").Client(t, "x").TLS(t)); err == nil {
		t.Errorf("client with another CA's certificate: HTTP %d, want refused", code)
	}

	// Plain HTTP to the TLS port: nothing comes back.
	c, err := net.DialTimeout("tcp", s.addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n")
	got, err := io.ReadAll(c)
	c.Close()
	var ne net.Error
	if len(got) != 0 || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("plain HTTP to the TLS port: %q (%v), want the connection closed without a byte", got, err)
	}

	// Rotation: new files on disk, served without a restart.
	next := f.serverCA.Server(t, "telediag rotated")
	testutil.WriteFile(t, f.dir, "tls.key", next.KeyPEM)
	testutil.WriteFile(t, f.dir, "tls.crt", next.CertPEM)
	pollUntil(t, "the rotated certificate", 10*time.Second, func() error {
		_, serial, err := testutil.TLSGet(s.addr, "/healthz", roots, client)
		if err == nil && serial != next.Cert.SerialNumber.String() {
			err = fmt.Errorf("still serving %s (first was %s)", serial, first)
		}
		return err
	})
	select {
	case code := <-s.done:
		s.done <- code
		t.Fatalf("run returned %d during the rotation", code)
	default:
	}
}
