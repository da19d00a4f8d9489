package testutil

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"time"
)

// TLSGet GETs https://addr+path trusting roots and presenting certs, on a connection of its
// own, and returns the status and the serial number of the certificate the server showed.
func TLSGet(addr, path string, roots *x509.CertPool, certs ...tls.Certificate) (int, string, error) {
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get("https://" + addr + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.TLS.PeerCertificates[0].SerialNumber.String(), nil
}
