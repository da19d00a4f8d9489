//go:build e2e

package e2e

import (
	"syscall"
	"testing"
)

// closedAddr is a loopback host:port where nothing listens and nothing can start to while the
// test runs: a TCP socket bound there and never listening holds the port, so every dial is
// refused. freePort's port, closed again at once, may be taken by any process in between.
func closedAddr(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("closed address: socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("closed address: bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("closed address: getsockname: %v", err)
	}
	return hostPort(sa.(*syscall.SockaddrInet4).Port)
}
