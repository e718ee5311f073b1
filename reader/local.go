package reader

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
// read, whatever its name, and no filter applies to it, unless it is not a
// regular file: a device, FIFO or socket named as the source is listed as
// failed (ErrSpecialFile), and one in a tree is listed with SkipSpecial;
// neither is ever opened.
//
// Symbolic links are followed, to files and to folders, the source itself
// included; a link's path, not its target's, is the key and is what the
// layout prunes. A folder that is one of its own ancestors (a link loop) is
// listed with SkipLoop and not entered. A folder that cannot be read, and a
// link that cannot be resolved, are listed as one entry each with Err set
// (fs.ErrPermission, fs.ErrNotExist, …); the rest of the tree is listed.
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
		o := localObject(l.path, filepath.Base(l.path), fi, "")
		if !fi.Mode().IsRegular() { // named as the source: refused, and failed
			o.Err = fmt.Errorf("%s: %w (%s)", l.path, ErrSpecialFile, fi.Mode().Type())
		}
		return fn(o)
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
	fi, err := os.Stat(l.path) // follows a link given as the source
	if err != nil {
		return fmt.Errorf("local list %s: %w", l.path, err)
	}
	w := walker{ctx: ctx, fn: fn, judge: judge}
	return w.dir(l.path, "", []fs.FileInfo{fi})
}

// walker walks a Local tree: folders in lexical order, links followed,
// each folder checked against its ancestors (anc) for loops.
type walker struct {
	ctx   context.Context
	fn    func(Object) error
	judge func(rel string, dir bool) (verdict, string)
}

// failed lists the entry at p as failed with err.
func (w *walker) failed(p, rel string, err error) error {
	if rel == "" {
		rel = "."
	}
	return w.fn(Object{URI: p, Key: rel, Err: err})
}

// dir lists the folder at p (rel from the root, "" for the root itself),
// whose ancestors, itself last, are anc. A folder that cannot be read is
// one failed entry; the entries read before the error are still listed.
func (w *walker) dir(p, rel string, anc []fs.FileInfo) error {
	ents, err := os.ReadDir(p)
	if err != nil {
		if cerr := w.ctx.Err(); cerr != nil {
			return cerr
		}
		if err := w.failed(p, rel, fmt.Errorf("read folder %s: %w", p, err)); err != nil {
			return err
		}
	} else {
		folderListed(w.ctx)
	}
	for _, e := range ents {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		cp, crel := filepath.Join(p, e.Name()), e.Name()
		if rel != "" {
			crel = rel + "/" + e.Name()
		}
		var fi fs.FileInfo
		var err error
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err = os.Stat(cp) // a link is followed, to a file or a folder
		} else {
			fi, err = e.Info()
		}
		if err != nil {
			if err := w.failed(cp, crel, fmt.Errorf("local list %s: %w", cp, err)); err != nil {
				return err
			}
			continue
		}
		if fi.IsDir() {
			if v, _ := w.judge(crel, true); v != admitted {
				continue
			}
			if slices.ContainsFunc(anc, func(a fs.FileInfo) bool { return os.SameFile(a, fi) }) {
				if err := w.fn(Object{URI: cp, Key: crel, Skip: SkipLoop}); err != nil {
					return err
				}
				continue
			}
			if err := w.dir(cp, crel, append(anc, fi)); err != nil {
				return err
			}
			continue
		}
		v, skip := w.judge(crel, false)
		if v == filtered {
			continue
		}
		if v == offLayout && skip == "" {
			skip = nameSkip(crel)
		}
		if !fi.Mode().IsRegular() { // a device, FIFO or socket is never opened
			skip = SkipSpecial
		}
		if err := w.fn(localObject(cp, crel, fi, skip)); err != nil {
			return err
		}
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
	f, err := openFile(o.URI)
	if err != nil {
		return nil, fmt.Errorf("local open: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%w (%s)", ErrSpecialFile, fi.Mode().Type())
		}
		return nil, fmt.Errorf("local open %s: %w", o.URI, err)
	}
	return f, nil
}
