//go:build unix

package main

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// closedAddr is a loopback address where nothing listens and nothing can start to while the
// test runs: a TCP socket bound there and never listening holds the port, so a connection is
// refused (RST) every time. freeAddr's port, closed again at once, may be taken by any process
// in between (a parallel package's listener, once, made a "failing" check pass).
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
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
}
