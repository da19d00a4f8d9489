package diagtls_test

import (
	"log"
	"net"
	"net/http"

	"github.com/telediag/telediag/router/diagtls"
)

// Serving a diagnostics handler over mutual TLS from files that a rotation may replace.
func ExampleNew() {
	reloader, err := diagtls.New(diagtls.Files{
		Cert:     "/etc/diag/tls.crt",
		Key:      "/etc/diag/tls.key",
		ClientCA: "/etc/diag/client-ca.crt", // omit for TLS without client certificates
	})
	if err != nil {
		log.Fatal(err) // names the file that cannot be used
	}
	ln, err := net.Listen("tcp", "127.0.0.1:3000")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.NotFoundHandler() /* a chi router with router.Install(r, "/", ...) */}
	// Listener sends nothing to a client that does not speak TLS; reloader.Config() is the
	// *tls.Config for servers built otherwise.
	log.Fatal(srv.Serve(reloader.Listener(ln)))
}
