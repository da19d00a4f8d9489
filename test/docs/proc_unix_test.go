//go:build unix

package docs_test

import (
	"os/exec"
	"syscall"
	"time"
)

// killGroup makes cmd the leader of a process group of its own and, when its context ends,
// kills the whole group: a block's `go run` leaves a child that would outlive bash.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
}
