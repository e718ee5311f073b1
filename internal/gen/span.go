package gen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"time"
)

// SpanOptions describe an organization tree that grows with its span: many
// accounts, one region, one log file an account-hour, a few records each,
// callers drawn from a large pool of addresses. It is the shape that makes
// aggregate rules' state grow with the time a hunt covers.
type SpanOptions struct {
	Days     int    // default 10
	Accounts int    // default 100
	IPs      int    // distinct source addresses over the whole tree; default 200,000
	Seed     uint64 // the same options give the same bytes
	// TwoRegions is how many accounts (the first ones) also log in a second
	// region, eu-west-1, one file an hour there too; default none. Their
	// files come after the first region's and leave those unchanged.
	TwoRegions int
	// Datasets is a folder of real logs whose records serve as templates
	// (see BulkOptions.Datasets); empty or missing: the built-in templates.
	Datasets string
	// AttackRate is the share of records drawn from the attack templates;
	// default 0.002.
	AttackRate float64
	Workers    int // files compressed in parallel; default GOMAXPROCS
}

// spanVersion changes whenever the same options would give other bytes.
const spanVersion = 1

// secondRegion numbers the files of the second region (see
// SpanOptions.TwoRegions) apart from the first region's.
const secondRegion = 1 << 40

// spanStart is the first hour of every span tree.
var spanStart = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)

// SpanManifest describes a written span tree; like BulkManifest it is
// written last, beside the tree, as <dir>.manifest.json.
type SpanManifest struct {
	Version       int    `json:"version"`
	Seed          uint64 `json:"seed"`
	Days          int    `json:"days"`
	Accounts      int    `json:"accounts"`
	IPs           int    `json:"ips"`
	TwoRegions    int    `json:"two_regions,omitempty"`
	TemplateSet   string `json:"template_set"`
	TemplatesHash string `json:"templates_hash"`
	Objects       int    `json:"objects"`
	Records       int64  `json:"records"`
	BytesJSON     int64  `json:"bytes_json"`
	BytesGzip     int64  `json:"bytes_gzip"`
}

// Span writes a span tree under dir and returns its manifest: for each day
// from 2026-07-01, each hour and each account, one gzip object of 5 to 15
// records in the S3 key layout (region us-east-1, and eu-west-1 too for the
// first opts.TwoRegions accounts), copies of the templates
// with a new eventTime inside the hour (in order), eventID, requestID,
// recipient account and a source address drawn from opts.IPs. The first
// Days' files of a longer tree are those of a shorter one with the same
// seed: its first ten days are the ten-day tree. A complete tree made with
// the same options is kept.
func Span(dir string, opts SpanOptions) (*SpanManifest, error) {
	if opts.Days <= 0 {
		opts.Days = 10
	}
	if opts.Accounts <= 0 {
		opts.Accounts = 100
	}
	if opts.IPs <= 0 {
		opts.IPs = 200_000
	}
	if opts.AttackRate <= 0 {
		opts.AttackRate = 0.002
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	opts.TwoRegions = min(max(opts.TwoRegions, 0), opts.Accounts)
	tpl, set, err := loadTemplates(opts.Datasets)
	if err != nil {
		return nil, err
	}
	want := SpanManifest{Version: spanVersion, Seed: opts.Seed, Days: opts.Days, Accounts: opts.Accounts, IPs: opts.IPs,
		TwoRegions: opts.TwoRegions, TemplateSet: set, TemplatesHash: tpl.hash}
	if m, err := readSpanManifest(dir); err == nil && m.Version == want.Version && m.Seed == want.Seed &&
		m.Days == want.Days && m.Accounts == want.Accounts && m.IPs == want.IPs && m.TwoRegions == want.TwoRegions &&
		m.TemplatesHash == want.TemplatesHash {
		return m, nil
	}
	if err := os.Remove(manifestPath(dir)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	first := opts.Days * 24 * opts.Accounts // files of the first region
	objects := first + opts.Days*24*opts.TwoRegions
	t, err := writeFiles(dir, objects, opts.Workers, func(i int, body *bytes.Buffer) (string, int) {
		h, a, region, id := i/opts.Accounts, i%opts.Accounts, "us-east-1", uint64(i)
		if i >= first {
			// The second region's files are numbered apart, so a longer
			// span's are a shorter one's too.
			j := i - first
			h, a, region = j/opts.TwoRegions, j%opts.TwoRegions, "eu-west-1"
			id = secondRegion + uint64(h*opts.Accounts+a)
		}
		account := fmt.Sprintf("%012d", 100000000000+a*1000003)
		hour := spanStart.Add(time.Duration(h) * time.Hour)
		n := fillSpan(body, tpl, opts, account, hour, id)
		return LogKey("", account, region, hour.Add(time.Hour), pad(fmt.Sprintf("%d-%d", opts.Seed, id), 16)), n
	})
	if err != nil {
		return nil, fmt.Errorf("span: %w", err)
	}
	m := want
	m.Objects, m.Records, m.BytesJSON, m.BytesGzip = objects, t.records, t.json, t.gz
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(manifestPath(dir), append(b, '\n'), 0o644); err != nil {
		return nil, err
	}
	return &m, nil
}

func readSpanManifest(dir string) (*SpanManifest, error) {
	b, err := os.ReadFile(manifestPath(dir))
	if err != nil {
		return nil, err
	}
	var m SpanManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath(dir), err)
	}
	return &m, nil
}

// fillSpan writes the JSON of file i (one account-hour) to w and returns its
// record count. Its randomness depends only on the seed and i.
func fillSpan(w *bytes.Buffer, tpl *templates, opts SpanOptions, account string, hour time.Time, i uint64) int {
	rng := rand.New(rand.NewPCG(opts.Seed, i))
	n := 5 + rng.IntN(11)
	w.WriteString(`{"Records":[`)
	step := int64(time.Hour) / int64(n)
	for k := range n {
		t := tpl.background
		if len(tpl.attack) > 0 && rng.Float64() < opts.AttackRate {
			t = tpl.attack
		}
		if k > 0 {
			w.WriteByte(',')
		}
		et := hour.Add(time.Duration(int64(k)*step + rng.Int64N(step))).Format(time.RFC3339)
		writeTemplate(w, t[rng.IntN(len(t))], rng, et, account, func() string { return spanIP(rng.IntN(opts.IPs)) })
	}
	w.WriteString("]}")
	return n
}

// spanIP returns the n-th address of the span tree's pool.
func spanIP(n int) string {
	return fmt.Sprintf("%d.%d.%d.%d", 11+n%180, (n/180)%250, (n/45000)%250+1, 7+n%97)
}
