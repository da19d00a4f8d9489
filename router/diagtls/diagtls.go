// Package diagtls serves a diagnostics listener over TLS, optionally mutual TLS, from PEM files
// that are re-read when they change on disk, so that rotating a certificate (cert-manager, a
// Kubernetes Secret update, a renewal cron job) needs no restart. This is what Teleport's
// metrics service offers with its keypairs and CA settings.
//
// The crypto is crypto/tls's: the files are loaded with tls.X509KeyPair and x509.CertPool, and
// each handshake gets the current configuration through tls.Config.GetConfigForClient. If new
// files cannot be used (half-way through a rotation, the key no longer matches the certificate),
// the previous ones keep being served and one warning says why.
package diagtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// DefaultReloadInterval is how often, at most, the files are looked at again: on the first
// handshake after it has passed. Looking costs three small file reads, compared byte for byte
// with what is loaded; nothing is re-parsed unless a file changed.
const DefaultReloadInterval = time.Second

// Files names the PEM files of a TLS listener.
type Files struct {
	// Cert is the server's certificate chain, leaf first. Required.
	Cert string
	// Key is the private key of the leaf certificate. Required.
	Key string
	// ClientCA, if set, is a bundle of CA certificates: clients must then present a certificate
	// signed by one of them (mutual TLS), and a client without one is refused during the
	// handshake.
	ClientCA string
}

// Role says which of the Files an error is about.
type Role string

// The roles of the Files.
const (
	RoleCert     Role = "certificate"
	RoleKey      Role = "key"
	RoleClientCA Role = "client CA"
)

// FileError is a file of Files that cannot be used: unreadable, not PEM, not a certificate, or a
// key that does not match the certificate (Role is then RoleKey).
type FileError struct {
	Role Role
	Path string
	Err  error
}

// Error names the role and the path, then the cause, on one line.
func (e *FileError) Error() string {
	return fmt.Sprintf("diagtls: %s file %s: %v", e.Role, e.Path, e.Err)
}

// Unwrap returns the cause, so that errors.Is(err, fs.ErrNotExist) and the like work.
func (e *FileError) Unwrap() error { return e.Err }

// Option configures New.
type Option func(*Reloader)

// WithLogger sets where reloads and unusable new files are logged; the default (also for nil) is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(r *Reloader) {
		if l != nil {
			r.log = l
		}
	}
}

// WithReloadInterval sets how often, at most, the files are looked at again; the default is
// DefaultReloadInterval. A non-positive d looks on every handshake.
func WithReloadInterval(d time.Duration) Option {
	return func(r *Reloader) { r.every = d }
}

// Reloader holds the current TLS configuration built from Files. Build it with New.
type Reloader struct {
	files Files
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	checked time.Time
	loaded  [3][]byte   // contents of the files in use
	cur     *tls.Config // per-connection configuration built from loaded
	problem string      // the last reload problem logged, so that it is logged once
}

// New loads the files and fails, with a *FileError naming the file, if they cannot be used. An
// expired certificate is served, with a warning: refusing it would turn a missed renewal into an
// outage of the diagnostics too.
func New(f Files, opts ...Option) (*Reloader, error) {
	r := &Reloader{files: f, log: slog.Default(), every: DefaultReloadInterval}
	for _, o := range opts {
		if o != nil {
			o(r)
		}
	}
	if f.Cert == "" || f.Key == "" {
		return nil, errors.New("diagtls: both a certificate file and a key file are needed")
	}
	raw, err := r.read()
	if err != nil {
		return nil, err
	}
	cfg, leaf, err := build(f, raw)
	if err != nil {
		return nil, err
	}
	if now := time.Now(); now.After(leaf.NotAfter) {
		r.log.Warn("diagtls: serving an expired certificate", "file", f.Cert, "not_after", leaf.NotAfter, "subject", leaf.Subject.String())
	}
	r.loaded, r.cur, r.checked = raw, cfg, time.Now()
	return r, nil
}

// Config returns a server configuration that hands each handshake the current certificate (and
// client CAs), looking at the files again at most every reload interval. Use it as
// http.Server.TLSConfig, or with tls.NewListener.
//
// It offers HTTP/1.1 only over ALPN: diagnostics are small request/response exchanges that
// gain nothing from HTTP/2, and its multiplexing adds attack surface to a port that must stay
// up. With this Config alone, net/http answers a plain-HTTP request with a short 400 text; use
// Listener to send such a client nothing.
func (r *Reloader) Config() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			return r.current(), nil
		},
	}
}

// Listener wraps inner in TLS with Config, and closes without writing anything a connection
// whose first byte is not the start of a TLS handshake (a plain-HTTP client, say): a TLS port
// then tells nothing to a client that does not speak TLS.
func (r *Reloader) Listener(inner net.Listener) net.Listener {
	return tls.NewListener(tlsOnlyListener{inner}, r.Config())
}

// current returns the configuration for a new handshake, reloading the files first if the
// reload interval has passed and they changed.
func (r *Reloader) current() *tls.Config {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if r.every > 0 && now.Sub(r.checked) < r.every {
		return r.cur
	}
	r.checked = now
	raw, err := r.read()
	if err == nil && bytes.Equal(raw[0], r.loaded[0]) && bytes.Equal(raw[1], r.loaded[1]) && bytes.Equal(raw[2], r.loaded[2]) {
		return r.cur
	}
	var cfg *tls.Config
	var leaf *x509.Certificate
	if err == nil {
		cfg, leaf, err = build(r.files, raw)
	}
	if err != nil {
		if msg := err.Error(); msg != r.problem {
			r.problem = msg
			r.log.Warn("diagtls: the TLS files changed but cannot be used; still serving the previous certificate", "error", err)
		}
		return r.cur
	}
	r.loaded, r.cur, r.problem = raw, cfg, ""
	r.log.Info("diagtls: TLS files reloaded", "subject", leaf.Subject.String(), "serial", leaf.SerialNumber.String(),
		"not_after", leaf.NotAfter, "client_ca", r.files.ClientCA != "")
	return r.cur
}

// read returns the contents of the cert, key and client CA files.
func (r *Reloader) read() ([3][]byte, error) {
	var raw [3][]byte
	for i, f := range []struct {
		role Role
		path string
	}{{RoleCert, r.files.Cert}, {RoleKey, r.files.Key}, {RoleClientCA, r.files.ClientCA}} {
		if f.path == "" {
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			// The path is already in the FileError; keep only the cause.
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return raw, &FileError{Role: f.role, Path: f.path, Err: err}
		}
		raw[i] = b
	}
	return raw, nil
}

// build parses the files' contents into a per-connection configuration, and returns the leaf
// certificate for logs.
func build(f Files, raw [3][]byte) (*tls.Config, *x509.Certificate, error) {
	if err := checkCertificates(raw[0]); err != nil {
		return nil, nil, &FileError{Role: RoleCert, Path: f.Cert, Err: err}
	}
	pair, err := tls.X509KeyPair(raw[0], raw[1])
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			err = fmt.Errorf("does not match the certificate in %s: %w", f.Cert, err)
		}
		return nil, nil, &FileError{Role: RoleKey, Path: f.Key, Err: err}
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
		Certificates: []tls.Certificate{pair},
	}
	if f.ClientCA != "" {
		if err := checkCertificates(raw[2]); err != nil {
			return nil, nil, &FileError{Role: RoleClientCA, Path: f.ClientCA, Err: err}
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(raw[2])
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, pair.Leaf, nil
}

// checkCertificates reports whether b holds at least one PEM certificate and nothing that
// claims to be a certificate but does not parse.
func checkCertificates(b []byte) error {
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d: %w", n+1, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no PEM certificate found")
	}
	return nil
}

// errNotTLS ends a connection that did not begin with a TLS handshake.
var errNotTLS = errors.New("diagtls: client did not start a TLS handshake; closed without a reply")

// tlsOnlyListener hands out connections that refuse to carry anything but TLS.
type tlsOnlyListener struct{ net.Listener }

func (l tlsOnlyListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tlsOnlyConn{Conn: c}, nil
}

// tlsOnlyConn closes itself if its first byte is not 0x16, the TLS handshake record type. Without
// it, crypto/tls reports a plain-HTTP request as a RecordHeaderError carrying the raw
// connection, and net/http writes "400 Bad Request: Client sent an HTTP request to an HTTPS
// server" into it. tls.Conn serialises its reads, so checked needs no lock.
type tlsOnlyConn struct {
	net.Conn
	checked bool
}

func (c *tlsOnlyConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.checked && n > 0 {
		c.checked = true
		if p[0] != 0x16 {
			c.Conn.Close()
			return 0, errNotTLS
		}
	}
	return n, err
}
