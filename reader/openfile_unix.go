//go:build unix

package reader

import (
	"io/fs"
	"os"
	"syscall"
)

// openFile opens path for reading as os.Open does, but without offering
// the descriptor to the runtime's poller: for a regular file on Linux,
// os.Open's attempt costs four fcntl calls and a failing epoll_ctl, half
// the system calls of reading a small log object (a 10-day tree of an
// organization is tens of thousands of them). Reads of a regular file
// block either way.
func openFile(path string) (*os.File, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return os.NewFile(uintptr(fd), path), nil
	}
}
