// Package tlsflags is the client side that every telediag command fetching from a diagnostics
// port shares: the TLS flags -ca, -cert, -key and -server-name, the URL and the HTTP client.
// `telediag probe` and `instrumentgen import` / `instrumentgen live-check` register the same
// flags, parse the URL once with ParseURL, and fetch with the client HTTPClient builds (the TLS
// files read once, no proxy), so they check and word their errors the same way and a CI job
// can pass one set of files to all of them.
package tlsflags

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

// Client is the parsed value of the flags. The zero value verifies servers against the
// system's roots and presents no client certificate.
type Client struct {
	// CA is a file of PEM CA certificates that verify an https server; empty: the system's.
	CA string
	// Cert and Key are the PEM client certificate and its key, for a server that asks for
	// mutual TLS; both or neither.
	Cert, Key string
	// ServerName is the name the server's certificate must be valid for, when the URL's host
	// is not (probing 127.0.0.1, say).
	ServerName string
}

// Register adds -ca, -cert, -key and -server-name to fs, storing into c.
func (c *Client) Register(fs *flag.FlagSet) {
	fs.StringVar(&c.CA, "ca", "", "`FILE` of PEM CA certificates that verify an https server (default: the system's)")
	fs.StringVar(&c.Cert, "cert", "", "`FILE` of a PEM client certificate, for a server that wants mutual TLS (with --key)")
	fs.StringVar(&c.Key, "key", "", "`FILE` of the PEM key of --cert")
	fs.StringVar(&c.ServerName, "server-name", "", "`NAME` the server's certificate must be valid for, when the URL's host is not (e.g. 127.0.0.1)")
}

// ParseURL checks that raw is an http or https URL with a host: the URLs the commands fetch.
// Errors quote the URL without its password.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL %q: want http:// or https://", u.Redacted())
	}
	if u.Host == "" {
		return nil, fmt.Errorf("URL %q has no host", u.Redacted())
	}
	return u, nil
}

// HTTPClient checks the flags against u, a URL from ParseURL, reads their files and returns
// the client to fetch u with. Call it before anything is sent, so that a bad flag or file is a
// usage error rather than a failed fetch; errors name the flag and the file.
//
// The client takes no proxy from the environment, as Prometheus does not (its proxy_url is
// explicit): the commands judge the service, not a proxy on the way. It keeps no connection
// alive, since every command sends one request. It follows redirects, as Prometheus does; a
// caller that reports them instead sets CheckRedirect.
func (c *Client) HTTPClient(u *url.URL) (*http.Client, error) {
	if err := c.validate(u); err != nil {
		return nil, err
	}
	tlsCfg, err := c.config(u)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: &http.Transport{Proxy: nil, TLSClientConfig: tlsCfg, DisableKeepAlives: true}}, nil
}

// WithoutURL returns err, from a Do of a client, without the *url.Error around it: callers name
// the request themselves, with the URL's password redacted, and the *url.Error would repeat it.
func WithoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// validate checks the flags against the URL they will be used for, without reading files:
// -cert and -key go together, and the flags that only TLS uses are refused for an http URL,
// where they would silently do nothing.
func (c *Client) validate(u *url.URL) error {
	if (c.Cert == "") != (c.Key == "") {
		return errors.New("flags -cert and -key go together: give both or neither")
	}
	if u.Scheme == "http" {
		for _, f := range []struct{ name, value string }{{"-ca", c.CA}, {"-cert", c.Cert}, {"-server-name", c.ServerName}} {
			if f.value != "" {
				return fmt.Errorf("flag %s applies to https URLs only, and %s is http", f.name, u.Redacted())
			}
		}
	}
	return nil
}

// config builds the TLS settings for u: nil for an http URL. Errors name the flag and file.
func (c *Client) config(u *url.URL) (*tls.Config, error) {
	if u.Scheme != "https" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.ServerName}
	if c.CA != "" {
		pem, err := os.ReadFile(c.CA)
		if err != nil {
			return nil, fmt.Errorf("flag -ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("flag -ca %s: no PEM certificate found", c.CA)
		}
		cfg.RootCAs = pool
	}
	if c.Cert != "" {
		pair, err := tls.LoadX509KeyPair(c.Cert, c.Key)
		if err != nil {
			return nil, fmt.Errorf("flags -cert %s and -key %s: %w", c.Cert, c.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
