package reader_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailsweep/trailsweep/reader"
)

// tree is the fixture served by S3 and the local filesystem alike.
var tree = []string{
	"AWSLogs/111111111111/CloudTrail/us-east-1/2023/12/31/a-1231.json.gz",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/04/a-0104.json.gz",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/a-0105.json.gz",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/a-0107.json.gz",
	"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/08/a-0108.json.gz",
	"AWSLogs/111111111111/CloudTrail/eu-west-1/2024/01/06/a-euw1-0106.json.gz",
	"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/a-digest-0106.json.gz",
	"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/08/a-digest-0108.json.gz",
	"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/06/a-insight-0106.json.gz",
	"AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-0106.json.gz",
	"AWSLogs/222222222222/vpcflowlogs/us-east-1/2024/01/06/b-flow.log.gz",
	"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
	"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz",
	"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/02/01/c-0201.json.gz",
	"backup/AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-old-0106.json.gz",
	"other/readme.txt",
	"other/export.json",
}

// content is the fixture body of a key: a gzip log naming its key.
func content(t testing.TB, key string) []byte {
	return gz(t, fmt.Sprintf(`{"Records":[{"eventVersion":"1.08","key":%q}]}`, key))
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// A listed object, as "key" or "key (skip reason)".
func listed(root string, o reader.Object) string {
	if o.Skip != "" {
		return root + o.Key + " (" + o.Skip + ")"
	}
	return root + o.Key
}

type pruneCase struct {
	name   string
	prefix string // where the source starts, relative to the fixture root
	filter reader.Filter
	want   []string // listed keys, sorted, relative to the fixture root, with skip reasons
}

var window = reader.Filter{Since: ts("2024-01-06T10:00:00Z"), Until: ts("2024-01-06T12:00:00Z")} // lists 01/05 to 01/07

var pruneCases = []pruneCase{
	{name: "root, everything", prefix: "", want: []string{
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/a-digest-0106.json.gz (digest file)",
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/08/a-digest-0108.json.gz (digest file)",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/06/a-insight-0106.json.gz (insight file)",
		"AWSLogs/111111111111/CloudTrail/eu-west-1/2024/01/06/a-euw1-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2023/12/31/a-1231.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/04/a-0104.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/a-0105.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt (not a log file)",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/a-0107.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/08/a-0108.json.gz",
		"AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-0106.json.gz",
		"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz (digest file)",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/02/01/c-0201.json.gz",
		"backup/AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-old-0106.json.gz",
		"other/export.json",
		"other/readme.txt (not a log file)",
	}},
	{name: "root, window", prefix: "", filter: window, want: []string{
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/a-digest-0106.json.gz (digest file)",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/06/a-insight-0106.json.gz (insight file)",
		"AWSLogs/111111111111/CloudTrail/eu-west-1/2024/01/06/a-euw1-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/a-0105.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt (not a log file)",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/a-0107.json.gz",
		"AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-0106.json.gz",
		"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz (digest file)",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
		"backup/AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-old-0106.json.gz",
		"other/export.json",
		"other/readme.txt (not a log file)",
	}},
	{name: "root, window, account and region", prefix: "", filter: reader.Filter{
		Since: window.Since, Until: window.Until, Accounts: []string{"111111111111"}, Regions: []string{"us-east-1"},
	}, want: []string{
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/a-digest-0106.json.gz (digest file)",
		"AWSLogs/111111111111/CloudTrail-Insight/us-east-1/2024/01/06/a-insight-0106.json.gz (insight file)",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/05/a-0105.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt (not a log file)",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/a-0107.json.gz",
		"other/export.json",
		"other/readme.txt (not a log file)",
	}},
	{name: "account filter", prefix: "AWSLogs/", filter: reader.Filter{Accounts: []string{"222222222222"}}, want: []string{
		"AWSLogs/222222222222/CloudTrail/us-east-1/2024/01/06/b-0106.json.gz",
	}},
	{name: "region filter reaches org trails", prefix: "", filter: reader.Filter{Regions: []string{"us-west-2"}}, want: []string{
		"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz (digest file)",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/02/01/c-0201.json.gz",
		"other/export.json",
		"other/readme.txt (not a log file)",
	}},
	{name: "org folder", prefix: "AWSLogs/o-org1/", want: []string{
		"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz (digest file)",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/02/01/c-0201.json.gz",
	}},
	{name: "org account, window", prefix: "AWSLogs/o-org1/333333333333", filter: window, want: []string{
		"AWSLogs/o-org1/333333333333/CloudTrail-Digest/us-west-2/2024/01/06/c-digest-0106.json.gz (digest file)",
		"AWSLogs/o-org1/333333333333/CloudTrail/us-west-2/2024/01/06/c-0106.json.gz",
	}},
	{name: "region, open end", prefix: "AWSLogs/111111111111/CloudTrail/us-east-1", filter: reader.Filter{Since: ts("2024-01-07T00:00:00Z")}, want: []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt (not a log file)",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/07/a-0107.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/08/a-0108.json.gz",
	}},
	{name: "open start", prefix: "AWSLogs/", filter: reader.Filter{Until: ts("2024-01-03T23:59:59Z")}, want: []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2023/12/31/a-1231.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/04/a-0104.json.gz",
	}},
	{name: "long window", prefix: "AWSLogs/", filter: reader.Filter{Since: ts("2023-06-01T00:00:00Z"), Until: ts("2023-12-31T00:00:00Z")}, want: []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2023/12/31/a-1231.json.gz",
	}},
	{name: "year folder, window", prefix: "AWSLogs/111111111111/CloudTrail/us-east-1/2024/", filter: reader.Filter{Since: ts("2023-12-31T00:00:00Z"), Until: ts("2024-01-03T00:00:00Z")}, want: []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/04/a-0104.json.gz",
	}},
	{name: "day folder", prefix: "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/", filter: window, want: []string{
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/a-0106.json.gz",
		"AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/notes.txt (not a log file)",
	}},
	{name: "day folder outside the window", prefix: "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/06/", filter: reader.Filter{Since: ts("2024-03-01T00:00:00Z")}},
	{name: "filtered account folder", prefix: "AWSLogs/111111111111/", filter: reader.Filter{Accounts: []string{"222222222222"}}},
	{name: "digest folder", prefix: "AWSLogs/111111111111/CloudTrail-Digest/", filter: window, want: []string{
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/06/a-digest-0106.json.gz (digest file)",
	}},
	{name: "foreign folder under an account", prefix: "AWSLogs/222222222222/vpcflowlogs/", filter: window, want: []string{
		"AWSLogs/222222222222/vpcflowlogs/us-east-1/2024/01/06/b-flow.log.gz",
	}},
	{name: "outside the layout", prefix: "other/", filter: window, want: []string{
		"other/export.json",
		"other/readme.txt (not a log file)",
	}},
	{name: "one object named", prefix: "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/08/a-digest-0108.json.gz", filter: window, want: []string{
		"AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/01/08/a-digest-0108.json.gz",
	}},
}

// readable returns the keys of want that are to be read.
func readable(want []string) []string {
	var keys []string
	for _, w := range want {
		if !strings.HasSuffix(w, ")") {
			keys = append(keys, w)
		}
	}
	return keys
}

// checkPruning lists src with c.filter, checks the listing, then opens
// every readable object and checks that exactly those were fetched, with
// the right bytes. root is what precedes an object's Key in the fixture.
func checkPruning(t *testing.T, src reader.Source, root string, c pruneCase) {
	t.Helper()
	ctx := context.Background()
	cs := reader.WithCounts(src)
	var got []string
	var objs []reader.Object
	err := cs.List(ctx, c.filter, func(o reader.Object) error {
		got = append(got, listed(root, o))
		objs = append(objs, o)
		return nil
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	slices.Sort(got)
	if !equal(got, c.want) {
		t.Errorf("listed:\n got %q\nwant %q", got, c.want)
	}
	if n := cs.Opens(); n != 0 {
		t.Errorf("List opened %d objects", n)
	}
	var wantBytes int64
	for _, o := range objs {
		if o.Skip != "" {
			continue
		}
		rc, err := cs.Open(ctx, o)
		if err != nil {
			t.Fatalf("Open(%s): %v", o.Key, err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", o.Key, err)
		}
		if want := content(t, root+o.Key); !bytes.Equal(body, want) {
			t.Errorf("Open(%s) returned other bytes", o.Key)
		}
		if o.Size != int64(len(body)) {
			t.Errorf("%s: Size = %d, read %d bytes", o.Key, o.Size, len(body))
		}
		wantBytes += int64(len(body))
	}
	opened := cs.OpenedKeys()
	for i := range opened {
		opened[i] = root + opened[i]
	}
	slices.Sort(opened)
	if want := readable(c.want); !equal(opened, want) {
		t.Errorf("opened:\n got %q\nwant %q", opened, want)
	}
	if cs.BytesRead() != wantBytes {
		t.Errorf("BytesRead = %d, want %d", cs.BytesRead(), wantBytes)
	}
}

// writeTree writes the fixture under dir.
func writeTree(t *testing.T, dir string) {
	t.Helper()
	for _, k := range tree {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, content(t, k), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLocalPruning(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir)
	for _, c := range pruneCases {
		t.Run(c.name, func(t *testing.T) {
			src, err := reader.NewLocal(filepath.Join(dir, filepath.FromSlash(c.prefix)))
			if err != nil {
				t.Fatal(err)
			}
			root := strings.TrimSuffix(c.prefix, "/") + "/"
			if root == "/" {
				root = ""
			}
			if fi, err := os.Stat(filepath.Join(dir, c.prefix)); err == nil && !fi.IsDir() {
				root = c.prefix[:strings.LastIndexByte(c.prefix, '/')+1] // a file's Key is its name
			}
			checkPruning(t, src, root, c)
		})
	}
}

func TestLocalNotExist(t *testing.T) {
	_, err := reader.NewLocal(filepath.Join(t.TempDir(), "missing"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want os.ErrNotExist", err)
	}
	_, err = reader.Open(context.Background(), filepath.Join(t.TempDir(), "missing"), reader.S3Options{})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open: error = %v, want os.ErrNotExist", err)
	}
}

// A file named as the source is read whatever its name; its ETag changes
// when it is rewritten.
func TestLocalFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "trail.txt")
	if err := os.WriteFile(p, []byte(`[{"eventVersion":"1.08"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := reader.Open(context.Background(), p, reader.S3Options{})
	if err != nil {
		t.Fatal(err)
	}
	list := func() []reader.Object {
		var objs []reader.Object
		if err := src.List(context.Background(), window, func(o reader.Object) error { objs = append(objs, o); return nil }); err != nil {
			t.Fatal(err)
		}
		return objs
	}
	objs := list()
	if len(objs) != 1 || objs[0].Key != "trail.txt" || objs[0].Skip != "" || objs[0].URI != p || objs[0].ETag == "" {
		t.Fatalf("List = %+v, want one readable trail.txt with an ETag", objs)
	}
	if err := os.WriteFile(p, []byte(`[{"eventVersion":"1.09"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, time.Time{}, objs[0].LastModified.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if again := list(); again[0].ETag == objs[0].ETag {
		t.Errorf("ETag %q unchanged after a rewrite", again[0].ETag)
	}
}

var errStop = errors.New("stop")

func TestListStops(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir)
	src, err := reader.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = src.List(context.Background(), reader.Filter{}, func(reader.Object) error {
		n++
		if n == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || n != 3 {
		t.Errorf("List = %v after %d objects, want %v after 3", err, n, errStop)
	}
}

// TestLocalSymlinks: links are followed, to files and folders, the source
// itself included; a loop is listed as skipped and a broken link as failed,
// never dropped in silence.
func TestLocalSymlinks(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	target := filepath.Join(elsewhere, "real.json.gz")
	if err := os.WriteFile(target, content(t, "real"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(elsewhere, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(elsewhere, "sub", "inner.json"), []byte("[]"), 0o644); err != nil {
		t.Fatal(err)
	}
	links := map[string]string{
		"link.json.gz":  target,
		"dirlink":       filepath.Join(elsewhere, "sub"),
		"dangling.json": filepath.Join(elsewhere, "none"),
		"sub2":          filepath.Join(elsewhere, "sub"),
		"loop":          dir, // the root again
		"sub3":          "sub3/..",
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	if err := os.Symlink(dir, filepath.Join(elsewhere, "sub", "back")); err != nil { // a loop through two links
		t.Fatal(err)
	}
	rootLink := filepath.Join(t.TempDir(), "rootlink")
	if err := os.Symlink(dir, rootLink); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{dir, rootLink} {
		src, err := reader.NewLocal(root)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := src.List(context.Background(), reader.Filter{}, func(o reader.Object) error {
			s := fmt.Sprintf("%s %d", listed("", o), o.Size)
			if o.Err != nil {
				s = fmt.Sprintf("%s failed %s", o.Key, reader.ErrorKind(o.Err))
			}
			got = append(got, s)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		want := []string{
			"dangling.json failed not_found",
			"dirlink/back (symlink loop) 0",
			"dirlink/inner.json 2",
			fmt.Sprintf("link.json.gz %d", len(content(t, "real"))),
			"loop (symlink loop) 0",
			"sub2/back (symlink loop) 0",
			"sub2/inner.json 2",
			"sub3 failed other", // too many levels of symbolic links
		}
		if !equal(got, want) {
			t.Errorf("%s: listed %q, want %q", root, got, want)
		}
	}
}
