package diagtls_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/router/diagtls"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// pki is a CA, a server certificate and the files a listener is given.
type pki struct {
	ca    *testutil.CA
	dir   string
	files diagtls.Files
}

func newPKI(t *testing.T, mutual bool) *pki {
	t.Helper()
	p := &pki{ca: testutil.NewCA(t, "diag CA"), dir: t.TempDir()}
	leaf := p.ca.Server(t, "diag")
	p.files.Cert = testutil.WriteFile(t, p.dir, "tls.crt", leaf.CertPEM)
	p.files.Key = testutil.WriteFile(t, p.dir, "tls.key", leaf.KeyPEM)
	if mutual {
		p.files.ClientCA = testutil.WriteFile(t, p.dir, "client-ca.crt", testutil.NewCA(t, "client CA").PEM)
	}
	return p
}

// serve runs an HTTP server on r.Listener over a loopback port and returns its address. The
// handler answers "hello".
func serve(t *testing.T, r *diagtls.Reloader, wrap bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := r.Listener(ln)
	if !wrap {
		l = tls.NewListener(ln, r.Config())
	}
	srv := &http.Server{
		Handler:  http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }),
		ErrorLog: slog.NewLogLogger(slog.DiscardHandler, slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// fetch GETs https://addr/ with the given client TLS settings and returns the body and the
// serial number of the certificate the server presented.
func fetch(addr string, roots *x509.CertPool, certs ...tls.Certificate) (string, string, error) {
	return fetchWith(addr, &tls.Config{RootCAs: roots, Certificates: certs})
}

// fetchForced presents cert whatever CAs the server asks for: Go's client would otherwise send
// no certificate at all when its own is not signed by one of them, and the server's
// verification would go untested.
func fetchForced(addr string, roots *x509.CertPool, cert tls.Certificate) (string, string, error) {
	return fetchWith(addr, &tls.Config{RootCAs: roots,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }})
}

func fetchWith(addr string, cfg *tls.Config) (string, string, error) {
	tr := &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	resp, err := c.Get("https://" + addr + "/")
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), resp.TLS.PeerCertificates[0].SerialNumber.String(), err
}

func newReloader(t *testing.T, f diagtls.Files, opts ...diagtls.Option) *diagtls.Reloader {
	t.Helper()
	r, err := diagtls.New(f, append([]diagtls.Option{diagtls.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTLSAccepted(t *testing.T) {
	p := newPKI(t, false)
	addr := serve(t, newReloader(t, p.files), true)
	body, _, err := fetch(addr, p.ca.Pool())
	if err != nil || body != "hello" {
		t.Fatalf("GET over TLS: %q, %v", body, err)
	}
	// A client that does not trust the CA fails the handshake.
	if _, _, err := fetch(addr, testutil.NewCA(t, "other").Pool()); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a client that does not trust the server: %v, want a certificate error", err)
	}
}

func TestMutualTLS(t *testing.T) {
	p := newPKI(t, false)
	clientCA := testutil.NewCA(t, "client CA")
	p.files.ClientCA = testutil.WriteFile(t, p.dir, "client-ca.crt", clientCA.PEM)
	addr := serve(t, newReloader(t, p.files), true)

	if body, _, err := fetch(addr, p.ca.Pool(), clientCA.Client(t, "prometheus").TLS(t)); err != nil || body != "hello" {
		t.Fatalf("client with a certificate of the client CA: %q, %v", body, err)
	}
	if body, _, err := fetch(addr, p.ca.Pool()); err == nil {
		t.Errorf("client without a certificate: accepted, got %q", body)
	} else {
		t.Logf("no certificate: refused: %v", err)
	}
	for name, cert := range map[string]tls.Certificate{
		"certificate of another CA": testutil.NewCA(t, "rogue").Client(t, "mallory").TLS(t),
		// Signed by the server's CA, which is not the client CA.
		"certificate of the server's CA": p.ca.Client(t, "neighbour").TLS(t),
		// The right CA, but issued for server authentication only.
		"server-only certificate of the client CA": clientCA.Server(t, "not a client").TLS(t),
	} {
		body, _, err := fetchForced(addr, p.ca.Pool(), cert)
		if err == nil {
			t.Errorf("%s: accepted, got %q", name, body)
			continue
		}
		t.Logf("%s: refused: %v", name, err)
	}
	// The control: the same forced path with a good certificate is accepted.
	if body, _, err := fetchForced(addr, p.ca.Pool(), clientCA.Client(t, "ok").TLS(t)); err != nil || body != "hello" {
		t.Errorf("forced good certificate: %q %v", body, err)
	}
}

// TestRotation replaces the files on disk (atomic renames, as Kubernetes and cert-manager do)
// while the server runs: the next handshakes get the new certificate and client CA, a half-done
// rotation keeps the old pair with one warning, and no restart is involved.
func TestRotation(t *testing.T) {
	p := newPKI(t, false)
	clientCA1, clientCA2 := testutil.NewCA(t, "client CA 1"), testutil.NewCA(t, "client CA 2")
	p.files.ClientCA = testutil.WriteFile(t, p.dir, "client-ca.crt", clientCA1.PEM)
	var logs testutil.SyncBuffer
	r, err := diagtls.New(p.files, diagtls.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), diagtls.WithReloadInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, r, true)
	client1 := clientCA1.Client(t, "c1").TLS(t)

	_, first, err := fetch(addr, p.ca.Pool(), client1)
	if err != nil {
		t.Fatal(err)
	}

	// waitSerial polls until the server presents want.
	waitSerial := func(want string, certs ...tls.Certificate) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, got, err := fetch(addr, p.ca.Pool(), certs...)
			if err == nil && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("server still presents %s (err %v), want %s\nlogs:\n%s", got, err, want, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// 1. A new certificate and key.
	next := p.ca.Server(t, "diag rotated")
	testutil.WriteFile(t, p.dir, "tls.key", next.KeyPEM)
	testutil.WriteFile(t, p.dir, "tls.crt", next.CertPEM)
	waitSerial(next.Cert.SerialNumber.String(), client1)
	if next.Cert.SerialNumber.String() == first {
		t.Fatal("the test's two certificates have the same serial")
	}

	// 2. Half a rotation: a certificate whose key has not arrived yet. The previous pair stays
	// in service and one warning says why, however many handshakes happen meanwhile.
	third := p.ca.Server(t, "diag third")
	testutil.WriteFile(t, p.dir, "tls.crt", third.CertPEM)
	for range 10 {
		time.Sleep(25 * time.Millisecond)
		if _, got, err := fetch(addr, p.ca.Pool(), client1); err != nil || got != next.Cert.SerialNumber.String() {
			t.Fatalf("during a half-done rotation: serial %s, err %v; want the previous %s", got, err, next.Cert.SerialNumber)
		}
	}
	if n := strings.Count(logs.String(), "cannot be used"); n != 1 || !strings.Contains(logs.String(), "does not match the certificate") {
		t.Errorf("%d warnings for the unusable files, want 1 naming the mismatch:\n%s", n, logs.String())
	}
	testutil.WriteFile(t, p.dir, "tls.key", third.KeyPEM)
	waitSerial(third.Cert.SerialNumber.String(), client1)

	// 3. A new client CA: clients of the old one are refused from now on.
	testutil.WriteFile(t, p.dir, "client-ca.crt", clientCA2.PEM)
	client2 := clientCA2.Client(t, "c2").TLS(t)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, err1 := fetch(addr, p.ca.Pool(), client1)
		_, _, err2 := fetch(addr, p.ca.Pool(), client2)
		if err1 != nil && err2 == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the client CA rotation: old client err %v, new client err %v", err1, err2)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(logs.String(), "TLS files reloaded"); n != 3 {
		t.Errorf("%d reloads logged, want 3:\n%s", n, logs.String())
	}
}

// TestPlainHTTPGetsNoData: a plain-HTTP request to the TLS port is closed without a byte, where
// net/http on its own would answer "400 Bad Request" (the control case).
func TestPlainHTTPGetsNoData(t *testing.T) {
	p := newPKI(t, false)
	r := newReloader(t, p.files)
	for _, tc := range []struct {
		name  string
		wrap  bool
		reply bool
	}{{"Listener", true, false}, {"tls.NewListener (control)", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			addr := serve(t, r, tc.wrap)
			for _, req := range []string{"GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n", "PRI * HTTP/2.0\r\n\r\n", "\x00\x01garbage"} {
				c, err := net.DialTimeout("tcp", addr, 2*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := io.WriteString(c, req); err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(c)
				c.Close()
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("%q: the connection was left open", req)
				}
				if tc.reply {
					if strings.HasPrefix(req, "GET") && !strings.Contains(string(got), "400 Bad Request") {
						t.Errorf("control: %q got %q; the test no longer shows what Listener prevents", req, got)
					}
					continue
				}
				if len(got) != 0 {
					t.Errorf("%q: got %d bytes back: %q", req, len(got), got)
				}
			}
		})
	}
	// The same listener still serves TLS.
	if body, _, err := fetch(serve(t, r, true), p.ca.Pool()); err != nil || body != "hello" {
		t.Errorf("TLS after plain-HTTP attempts: %q %v", body, err)
	}
}

func TestNewRejectsBadFiles(t *testing.T) {
	ca := testutil.NewCA(t, "ca")
	good := ca.Server(t, "good")
	other := ca.Server(t, "other")
	dir := t.TempDir()
	cert := testutil.WriteFile(t, dir, "tls.crt", good.CertPEM)
	key := testutil.WriteFile(t, dir, "tls.key", good.KeyPEM)
	otherKey := testutil.WriteFile(t, dir, "other.key", other.KeyPEM)
	garbage := testutil.WriteFile(t, dir, "garbage.pem", []byte("not PEM at all\n"))
	badDER := testutil.WriteFile(t, dir, "bad-der.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	missing := filepath.Join(dir, "missing.pem")
	unreadable := testutil.WriteFile(t, dir, "unreadable.pem", good.CertPEM)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	canRead := false
	if f, err := os.Open(unreadable); err == nil { // root reads anything
		canRead = true
		f.Close()
	}

	for _, tc := range []struct {
		name  string
		files diagtls.Files
		role  diagtls.Role
		path  string
		want  string
	}{
		{"missing cert", diagtls.Files{Cert: missing, Key: key}, diagtls.RoleCert, missing, "no such file or directory"},
		{"missing key", diagtls.Files{Cert: cert, Key: missing}, diagtls.RoleKey, missing, "no such file or directory"},
		{"cert not PEM", diagtls.Files{Cert: garbage, Key: key}, diagtls.RoleCert, garbage, "no PEM certificate found"},
		{"cert is a key", diagtls.Files{Cert: key, Key: key}, diagtls.RoleCert, key, "no PEM certificate found"},
		{"cert does not parse", diagtls.Files{Cert: badDER, Key: key}, diagtls.RoleCert, badDER, "certificate 1:"},
		{"key not PEM", diagtls.Files{Cert: cert, Key: garbage}, diagtls.RoleKey, garbage, "failed to find any PEM data"},
		{"key does not match", diagtls.Files{Cert: cert, Key: otherKey}, diagtls.RoleKey, otherKey, "does not match the certificate in " + cert},
		{"client CA missing", diagtls.Files{Cert: cert, Key: key, ClientCA: missing}, diagtls.RoleClientCA, missing, "no such file"},
		{"client CA not PEM", diagtls.Files{Cert: cert, Key: key, ClientCA: garbage}, diagtls.RoleClientCA, garbage, "no PEM certificate found"},
		{"cert is a directory", diagtls.Files{Cert: dir, Key: key}, diagtls.RoleCert, dir, "is a directory"},
		{"unreadable cert", diagtls.Files{Cert: unreadable, Key: key}, diagtls.RoleCert, unreadable, "permission denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.path == unreadable && canRead {
				t.Skip("running as root: mode 0 does not stop reading")
			}
			r, err := diagtls.New(tc.files)
			var fe *diagtls.FileError
			if !errors.As(err, &fe) || r != nil {
				t.Fatalf("New = (%v, %v), want a *FileError", r, err)
			}
			if tc.want == "no such file or directory" && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
			}
			if fe.Role != tc.role || fe.Path != tc.path || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q (role %q, path %s), want role %q, path %s, one line containing %q", err, fe.Role, fe.Path, tc.role, tc.path, tc.want)
			}
		})
	}
	if _, err := diagtls.New(diagtls.Files{Cert: cert}); err == nil {
		t.Error("New without a key file succeeded")
	}
}
