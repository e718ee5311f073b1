package reader

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Local is a Source over a local file or directory tree.
//
// A directory is walked recursively in lexical order. Below an AWSLogs
// folder the CloudTrail layout prunes folders exactly as S3 listing does
// (accounts, regions, delivery days; folders of other services are not
// entered), and digest and insight files are listed with Skip set. Files
// named *.json, *.json.gz, *.gz, *.jsonl and *.ndjson are read; other files
// are listed with SkipNotLog. A file named as the source itself is always
// read, whatever its name, and no filter applies to it. Symbolic links to
// files are listed like files; links to folders are not followed.
//
// The ETag of a local object is "SIZE-MTIME" (hexadecimal size and
// modification time in nanoseconds): cheap, and it changes whenever the
// file is rewritten, which is all a checkpoint needs.
type Local struct {
	path string // as given, cleaned
	abs  string // absolute, for locating the layout
	file bool
}

// NewLocal returns a Local for path, a file or a directory. The error wraps
// fs.ErrNotExist when path does not exist.
func NewLocal(path string) (*Local, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("local source: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("local source: %w", err)
	}
	return &Local{path: filepath.Clean(path), abs: abs, file: !fi.IsDir()}, nil
}

// String returns the path as given.
func (l *Local) String() string { return l.path }

// List walks the file or directory; see Local.
func (l *Local) List(ctx context.Context, f Filter, fn func(Object) error) error {
	if l.file {
		fi, err := os.Stat(l.path)
		if err != nil {
			return fmt.Errorf("local list: %w", err)
		}
		return fn(localObject(l.path, filepath.Base(l.path), fi, ""))
	}
	w := newWindow(f)
	// rootLayout: prune by layout only when the root itself is in it (or
	// above it); a root inside a foreign folder is listed as-is.
	rootSegs, inLayout := layoutSegs(filepath.ToSlash(l.abs))
	if inLayout {
		switch w.judge(rootSegs) {
		case filtered:
			return nil
		case offLayout:
			return l.walk(ctx, fn, func(string, bool) (verdict, string) { return admitted, "" })
		}
	}
	return l.walk(ctx, fn, func(rel string, dir bool) (verdict, string) {
		full := filepath.ToSlash(l.abs) + "/" + rel
		if !dir {
			if k, ok := ParseKey(full); ok {
				dirSegs, _ := layoutSegs(path0(full))
				return w.judge(dirSegs), k.Skip()
			}
			return admitted, nameSkip(rel)
		}
		segs, ok := layoutSegs(full)
		if !ok {
			return admitted, ""
		}
		return w.judge(segs), ""
	})
}

// path0 returns the slash path without its last element.
func path0(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// walk visits the tree; judge decides, for a slash path relative to the
// root, whether to enter a folder or list a file, and a file's skip reason.
func (l *Local) walk(ctx context.Context, fn func(Object) error, judge func(rel string, dir bool) (verdict, string)) error {
	err := filepath.WalkDir(l.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == l.path {
			return nil
		}
		rel, err := filepath.Rel(l.path, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if v, _ := judge(rel, true); v != admitted {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 { // a link to a file is read; links to folders are not followed
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		v, skip := judge(rel, false)
		if v == filtered {
			return nil
		}
		if v == offLayout && skip == "" {
			skip = nameSkip(rel)
		}
		fi, err := os.Stat(p) // follows a link to its file
		if err != nil {
			return err
		}
		return fn(localObject(p, rel, fi, skip))
	})
	if err != nil {
		return fmt.Errorf("local list %s: %w", l.path, err)
	}
	return nil
}

func localObject(p, rel string, fi fs.FileInfo, skip string) Object {
	return Object{
		URI:          p,
		Key:          rel,
		Size:         fi.Size(),
		ETag:         fmt.Sprintf("%x-%x", fi.Size(), fi.ModTime().UnixNano()),
		LastModified: fi.ModTime(),
		Skip:         skip,
	}
}

// Open opens the file at o.URI.
func (l *Local) Open(ctx context.Context, o Object) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(o.URI)
	if err != nil {
		return nil, fmt.Errorf("local open: %w", err)
	}
	return f, nil
}
