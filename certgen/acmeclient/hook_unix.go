//go:build unix

package acmeclient

import (
	"os/exec"
	"syscall"
)

// hookProcessGroup runs the hook in a process group of its own, killed whole when it is cancelled.
func hookProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
