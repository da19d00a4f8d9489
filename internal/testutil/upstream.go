// Package testutil holds helpers shared by the tests of several packages. It imports testing,
// so only test files may use it.
package testutil

import (
	"net"
	"sync"
	"testing"
)

// TCPUpstream listens on addr ("127.0.0.1:0" for any free port) and accepts and closes
// connections: the smallest upstream a tcp:// readiness check can dial. Close the listener to
// make the upstream go away; t.Cleanup closes it at the latest and waits for its goroutine.
func TCPUpstream(t testing.TB, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("upstream: listen %s: %v", addr, err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln
}
