package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// For a file, the rows go to a temporary file ".<name>.tmp-XXXX" in the same
// directory, created with mode 0600 (findings are sensitive); Close flushes,
// fsyncs and renames it onto path, replacing any existing file, and Abort
// removes it. Path "-" writes to os.Stdout, which Close flushes but never
// closes and Abort cannot take back.
func Create(path string, format Format, opts Options) (Writer, error) {
	if path == Stdout {
		enc, err := newEncoder(os.Stdout, format, opts)
		if err != nil {
			return nil, err
		}
		return &stream{enc: enc}, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("create output %s: is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output %s: %w", path, err)
	}
	enc, err := newEncoder(tmp, format, opts)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	return &file{enc: enc, tmp: tmp, path: path}, nil
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

// stream is a Writer over an io.Writer it does not own.
type stream struct {
	enc    encoder
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
	return s.err
}

func (s *stream) Abort() error {
	s.closed = true
	return nil
}

// file is a Writer to a temporary file renamed into place on Close.
type file struct {
	enc  encoder
	tmp  *os.File
	path string
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

func (w *file) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	w.err = w.commit()
	return w.err
}

func (w *file) commit() error {
	name := w.tmp.Name()
	err := w.enc.finish()
	if err == nil {
		err = w.tmp.Sync()
	}
	if cerr := w.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(name, w.path)
	}
	if err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	syncDir(filepath.Dir(w.path))
	return nil
}

func (w *file) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.err = ErrClosed
	err := w.tmp.Close()
	if rerr := os.Remove(w.tmp.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("abort %s: %w", w.path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable where the platform allows it; errors
// are ignored because some filesystems cannot fsync a directory.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
