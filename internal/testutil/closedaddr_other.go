//go:build !unix

package testutil

import (
	"net"
	"testing"
)

// ClosedAddr is a loopback host:port where nothing listens: a free port closed again at once,
// on a system without the sockets closedaddr_unix.go holds a port with.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("closed address: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
