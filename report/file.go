package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/lockfile"
)

// encoder writes findings in one format to an io.Writer it does not own.
type encoder interface {
	encode(f *Finding) error
	// finish flushes buffered rows and writes any trailer (the Parquet
	// footer). It never closes the underlying io.Writer.
	finish() error
}

func newEncoder(w io.Writer, format Format, opts Options) (encoder, error) {
	switch format {
	case Parquet:
		return newParquetEncoder(w, opts), nil
	case CSV:
		return newCSVEncoder(w, opts), nil
	case JSONL:
		return newJSONLEncoder(w, opts), nil
	}
	return nil, fmt.Errorf("format %q: %w", format, ErrUnknownFormat)
}

// Create opens a findings writer for path in the given format.
//
// For a regular file (or a symbolic link to one, written through), it first
// takes the lock ".<name>.lock" beside it (lockfile.ErrLocked when another
// run holds it) and removes the temporary files a killed run left; the rows
// go to a temporary file in the same directory, mode 0666 less the umask
// (as os.Create makes files; the summary and --errors get the same), that Close flushes, fsyncs and renames onto path
// (atomicfile), and Abort removes. Close and Abort release the lock. Path
// "-" writes to os.Stdout, and a path that exists and is not a regular file
// (/dev/stdout, a FIFO) is opened and written directly: Close flushes it,
// Abort cannot take back what was written.
func Create(path string, format Format, opts Options) (Writer, error) {
	if path == Stdout {
		enc, err := newEncoder(os.Stdout, format, opts)
		if err != nil {
			return nil, err
		}
		return &stream{enc: enc}, nil
	}
	fi, err := os.Stat(path)
	if err == nil && fi.IsDir() {
		return nil, fmt.Errorf("create output %s: is a directory", path)
	}
	if err == nil && !fi.Mode().IsRegular() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("create output %s: %w", path, err)
		}
		enc, err := newEncoder(f, format, opts)
		if err != nil {
			f.Close()
			return nil, err
		}
		return &stream{enc: enc, c: f}, nil
	}
	target, err := atomicfile.Resolve(path)
	if err != nil {
		return nil, fmt.Errorf("create output %s: %w", path, err)
	}
	dir, base := filepath.Split(target)
	lock, err := lockfile.Acquire(filepath.Join(dir, "."+base+".lock"))
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", path, err)
	}
	_ = atomicfile.RemoveStale(target)
	tmp, err := atomicfile.Create(path, 0o666)
	if err != nil {
		lock.Release()
		return nil, fmt.Errorf("create output %s: %w", path, err)
	}
	enc, err := newEncoder(tmp, format, opts)
	if err != nil {
		tmp.Abort()
		lock.Release()
		return nil, err
	}
	return &file{enc: enc, tmp: tmp, path: path, lock: lock}, nil
}

// NewJSONL returns a Writer of JSON lines to w. Close flushes but does not
// close w; Abort stops writing without flushing.
func NewJSONL(w io.Writer, opts Options) Writer { return &stream{enc: newJSONLEncoder(w, opts)} }

// NewCSV returns a Writer of CSV rows to w. Close flushes but does not close
// w; Abort stops writing without flushing.
func NewCSV(w io.Writer, opts Options) Writer { return &stream{enc: newCSVEncoder(w, opts)} }

// NewParquet returns a Writer of a Parquet file to w. Close writes the
// remaining rows and the footer but does not close w; Abort stops writing
// and leaves w holding an incomplete file.
func NewParquet(w io.Writer, opts Options) Writer { return &stream{enc: newParquetEncoder(w, opts)} }

// stream is a Writer over an io.Writer it does not own, or owns as c.
type stream struct {
	enc    encoder
	c      io.Closer // closed by Close and Abort; nil when not owned
	closed bool
	err    error
}

func (s *stream) Write(f *Finding) error {
	if s.closed {
		return ErrClosed
	}
	return s.enc.encode(f)
}

func (s *stream) Close() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	s.err = s.enc.finish()
	if s.c != nil {
		if err := s.c.Close(); s.err == nil {
			s.err = err
		}
	}
	return s.err
}

func (s *stream) Abort() error {
	if !s.closed && s.c != nil {
		s.c.Close()
	}
	s.closed = true
	return nil
}

// file is a Writer to a temporary file renamed into place on Close.
type file struct {
	enc  encoder
	tmp  *atomicfile.File
	path string
	lock *lockfile.Lock
	done bool
	err  error
}

func (w *file) Write(f *Finding) error {
	if w.done {
		return ErrClosed
	}
	if err := w.enc.encode(f); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

// Close writes the trailer and commits the file; on error the temporary
// file is removed and path keeps its old content.
func (w *file) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	defer w.lock.Release()
	if err := w.enc.finish(); err != nil {
		_ = w.tmp.Abort()
		w.err = fmt.Errorf("write %s: %w", w.path, err)
		return w.err
	}
	if err := w.tmp.Commit(); err != nil {
		w.err = err
	}
	return w.err
}

func (w *file) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.err = ErrClosed
	defer w.lock.Release()
	if err := w.tmp.Abort(); err != nil {
		return fmt.Errorf("abort %s: %w", w.path, err)
	}
	return nil
}

// Destination is a file or object being written that appears, whole,
// under its name only on Commit (an S3 upload, an atomicfile.File).
type Destination interface {
	io.Writer
	Commit() error
	Abort() error
}

// NewTo returns a findings writer in format to dst: Close writes the
// trailer and commits dst, Abort (or a failed Close) aborts it, so
// nothing is left under dst's name but a whole file.
func NewTo(dst Destination, format Format, opts Options) (Writer, error) {
	enc, err := newEncoder(dst, format, opts)
	if err != nil {
		_ = dst.Abort()
		return nil, err
	}
	return &committed{enc: enc, dst: dst}, nil
}

// committed is a Writer to a Destination.
type committed struct {
	enc  encoder
	dst  Destination
	done bool
	err  error
}

func (w *committed) Write(f *Finding) error {
	if w.done {
		return ErrClosed
	}
	return w.enc.encode(f)
}

func (w *committed) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if err := w.enc.finish(); err != nil {
		_ = w.dst.Abort()
		w.err = err
		return err
	}
	w.err = w.dst.Commit()
	return w.err
}

func (w *committed) Abort() error {
	if w.done {
		return nil
	}
	w.done, w.err = true, ErrClosed
	return w.dst.Abort()
}
