//go:build unix

package peertest

import (
	"os/exec"
	"syscall"
)

// ownGroup makes c the leader of a new process group, so killGroup reaches its children too.
func ownGroup(c *exec.Cmd) { c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(c *exec.Cmd) { syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
