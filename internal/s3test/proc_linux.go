package s3test

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the server die with the test binary, even when the
// test is killed before its cleanups run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
