// Package atomicfile writes files so that a reader, or the file system after
// a crash, sees either the old content or the new one, never a part.
//
// Every file trailsweep writes for keeps — findings, summary, error list,
// checkpoint parts and manifest — goes through it: the bytes go to a
// temporary file with a unique name ".<name>.tmp-<random>" in the same
// directory, which is fsynced, renamed onto the final name, and the
// directory fsynced.
package atomicfile

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File is a file being written under a temporary name; Commit puts it in
// place, Abort removes it. It embeds the temporary *os.File to write to.
type File struct {
	*os.File
	path string // final name
	done bool
}

// Create opens a temporary file for path, in path's directory, with mode
// perm less the process's umask, as os.OpenFile creates files (0o666
// gives what os.Create would; 0o600 keeps a file private). When path is a symbolic link, the file it points to is the one
// replaced on Commit: the link is written through, not replaced.
func Create(path string, perm os.FileMode) (*File, error) {
	path, err := Resolve(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := createTemp(dir, TempPrefix(base), perm)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &File{File: f, path: path}, nil
}

// createTemp is os.CreateTemp with a mode: the kernel applies the umask to
// perm (os.CreateTemp always asks for 0600).
func createTemp(dir, prefix string, perm os.FileMode) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("no unused temporary name")
}

// Resolve follows path while it is a symbolic link, whether or not its
// final target exists, and returns the name that is not a link.
func Resolve(path string) (string, error) {
	for range 40 {
		fi, err := os.Lstat(path)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return path, nil
		}
		t, err := os.Readlink(path)
		if err != nil {
			return path, err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(path), t)
		}
		path = t
	}
	return path, fmt.Errorf("%s: too many levels of symbolic links", path)
}

// TempPrefix is the start of the temporary names of a file named base.
func TempPrefix(base string) string { return "." + base + ".tmp-" }

// Path returns the name the file gets on Commit (a symbolic link's target).
func (f *File) Path() string { return f.path }

// Commit fsyncs the temporary file, closes it, renames it onto the final
// name and fsyncs the directory. On error the temporary file is removed and
// the final name keeps its old content.
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: commit after commit or abort")
	}
	f.done = true
	name := f.File.Name()
	err := f.File.Sync()
	if cerr := f.File.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, f.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// Abort closes and removes the temporary file; the final name is untouched.
// It does nothing after Commit or Abort.
func (f *File) Abort() error {
	if f.done {
		return nil
	}
	f.done = true
	err := f.File.Close()
	if rerr := os.Remove(f.File.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	return err
}

// Write writes data to path atomically with mode perm less the umask.
func Write(path string, data []byte, perm os.FileMode) error {
	f, err := Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Abort()
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return f.Commit()
}

// RemoveStale removes the temporary files of path left by a process that
// was killed before Commit or Abort. Only call it while no other process
// can be writing path (under its lock).
func RemoveStale(path string) error {
	path, err := Resolve(path)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, de := range des {
		if IsTemp(de.Name(), base) {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// IsTemp reports whether name is a temporary file of a file named base ("":
// of any file).
func IsTemp(name, base string) bool {
	if base == "" {
		return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
	}
	return strings.HasPrefix(name, TempPrefix(base))
}

// syncDir makes a rename in dir durable where the platform allows it; errors
// are ignored because some file systems cannot fsync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
