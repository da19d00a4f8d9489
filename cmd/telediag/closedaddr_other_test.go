//go:build !unix

package main

import "testing"

// closedAddr is a loopback address where nothing listens: freeAddr's, on a system without
// the sockets closedaddr_unix_test.go holds a port with.
func closedAddr(t *testing.T) string { return freeAddr(t) }
