package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// BulkOptions describe a bulk tree: how much JSON, from which templates,
// with which seed.
type BulkOptions struct {
	// Bytes is the least number of uncompressed JSON bytes to write.
	Bytes int64
	// Seed makes the tree: the same seed, size and templates give the same
	// bytes.
	Seed uint64
	// Datasets is a folder of real CloudTrail logs (gzip or plain JSON, in
	// {"Records":[…]} or bare-array form) whose records serve as templates,
	// e.g. ../shared/datasets. Files under a folder named
	// "stratus-detonations" are attack records and are drawn rarely (see
	// AttackRate); the others are the background. Empty or missing: the
	// built-in templates.
	Datasets string
	// AttackRate is the share of records drawn from the attack templates;
	// default 0.002.
	AttackRate float64
	// Workers compress files in parallel; default GOMAXPROCS. The output does
	// not depend on it.
	Workers int
}

// BulkManifest describes a written bulk tree. It is written last, beside
// the tree as <dir>.manifest.json (inside, the scanner would read it), so
// its presence means the tree is complete.
type BulkManifest struct {
	Version       int    `json:"version"` // of the generator; another version regenerates
	Seed          uint64 `json:"seed"`
	Templates     int    `json:"templates"`
	TemplateSet   string `json:"template_set"` // "datasets" or "builtin"
	TemplatesHash string `json:"templates_hash"`
	Objects       int    `json:"objects"`
	Records       int64  `json:"records"`
	BytesJSON     int64  `json:"bytes_json"` // uncompressed
	BytesGzip     int64  `json:"bytes_gzip"`
}

// Bulk writes a tree of at least opts.Bytes of CloudTrail JSON under dir,
// as gzip objects in the S3 key layout (three accounts, four regions, a log
// file every few minutes from 2026-10-01), and returns its manifest. When
// dir already holds a complete tree made with the same seed, size and
// templates it is kept and its manifest returned: generation is cached.
//
// Records are copies of the templates with a new eventTime (inside the
// file's five-minute delivery window, in order), eventID, requestID,
// sourceIPAddress and recipient account. Object sizes follow CloudTrail's
// spread: most files hold tens to a couple of thousand records, one in
// twenty holds up to twelve thousand.
func Bulk(dir string, opts BulkOptions) (*BulkManifest, error) {
	tpl, set, err := loadTemplates(opts.Datasets)
	if err != nil {
		return nil, err
	}
	if opts.AttackRate <= 0 {
		opts.AttackRate = 0.002
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	want := BulkManifest{Version: bulkVersion, Seed: opts.Seed, Templates: len(tpl.background) + len(tpl.attack), TemplateSet: set, TemplatesHash: tpl.hash}
	if m, err := ReadBulkManifest(dir); err == nil && m.Version == want.Version && m.Seed == want.Seed && m.TemplatesHash == want.TemplatesHash &&
		m.BytesJSON >= opts.Bytes && m.BytesJSON < opts.Bytes+opts.Bytes/10+64<<20 {
		return m, nil
	}
	if err := os.Remove(manifestPath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	// Plan the files sequentially (sizes and names from the seed), then
	// fill and compress them in parallel, each from its own seeded source.
	plan := planBulk(opts)
	t, err := writeFiles(dir, len(plan), opts.Workers, func(i int, body *bytes.Buffer) (string, int) {
		return plan[i].key, fillBulk(body, tpl, plan[i], opts)
	})
	if err != nil {
		return nil, fmt.Errorf("bulk: %w", err)
	}
	m := want
	m.Objects, m.Records, m.BytesJSON, m.BytesGzip = len(plan), t.records, t.json, t.gz
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(manifestPath(dir), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return &m, nil
}

// ReadBulkManifest reads the manifest of a complete bulk tree.
func ReadBulkManifest(dir string) (*BulkManifest, error) {
	b, err := os.ReadFile(manifestPath(dir))
	if err != nil {
		return nil, err
	}
	var m BulkManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath(dir), err)
	}
	return &m, nil
}

func manifestPath(dir string) string { return filepath.Clean(dir) + ".manifest.json" }

// fileTotals add up the files writeFiles wrote.
type fileTotals struct{ records, json, gz int64 }

// writeFiles writes n gzip files under dir with workers goroutines: fill
// writes file i's JSON to body and returns its key and record count. The
// output does not depend on workers.
func writeFiles(dir string, n, workers int, fill func(i int, body *bytes.Buffer) (key string, records int)) (fileTotals, error) {
	type done struct {
		fileTotals
		err error
	}
	results := make([]done, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body, out bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&out, gzip.DefaultCompression)
			for i := range next {
				body.Reset()
				key, recs := fill(i, &body)
				out.Reset()
				zw.Reset(&out)
				_, _ = zw.Write(body.Bytes())
				_ = zw.Close()
				path := filepath.Join(dir, filepath.FromSlash(key))
				err := os.MkdirAll(filepath.Dir(path), 0o755)
				if err == nil {
					err = os.WriteFile(path, out.Bytes(), 0o644)
				}
				results[i] = done{fileTotals{int64(recs), int64(body.Len()), int64(out.Len())}, err}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	var t fileTotals
	for _, r := range results {
		if r.err != nil {
			return t, r.err
		}
		t.records += r.records
		t.json += r.json
		t.gz += r.gz
	}
	return t, nil
}

// bulkFile is one planned object.
type bulkFile struct {
	key      string
	account  string
	region   string
	delivery time.Time
	budget   int // JSON bytes; the file ends with the record that passes it
	seed     uint64
}

var (
	bulkAccounts = []string{"111122223333", "444455556666", "777788889999"}
	bulkRegions  = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"}
)

// bulkVersion changes whenever the same options would give other bytes.
const bulkVersion = 2

// bulkIPs is the number of distinct client addresses of an account: real
// trails see a bounded set of callers, and stateful rules (new_terms) keep
// one entry per distinct value.
const bulkIPs = 200

// avgTemplateBytes is a planning estimate; the fill loop stops on bytes.
const avgTemplateBytes = 1400

// planBulk lays out enough files for opts.Bytes at the estimate, with a
// margin; fillBulk stops at the byte budget of each file.
func planBulk(opts BulkOptions) []bulkFile {
	rng := rand.New(rand.NewPCG(opts.Seed, 0x7261696c73776570))
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var plan []bulkFile
	var total int64
	for i := 0; total < opts.Bytes; i++ {
		n := 20 + rng.IntN(2000)
		if rng.IntN(20) == 0 {
			n = 3000 + rng.IntN(9000)
		}
		if total+int64(n)*avgTemplateBytes > opts.Bytes {
			n = int((opts.Bytes-total)/avgTemplateBytes) + 1
		}
		acct := bulkAccounts[rng.IntN(len(bulkAccounts))]
		region := bulkRegions[rng.IntN(len(bulkRegions))]
		t := start.Add(time.Duration(i) * 5 * time.Minute / 3)
		unique := pad(fmt.Sprintf("%d-%d", opts.Seed, i), 16)
		plan = append(plan, bulkFile{
			key: LogKey("", acct, region, t, unique), account: acct, region: region,
			delivery: t, budget: n * avgTemplateBytes, seed: rng.Uint64(),
		})
		total += int64(n) * avgTemplateBytes
	}
	return plan
}

// fillBulk writes one file's JSON to w and returns its record count.
func fillBulk(w *bytes.Buffer, tpl *templates, p bulkFile, opts BulkOptions) int {
	rng := rand.New(rand.NewPCG(p.seed, opts.Seed))
	w.WriteString(`{"Records":[`)
	span := int64(5 * time.Minute)
	step := span / int64(p.budget/avgTemplateBytes+1)
	i := 0
	for ; w.Len() < p.budget; i++ {
		t := tpl.background
		if len(tpl.attack) > 0 && rng.Float64() < opts.AttackRate {
			t = tpl.attack
		}
		r := t[rng.IntN(len(t))]
		if i > 0 {
			w.WriteByte(',')
		}
		off := min(span, int64(i)*step+rng.Int64N(step+1))
		et := p.delivery.Add(-time.Duration(span - off)).Format(time.RFC3339)
		writeTemplate(w, r, rng, et, p.account, func() string { return bulkIP(p.account, rng.IntN(bulkIPs)) })
	}
	w.WriteString("]}")
	return i
}

// writeTemplate writes one copy of r with its slots filled: eventTime et,
// fresh eventID and requestID from rng, recipient account, and a
// sourceIPAddress from ip (called in slot order, so that it may draw from
// rng too).
func writeTemplate(w *bytes.Buffer, r template, rng *rand.Rand, et, account string, ip func() string) {
	var id [36]byte
	for k, seg := range r.segs {
		w.Write(seg)
		if k == len(r.slots) {
			break
		}
		switch r.slots[k] {
		case slotTime:
			w.WriteString(et)
		case slotEventID, slotRequestID:
			w.Write(randUUID(&id, rng))
		case slotIP:
			w.WriteString(ip())
		case slotAccount:
			w.WriteString(account)
		}
	}
}

// bulkIP returns the n-th client address of account, a public-looking
// IPv4 address derived from both.
func bulkIP(account string, n int) string {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", account, n)
	x := h.Sum32()
	return fmt.Sprintf("%d.%d.%d.%d", 11+x%180, (x>>8)&255, (x>>16)&255, 1+(x>>24)%254)
}

func randUUID(b *[36]byte, rng *rand.Rand) []byte {
	const hex = "0123456789abcdef"
	x, y := rng.Uint64(), rng.Uint64()
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
			continue
		}
		b[i] = hex[x&15]
		x >>= 4
		if x == 0 {
			x, y = y, 0
		}
	}
	b[14] = '4'
	return b[:]
}

// Slots of a template: values replaced in each copy.
const (
	slotTime = iota
	slotEventID
	slotRequestID
	slotIP
	slotAccount
)

// template is one compact record cut around its slots: segs[0] slot[0]
// segs[1] … segs[n].
type template struct {
	segs  [][]byte
	slots []int
}

type templates struct {
	background, attack []template
	hash               string
}

// slotKeys are the top-level keys whose string values become slots.
var slotKeys = []struct {
	key  string
	slot int
}{
	{`"eventTime":"`, slotTime},
	{`"eventID":"`, slotEventID},
	{`"requestID":"`, slotRequestID},
	{`"sourceIPAddress":"`, slotIP},
	{`"recipientAccountId":"`, slotAccount},
}

// cut makes a template of a compact record: the first occurrence of each
// slot key (top-level keys come before nested ones with the same name in
// CloudTrail's field order only by luck, so the key must also not be inside
// requestParameters and friends: only the first occurrence is used, and a
// sourceIPAddress that is a service name stays as written).
func cut(rec []byte) template {
	type hit struct{ start, end, slot int }
	var hits []hit
	for _, k := range slotKeys {
		i := bytes.Index(rec, []byte(k.key))
		if i < 0 {
			continue
		}
		s := i + len(k.key)
		e := bytes.IndexByte(rec[s:], '"')
		if e < 0 || bytes.IndexByte(rec[s:s+e], '\\') >= 0 {
			continue
		}
		if k.slot == slotIP && !looksIPv4(rec[s:s+e]) {
			continue
		}
		hits = append(hits, hit{s, s + e, k.slot})
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].start < hits[j].start })
	var t template
	prev := 0
	for _, h := range hits {
		if h.start < prev {
			continue
		}
		t.segs = append(t.segs, rec[prev:h.start])
		t.slots = append(t.slots, h.slot)
		prev = h.end
	}
	t.segs = append(t.segs, rec[prev:])
	return t
}

func looksIPv4(b []byte) bool {
	dots := 0
	for _, c := range b {
		switch {
		case c == '.':
			dots++
		case c < '0' || c > '9':
			return false
		}
	}
	return dots == 3
}

// loadTemplates reads the records of every log under dir, or returns the
// built-in templates when dir is empty or holds none.
func loadTemplates(dir string) (*templates, string, error) {
	t := &templates{}
	h := fnv.New64a()
	if dir != "" {
		paths, err := LogFiles(dir)
		if err != nil {
			return nil, "", err
		}
		for _, p := range paths {
			recs, err := readRecords(p)
			if err != nil {
				return nil, "", fmt.Errorf("templates: %s: %w", p, err)
			}
			attack := strings.Contains(filepath.ToSlash(p), "stratus-detonations/")
			for _, r := range recs {
				h.Write(r)
				if attack {
					t.attack = append(t.attack, cut(r))
				} else {
					t.background = append(t.background, cut(r))
				}
			}
		}
		if len(t.background) == 0 { // only attacks: use them as the background too
			t.background, t.attack = t.attack, nil
		}
		if len(t.background) > 0 {
			t.hash = fmt.Sprintf("%016x", h.Sum64())
			return t, "datasets", nil
		}
	}
	for _, r := range builtinTemplates() {
		b, _ := json.Marshal(r)
		h.Write(b)
		t.background = append(t.background, cut(b))
	}
	for _, f := range Sample().Files { // the sample's hits are the attacks
		recs, err := splitRecords(f.Body)
		if err != nil {
			continue
		}
		for _, r := range recs {
			h.Write(r)
			t.attack = append(t.attack, cut(r))
		}
	}
	t.hash = fmt.Sprintf("%016x", h.Sum64())
	return t, "builtin", nil
}

// readRecords returns the compact records of one log file.
func readRecords(p string) ([][]byte, error) {
	b, err := ReadLog(p)
	if err != nil {
		return nil, err
	}
	return splitRecords(b)
}

// splitRecords returns the compact records of a log body, gzip or plain.
func splitRecords(b []byte) ([][]byte, error) {
	b, err := gunzip(b)
	if err != nil {
		return nil, err
	}
	var raw []json.RawMessage
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, err
		}
	} else {
		var doc struct {
			Records []json.RawMessage `json:"Records"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, err
		}
		raw = doc.Records
	}
	out := make([][]byte, 0, len(raw))
	for _, r := range raw {
		var c bytes.Buffer
		if err := json.Compact(&c, r); err != nil {
			return nil, err
		}
		out = append(out, c.Bytes())
	}
	return out, nil
}

// builtinTemplates are everyday records of common services, used when no
// dataset is at hand.
func builtinTemplates() []Record {
	t := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	acct := "111122223333"
	ops := AssumedRole(acct, "ops-automation", "i-0abc1234def567890", "ASIAOPSEXAMPLE00001")
	dev := IAMUser(acct, "dev-alice", "AKIADEVEXAMPLE00001")
	ci := AssumedRole(acct, "github-actions-deploy", "GitHubActions", "ASIACIEXAMPLE000001")
	list := []Record{
		Event(ops, t, "us-east-1", "s3.amazonaws.com", "GetBucketAcl", `{"bucketName":"org-logs-bucket","Host":"org-logs-bucket.s3.amazonaws.com","acl":""}`, ""),
		Event(ops, t, "us-east-1", "ec2.amazonaws.com", "DescribeInstances", `{"instancesSet":{},"filterSet":{"items":[{"name":"instance-state-name","valueSet":{"items":[{"value":"running"}]}}]}}`, ""),
		Event(ci, t, "us-east-1", "sts.amazonaws.com", "AssumeRole", `{"roleArn":"arn:aws:iam::111122223333:role/deploy","roleSessionName":"GitHubActions","durationSeconds":3600}`, `{"credentials":{"accessKeyId":"ASIACIEXAMPLE000002","sessionToken":"IQoJb3JpZ2luX2VjEXAMPLE","expiration":"Oct 1, 2026, 1:00:00 AM"},"assumedRoleUser":{"assumedRoleId":"AROAEXAMPLE:GitHubActions","arn":"arn:aws:sts::111122223333:assumed-role/deploy/GitHubActions"}}`),
		Event(dev, t, "eu-west-1", "kms.amazonaws.com", "Decrypt", `{"encryptionContext":{"aws:lambda:FunctionArn":"arn:aws:lambda:eu-west-1:111122223333:function:orders"},"encryptionAlgorithm":"SYMMETRIC_DEFAULT"}`, ""),
		Event(ops, t, "us-west-2", "logs.amazonaws.com", "CreateLogStream", `{"logGroupName":"/aws/lambda/orders","logStreamName":"2026/10/01/[$LATEST]0123456789abcdef"}`, ""),
		Event(dev, t, "us-east-1", "iam.amazonaws.com", "ListRoles", `{"maxItems":100}`, ""),
		Event(ci, t, "us-east-1", "lambda.amazonaws.com", "GetFunction20150331v2", `{"functionName":"orders"}`, ""),
		Event(ops, t, "ap-southeast-2", "monitoring.amazonaws.com", "GetMetricData", `{"startTime":"Oct 1, 2026, 12:00:00 AM","endTime":"Oct 1, 2026, 12:05:00 AM","metricDataQueries":[{"id":"m1","metricStat":{"metric":{"namespace":"AWS/EC2","metricName":"CPUUtilization"},"period":60,"stat":"Average"}}]}`, ""),
		Event(dev, t, "us-east-1", "signin.amazonaws.com", "ConsoleLogin", "", `{"ConsoleLogin":"Success"}`),
		Event(ops, t, "us-east-1", "dynamodb.amazonaws.com", "DescribeTable", `{"tableName":"orders"}`, ""),
	}
	list[3].ReadOnly = true
	list[5].ReadOnly = true
	return list
}
