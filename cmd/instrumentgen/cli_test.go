package main

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/telediag/telediag/internal/testutil"
)

// result is one run of a subcommand.
type result struct {
	code           int
	stdout, stderr string
}

// TestSourceFlagsReadOnce: check parses the URL and reads the TLS files, and open fetches with
// what check built: a CA file removed in between changes nothing, and open parses nothing.
func TestSourceFlagsReadOnce(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t, "server-ca")
	leaf := ca.Server(t, "svc")
	caFile := testutil.WriteFile(t, dir, "ca.crt", ca.PEM)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLS(t)}}
	srv.StartTLS()
	defer srv.Close()

	s := sourceFlags{timeout: defaultFetchTimeout}
	s.tls.CA = caFile
	if err := s.check(srv.URL + "/metrics"); err != nil {
		t.Fatal(err)
	}
	if s.url == nil || s.url.Path != "/metrics" || s.client == nil {
		t.Fatalf("check kept URL %v, client %v", s.url, s.client)
	}
	if err := os.Remove(caFile); err != nil {
		t.Fatal(err)
	}
	// The source argument is not parsed again: the URL check kept is the one fetched.
	exp, err := s.open("not parsed again", nil)
	if err != nil {
		t.Fatalf("open after the CA file is gone: %v", err)
	}
	if exp.Source != srv.URL+"/metrics" || len(exp.Families) != 1 {
		t.Errorf("read %s: %v", exp.Source, exp.Families)
	}

	// A file source builds no client.
	var file sourceFlags
	file.timeout = defaultFetchTimeout
	if err := file.check("x.prom"); err != nil || file.url != nil || file.client != nil {
		t.Errorf("file source: %v, URL %v, client %v", err, file.url, file.client)
	}
}
