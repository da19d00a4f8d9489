package tlsflags

import (
	"flag"
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
	if err := c.Validate(u); err != nil {
		t.Fatal(err)
	}
	cfg, err := c.Config(u)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.ServerName != "svc.example" || cfg.RootCAs == nil || len(cfg.Certificates) != 1 || cfg.MinVersion == 0 {
		t.Errorf("config %+v", cfg)
	}
	if cfg, err := c.Config(mustURL(t, "http://127.0.0.1/")); cfg != nil || err != nil {
		t.Errorf("http URL: %v, %v; want no TLS", cfg, err)
	}
	if cfg, err := (&Client{}).Config(u); err != nil || cfg.RootCAs != nil || len(cfg.Certificates) != 0 {
		t.Errorf("no flags: %+v, %v; want the system's roots and no certificate", cfg, err)
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
		err := tc.c.Validate(tc.u)
		if err == nil {
			_, err = tc.c.Config(tc.u)
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.c, err, tc.want)
		}
	}
}
