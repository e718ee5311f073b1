// Package lockfile takes exclusive, advisory locks (flock) on lock files,
// so that two trailsweep runs never share a checkpoint or an output.
package lockfile

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// ErrLocked is returned (wrapped, naming the holder) when another process
// holds the lock.
var ErrLocked = errors.New("in use by another run")

// Lock is a held lock; Release gives it up.
type Lock struct {
	f    *os.File
	path string
}

// Acquire takes the exclusive lock of the file path, creating it, without
// waiting: when another process holds it, it returns ErrLocked naming the
// holder (the pid and host it wrote in the file). The holder's pid, host
// and start time are written to the file. The kernel releases the lock when
// the process ends, however it ends; a file left behind by a killed run
// does not block the next one.
func Acquire(path string) (*Lock, error) {
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				holder, _ := os.ReadFile(path)
				h := strings.TrimSpace(string(holder))
				if h == "" {
					h = "unknown holder"
				}
				return nil, fmt.Errorf("%s: %w (%s)", path, ErrLocked, h)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// The holder removes the file before releasing it: locking a
		// file that is no longer at path locks nothing; try again.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			f.Close()
			continue
		}
		host, _ := os.Hostname()
		_ = f.Truncate(0)
		_, _ = fmt.Fprintf(f, "pid %d on host %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
		return &Lock{f: f, path: path}, nil
	}
	return nil, fmt.Errorf("lock %s: the lock file keeps changing", path)
}

// Release removes the lock file and releases the lock. It does nothing on
// a nil Lock or after Release.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
