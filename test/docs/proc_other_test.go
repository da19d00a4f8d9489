//go:build !unix

package docs_test

import (
	"os/exec"
	"time"
)

// killGroup bounds how long Wait waits for the output once the context has killed bash.
func killGroup(cmd *exec.Cmd) { cmd.WaitDelay = 10 * time.Second }
