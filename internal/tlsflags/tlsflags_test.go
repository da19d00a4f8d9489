package tlsflags

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/testutil"
)

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRegisterAndConfig(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "ca")
	leaf := ca.Client(t, "client")
	caFile := testutil.WriteFile(t, dir, "ca.crt", ca.PEM)
	cert := testutil.WriteFile(t, dir, "c.crt", leaf.CertPEM)
	key := testutil.WriteFile(t, dir, "c.key", leaf.KeyPEM)
	var c Client
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.Register(fs)
	if err := fs.Parse([]string{"-ca", caFile, "--cert", cert, "-key", key, "-server-name", "svc.example"}); err != nil {
		t.Fatal(err)
	}
	u := mustURL(t, "https://127.0.0.1:3000/metrics")
	client, err := c.HTTPClient(u)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := client.Transport.(*http.Transport)
	if !ok {
		t.Fatalf("transport %T", client.Transport)
	}
	if cfg := tr.TLSClientConfig; cfg == nil || cfg.ServerName != "svc.example" || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.MinVersion == 0 {
		t.Errorf("config %+v", cfg)
	}
	if tr.Proxy != nil || !tr.DisableKeepAlives || client.CheckRedirect != nil {
		t.Errorf("transport: a proxy, keep-alives or a redirect policy: %+v, %+v", tr, client)
	}
	if cfg, err := (&Client{}).config(mustURL(t, "http://127.0.0.1/")); cfg != nil || err != nil {
		t.Errorf("http URL: %v, %v; want no TLS", cfg, err)
	}
	if cfg, err := (&Client{}).config(u); err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 {
		t.Errorf("no flags: %+v, %v; want the system's roots and no certificate", cfg, err)
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"http:///metrics":           `URL "http:///metrics" has no host`,
		"ftp://host/":               `URL "ftp://host/": want http:// or https://`,
		"ftp://u:s3cret@host/":      `URL "ftp://u:xxxxx@host/": want http:// or https://`,
		"http://[::1/x":             "missing ']'",
		"https://h:9/x?y=1":         "",
		"http://u:s3cret@h/metrics": "",
	} {
		_, err := ParseURL(raw)
		if (err == nil) != (want == "") || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v, want %q", raw, err, want)
		}
	}
}

// TestWithoutURL: a failed Do's error, without the *url.Error that would repeat the URL.
func TestWithoutURL(t *testing.T) {
	client, err := (&Client{}).HTTPClient(mustURL(t, "http://127.0.0.1/"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://u:s3cret@127.0.0.1:1/", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Do(req)
	if got := WithoutURL(err); !errors.Is(got, context.Canceled) || strings.Contains(got.Error(), "127.0.0.1") {
		t.Errorf("WithoutURL(%v) = %v", err, got)
	}
	if plain := errors.New("x"); WithoutURL(plain) != plain {
		t.Error("an error without a *url.Error is changed")
	}
}

// TestErrorsNameTheFlag: every refusal names the flag, and the file when there is one.
func TestErrorsNameTheFlag(t *testing.T) {
	dir := t.TempDir()
	garbage := testutil.WriteFile(t, dir, "garbage.pem", []byte("nope\n"))
	missing := filepath.Join(dir, "missing.pem")
	https, http := mustURL(t, "https://127.0.0.1/"), mustURL(t, "http://127.0.0.1/")
	for _, tc := range []struct {
		c    Client
		u    *url.URL
		want string
	}{
		{Client{Cert: garbage}, https, "flags -cert and -key go together"},
		{Client{CA: garbage}, http, "flag -ca applies to https URLs only, and http://127.0.0.1/ is http"},
		{Client{ServerName: "x"}, http, "flag -server-name applies to https URLs only"},
		{Client{CA: missing}, https, "flag -ca: open " + missing},
		{Client{CA: garbage}, https, "flag -ca " + garbage + ": no PEM certificate found"},
		{Client{Cert: garbage, Key: garbage}, https, "flags -cert " + garbage + " and -key " + garbage},
	} {
		_, err := tc.c.HTTPClient(tc.u)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
