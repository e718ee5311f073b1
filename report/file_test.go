package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestFormatFor(t *testing.T) {
	tests := []struct {
		path, override string
		want           Format
		wantErr        bool
	}{
		{"out.parquet", "", Parquet, false},
		{"dir/OUT.PARQUET", "", Parquet, false},
		{"out.csv", "", CSV, false},
		{"out.jsonl", "", JSONL, false},
		{"out.ndjson", "", JSONL, false},
		{"-", "", JSONL, false},
		{"-", "csv", CSV, false},
		{"out.csv", "parquet", Parquet, false},
		{"out.txt", "JSONL", JSONL, false},
		{"out.json", "", "", true},
		{"out.txt", "", "", true},
		{"out", "", "", true},
		{"out.csv", "xml", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.path+"/"+tt.override, func(t *testing.T) {
			got, err := FormatFor(tt.path, tt.override)
			if (err != nil) != tt.wantErr {
				t.Fatalf("FormatFor(%q, %q) error %v, want error %t", tt.path, tt.override, err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("error %v does not wrap ErrUnknownFormat", err)
			}
			if got != tt.want {
				t.Errorf("FormatFor(%q, %q) = %q, want %q", tt.path, tt.override, got, tt.want)
			}
		})
	}
	// The error names what it did not understand.
	for _, c := range [][2]string{{"out.txt", ""}, {"x.csv", "xml"}} {
		_, err := FormatFor(c[0], c[1])
		if want := filepath.Ext(c[0]); c[1] != "" {
			want = c[1]
			if !bytes.Contains([]byte(err.Error()), []byte(want)) {
				t.Errorf("error %q does not name %q", err, want)
			}
		} else if !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestCreateRenamesOnClose(t *testing.T) {
	for _, format := range []Format{Parquet, CSV, JSONL} {
		t.Run(string(format), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "findings."+string(format))
			w, err := Create(path, format, Options{})
			if err != nil {
				t.Fatal(err)
			}
			fs := sampleFindings(t)
			for i := range fs {
				if err := w.Write(&fs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("final name exists before Close (stat error %v)", err)
			}
			names := slices.DeleteFunc(dirNames(t, dir), func(n string) bool { return n == "."+filepath.Base(path)+".lock" })
			if len(names) != 1 || names[0][0] != '.' || !bytes.Contains([]byte(names[0]), []byte(".tmp-")) {
				t.Fatalf("temporary files %q, want one hidden .tmp- file", names)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if names := dirNames(t, dir); len(names) != 1 || names[0] != filepath.Base(path) {
				t.Fatalf("after Close the directory holds %q, want only %s", names, filepath.Base(path))
			}
			if err := w.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after Close: %v", err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("Abort after Close removed the file: %v", err)
			}
			if err := w.Write(&fs[0]); !errors.Is(err, ErrClosed) {
				t.Errorf("Write after Close: %v, want ErrClosed", err)
			}
			if format == Parquet {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := parquet.Read[parquetRow](bytes.NewReader(data), int64(len(data)))
				if err != nil || len(rows) != len(fs) {
					t.Errorf("read back %d rows (%v), want %d", len(rows), err, len(fs))
				}
			}
		})
	}
}

func TestCreateAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "findings.csv")
	if err := os.WriteFile(path, []byte("previous run\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, CSV, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := sampleFindings(t)
	if err := w.Write(&fs[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "findings.csv" {
		t.Errorf("after Abort the directory holds %q, want only the previous findings.csv", names)
	}
	if got, _ := os.ReadFile(path); string(got) != "previous run\n" {
		t.Errorf("Abort touched the existing file: %q", got)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if err := w.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("Close after Abort: %v, want ErrClosed", err)
	}
}

func TestCreateReplacesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.jsonl")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, JSONL, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Finding{RuleID: "new"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if !bytes.HasPrefix(got, []byte(`{"rule_id":"new"`)) {
		t.Errorf("file holds %q, want the new findings", got)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(dir, CSV, Options{}); err == nil {
		t.Error("Create on a directory: no error")
	}
	if _, err := Create(filepath.Join(dir, "missing", "f.csv"), CSV, Options{}); err == nil {
		t.Error("Create in a missing directory: no error")
	}
	if _, err := Create(filepath.Join(dir, "f.xml"), Format("xml"), Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Create with format xml: %v, want ErrUnknownFormat", err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("failed Creates left %q", names)
	}
}

func TestCreateStdout(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = pw
	w, err := Create(Stdout, JSONL, Options{})
	os.Stdout = saved
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	if err := w.Write(&Finding{RuleID: "to-stdout"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Close must not have closed the pipe: it is still writable.
	if _, err := pw.Write([]byte("after\n")); err != nil {
		t.Errorf("Close closed stdout: %v", err)
	}
	pw.Close()
	got := <-done
	if !bytes.HasPrefix(got, []byte(`{"rule_id":"to-stdout"`)) || !bytes.HasSuffix(got, []byte("}\nafter\n")) {
		t.Errorf("stdout got %q", got)
	}
}

func TestCreateCloseFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.parquet")
	w, err := Create(path, Parquet, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Finding{RuleID: "x"}); err != nil {
		t.Fatal(err)
	}
	w.(*file).tmp.Close() // the disk goes away under the writer
	if err := w.Close(); err == nil {
		t.Fatal("Close succeeded on a closed file")
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("failed Close left %q", names)
	}
	if err := w.Close(); err == nil {
		t.Error("second Close forgot the failure")
	}
}
