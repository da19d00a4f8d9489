//go:build unix

package testutil

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// ClosedAddr is a loopback host:port where nothing listens and nothing can start to while the
// test runs: a TCP socket bound there and never listening holds the port, so every dial is
// refused (connection refused). A free port closed again at once, the usual trick, may be
// taken by any process in between, and a check meant to fail then passes.
func ClosedAddr(t testing.TB) string {
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
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
