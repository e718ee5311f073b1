package report

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
)

// HTML gathers findings into the analyst's report: one self-contained HTML
// file (no network: inline CSS, one inline script allowed by its hash in a
// Content-Security-Policy, inline SVG) with the coverage, findings by
// severity and by rule, an ATT&CK tactic×technique matrix, a timeline, the
// principals and a sortable, filterable, paged table of every finding.
//
// Counts are kept in memory; the table's rows are encoded as they arrive
// into a temporary file (HTML-escaped JSON), and each finding's detail
// (every column and the raw record, opened from its row) compressed into
// another by a goroutine (htmlDetails), which WriteTo copies into the page,
// so memory does not grow with the rows' text. Every value from the logs
// stays data: the template escapes it, the page's script sets it as text,
// and control characters are made visible (Clean, or the script's visible).
//
// HTML is not safe for concurrent use; Add must not be called after
// WriteTo. Close stops the goroutine and removes the temporary files.
type HTML struct {
	tmp *os.File
	buf *bufio.Writer
	n   int64
	det *htmlDetails // each finding's columns and raw record, opened from its row

	// Table rows: columns 1-11 are dictionary-encoded (dicts), column 0 is
	// the event time in Unix seconds (null when none); see htmlRow.
	dicts [htmlDictCols]htmlDict
	row   []byte
	str   bytes.Buffer
	enc   *json.Encoder // into str; escapes <, >, &, U+2028 and U+2029
	top1  []htmlFirst   // the table's first page: the earliest rows, in order

	bySeverity map[string]int64
	byRule     map[string]*htmlRule
	matrix     map[[2]string]int64 // tactic, technique
	hours      map[int64]map[string]int64
	noTime     int64
	first      time.Time
	last       time.Time
	users      map[string]int64
	keys       map[string]int64
	ips        map[string]int64
	agents     map[string]int64
	accounts   map[string]int64
	regions    map[string]int64
}

type htmlRule struct {
	ID, Name, Severity string
	Count              int64
}

// NewHTML returns an empty report whose table rows spill to a temporary
// file in dir ("" for the OS default).
func NewHTML(dir string) (*HTML, error) {
	tmp, err := os.CreateTemp(dir, "trailsweep-html-*.json")
	if err != nil {
		return nil, fmt.Errorf("html report: %w", err)
	}
	det, err := newHTMLDetails(dir)
	if err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, fmt.Errorf("html report: %w", err)
	}
	h := &HTML{
		tmp: tmp, buf: bufio.NewWriterSize(tmp, 256<<10), det: det,
		bySeverity: map[string]int64{}, byRule: map[string]*htmlRule{}, matrix: map[[2]string]int64{},
		hours: map[int64]map[string]int64{}, users: map[string]int64{}, keys: map[string]int64{},
		ips: map[string]int64{}, agents: map[string]int64{}, accounts: map[string]int64{}, regions: map[string]int64{},
	}
	h.enc = json.NewEncoder(&h.str) // escapes <, >, &, U+2028 and U+2029: safe inside <script>
	for i := range h.dicts {
		h.dicts[i].idx = map[string]int{}
	}
	return h, nil
}

// The page's table data. Each row is a JSON array: the event time (Unix
// seconds, or null), then columns 1-10 and the location's object URI as
// an index into that column's dictionary (or, once the dictionary is full,
// the string itself), then the location's record index; the first page's
// rows end with the finding's position (the order added), which the script
// appends to the other rows as it parses them (see htmlDetails). Rules,
// severities, accounts, regions, principals and user agents repeat, so the
// page is about a third of the size of plain rows and parses faster. Rows
// go in blocks of htmlChunk, each its own <script type="application/json">,
// after the page's script: the first page (the earliest htmlPageRows rows,
// kept here) is in the metadata block before the script and renders while
// the browser is still reading the rows; the script parses the blocks a
// few at a time once the document is loaded.
const (
	htmlDictCols  = 11        // columns 1-10 and the location's URI
	htmlDictMax   = 1 << 16   // entries per dictionary
	htmlDictBytes = 512 << 10 // bytes per dictionary
	htmlChunk     = 10_000    // rows per data block
	htmlPageRows  = 100       // rows of the table's page (PAGE in the script)
)

type htmlDict struct {
	idx   map[string]int
	list  []string
	bytes int
}

type htmlFirst struct {
	time int64
	row  []byte
	n    int64 // position
}

// cell appends column c's value of s (1-10, 11 for the URI) to the row.
func (h *HTML) cell(c int, s string) error {
	d := &h.dicts[c-1]
	i, ok := d.idx[s]
	if !ok && len(d.list) < htmlDictMax && d.bytes+len(s) <= htmlDictBytes {
		i, ok = len(d.list), true
		d.idx[s] = i
		d.list = append(d.list, s)
		d.bytes += len(s)
	}
	if ok {
		h.row = strconv.AppendInt(h.row, int64(i), 10)
		return nil
	}
	h.str.Reset()
	if err := h.enc.Encode(s); err != nil {
		return err
	}
	h.row = append(h.row, bytes.TrimSuffix(h.str.Bytes(), []byte("\n"))...)
	return nil
}

// keepFirst keeps the row among the table's first page when it is one of
// the htmlPageRows earliest (ties: the first added; no time first), the order
// of the script's stable sort by time.
func (h *HTML) keepFirst(t int64) {
	n := len(h.top1)
	if n == htmlPageRows && t >= h.top1[n-1].time {
		return
	}
	at, _ := slices.BinarySearchFunc(h.top1, t, func(f htmlFirst, t int64) int {
		if f.time <= t {
			return -1
		}
		return 1
	})
	if n == htmlPageRows {
		h.top1 = h.top1[:n-1]
	}
	h.top1 = slices.Insert(h.top1, at, htmlFirst{time: t, row: slices.Clone(h.row), n: h.n - 1})
}

// Columns of a table row, in the order the page's script reads them.
var htmlColumns = []string{"time", "severity", "rule", "account", "region", "event", "outcome", "principal", "access key", "source IP", "user agent", "location"}

// Add counts f and appends its row to the table.
func (h *HTML) Add(f *Finding) error {
	h.n++
	sev := Clean(strings.ToLower(f.Severity))
	h.bySeverity[sev]++
	r := h.byRule[f.RuleID]
	if r == nil {
		r = &htmlRule{ID: Clean(f.RuleID), Name: Clean(f.RuleName), Severity: sev}
		h.byRule[f.RuleID] = r
	}
	r.Count++
	for _, ta := range f.Tactics {
		if len(f.Techniques) == 0 {
			h.matrix[[2]string{ta, ""}]++
		}
		for _, te := range f.Techniques {
			h.matrix[[2]string{ta, te}]++
		}
	}
	var unix int64 = math.MinInt64
	if f.EventTime.IsZero() {
		h.noTime++
	} else {
		et := f.EventTime.UTC()
		hour := et.Truncate(time.Hour).Unix()
		m := h.hours[hour]
		if m == nil {
			m = map[string]int64{}
			h.hours[hour] = m
		}
		m[sev]++
		if h.first.IsZero() || et.Before(h.first) {
			h.first = et
		}
		if et.After(h.last) {
			h.last = et
		}
		unix = et.Unix()
	}
	principal := cmp.Or(f.UserName, f.UserARN)
	count(h.users, principal)
	count(h.keys, f.AccessKeyID)
	count(h.ips, f.SourceIP)
	count(h.agents, f.UserAgent)
	count(h.accounts, f.AccountID)
	count(h.regions, f.AWSRegion)
	outcome := "success"
	if f.ErrorCode != "" {
		outcome = f.ErrorCode
		if f.ErrorMessage != "" {
			outcome += ": " + f.ErrorMessage
		}
	}
	cells := [...]string{sev, Clean(f.RuleName), Clean(f.AccountID), Clean(f.AWSRegion),
		Clean(f.EventSource + " " + f.EventName), Clean(outcome), Clean(principal), Clean(f.AccessKeyID),
		Clean(f.SourceIP), Clean(f.UserAgent), Clean(f.SourceURI)}
	h.row = append(h.row[:0], '[')
	if unix == math.MinInt64 {
		h.row = append(h.row, "null"...)
	} else {
		h.row = strconv.AppendInt(h.row, unix, 10)
	}
	for i, s := range cells {
		h.row = append(h.row, ',')
		if err := h.cell(i+1, s); err != nil {
			return fmt.Errorf("html report: %w", err)
		}
	}
	h.row = append(h.row, ',')
	h.row = strconv.AppendInt(h.row, f.RecordIndex, 10)
	h.row = append(h.row, ']')
	h.keepFirst(unix)
	if err := h.det.add(f); err != nil {
		return htmlDetailError(err)
	}
	switch {
	case h.n == 1:
	case (h.n-1)%htmlChunk == 0:
		h.buf.WriteString("]</script>\n" + htmlRowsOpen)
	default:
		h.buf.WriteByte(',')
	}
	_, err := h.buf.Write(h.row)
	return err
}

const htmlRowsOpen = `<script type="application/json" class="findings-rows">[`

// htmlMeta is the data block before the page's script.
type htmlMeta struct {
	Total   int64             `json:"total"`
	Chunk   int               `json:"chunk"` // rows per block of rows and of details
	Dict    [][]string        `json:"dict"`
	First   []json.RawMessage `json:"first"`
	Columns []string          `json:"columns"` // of a detail
	Buckets *htmlBuckets      `json:"buckets"` // the timeline's, for the principals' timelines; nil without
}

// htmlBuckets are the timeline's buckets: n of step seconds from start
// (Unix seconds).
type htmlBuckets struct {
	Start int64    `json:"start"`
	Step  int64    `json:"step"`
	N     int      `json:"n"`
	Unit  string   `json:"unit"`
	Sevs  []string `json:"sevs"` // stacking order, bottom first
}

func count(m map[string]int64, k string) {
	if k != "" {
		m[k]++
	}
}

// Len returns the number of findings added.
func (h *HTML) Len() int64 { return h.n }

// Close removes the temporary files.
func (h *HTML) Close() error {
	h.tmp.Close()
	err := os.Remove(h.tmp.Name())
	return cmp.Or(err, h.det.remove())
}

// htmlScriptHash is the CSP source of the page's one inline script.
var htmlScriptHash = func() string {
	sum := sha256.Sum256([]byte(htmlScript))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// HTMLPolicy is the Content-Security-Policy of the report: nothing from
// the network, inline styles, data: images, and only the report's own
// script (by hash).
var HTMLPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src " + htmlScriptHash +
	"; base-uri 'none'; form-action 'none'"

// WriteTo renders the report to w. sum adds the scan's coverage when not
// nil; title names the report (the sources, when empty).
func (h *HTML) WriteTo(w io.Writer, sum *Summary, title string) error {
	if err := h.buf.Flush(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	v := h.view(sum, title)
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := htmlPage.ExecuteTemplate(bw, "head", v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	meta := htmlMeta{Total: h.n, Chunk: htmlChunk, Dict: make([][]string, len(h.dicts)), First: []json.RawMessage{},
		Columns: htmlDetailColumns, Buckets: v.buckets}
	for i := range h.dicts {
		meta.Dict[i] = h.dicts[i].list
		if meta.Dict[i] == nil {
			meta.Dict[i] = []string{}
		}
	}
	for _, f := range h.top1 {
		r := append(f.row[:len(f.row)-1:len(f.row)-1], ',') // the row without its ]
		meta.First = append(meta.First, append(strconv.AppendInt(r, f.n, 10), ']'))
	}
	js, err := json.Marshal(&meta) // escapes <, >, &, U+2028 and U+2029
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	bw.WriteString(`<script type="application/json" id="findings-meta">`)
	bw.Write(js)
	bw.WriteString("</script>\n<script>")
	bw.WriteString(htmlScript)
	bw.WriteString("</script>\n")
	if h.n > 0 {
		bw.WriteString(htmlRowsOpen)
		if _, err := h.tmp.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("html report: %w", err)
		}
		if _, err := io.Copy(bw, h.tmp); err != nil {
			return fmt.Errorf("html report: %w", err)
		}
		bw.WriteString("]</script>\n")
	}
	if err := h.det.writeTo(bw); err != nil {
		return htmlDetailError(err)
	}
	bw.WriteString("</body>\n</html>\n")
	return bw.Flush()
}

type htmlCount struct {
	Name  string
	Count int64
	Class string
	Pct   float64
}

type htmlBar struct {
	X, W, H    float64
	Label      string
	Count      int64
	Rects      []htmlRect
	Empty      bool
	ShowLabel  bool
	LabelShort string
}

type htmlRect struct {
	Y, H     float64
	Severity string
}

type htmlView struct {
	Title, Policy, Generated string
	Total, NoTime            int64
	Coverage                 []htmlCount // Name: label, Class: value
	Severities               []htmlCount
	Rules                    []htmlRule
	Tactics                  []string
	Techniques               []htmlTechnique
	Bars                     []htmlBar
	Bucket                   string
	Span                     string
	Users, Keys, IPs, Agents []htmlCount
	Accounts, Regions        []string
	Columns                  []string
	SeverityOrder            []string
	buckets                  *htmlBuckets
}

type htmlTechnique struct {
	ID    string
	Cells []int64
}

var severityOrder = []string{"critical", "high", "medium", "low"}

func severityClass(s string) string {
	if slices.Contains(severityOrder, s) {
		return "sev-" + s
	}
	return "sev-other"
}

// tacticOrder is ATT&CK Enterprise's tactic order.
var tacticOrder = []string{"reconnaissance", "resource development", "initial access", "execution", "persistence",
	"privilege escalation", "defense evasion", "credential access", "discovery", "lateral movement",
	"collection", "command and control", "exfiltration", "impact"}

func (h *HTML) view(sum *Summary, title string) *htmlView {
	v := &htmlView{Policy: HTMLPolicy, Total: h.n, NoTime: h.noTime, Columns: htmlColumns, SeverityOrder: severityOrder,
		Generated: time.Now().UTC().Format(time.RFC3339)}
	if title == "" && sum != nil {
		title = strings.Join(sum.Sources, ", ")
	}
	v.Title = Clean(cmp.Or(title, "findings"))

	// Severities: the known ones in order (zero counts shown), then others.
	sevs := slices.Clone(severityOrder)
	for _, s := range slices.Sorted(maps.Keys(h.bySeverity)) {
		if !slices.Contains(sevs, s) {
			sevs = append(sevs, s)
		}
	}
	for _, s := range sevs {
		v.Severities = append(v.Severities, htmlCount{Name: cmp.Or(s, "(none)"), Count: h.bySeverity[s], Class: severityClass(s), Pct: pct(h.bySeverity[s], h.n)})
	}
	for _, r := range h.byRule {
		v.Rules = append(v.Rules, *r)
	}
	slices.SortFunc(v.Rules, func(a, b htmlRule) int {
		return cmp.Or(cmp.Compare(severityRank(b.Severity), severityRank(a.Severity)), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})

	// ATT&CK matrix.
	tactics, techniques := map[string]bool{}, map[string]bool{}
	for k := range h.matrix {
		tactics[k[0]] = true
		techniques[k[1]] = true
	}
	v.Tactics = slices.SortedFunc(maps.Keys(tactics), func(a, b string) int {
		ia, ib := slices.Index(tacticOrder, strings.ToLower(a)), slices.Index(tacticOrder, strings.ToLower(b))
		if ia < 0 {
			ia = len(tacticOrder)
		}
		if ib < 0 {
			ib = len(tacticOrder)
		}
		return cmp.Or(cmp.Compare(ia, ib), cmp.Compare(a, b))
	})
	for _, te := range slices.Sorted(maps.Keys(techniques)) {
		row := htmlTechnique{ID: Clean(cmp.Or(te, "(none)"))}
		for _, ta := range v.Tactics {
			row.Cells = append(row.Cells, h.matrix[[2]string{ta, te}])
		}
		v.Techniques = append(v.Techniques, row)
	}
	for i, ta := range v.Tactics {
		v.Tactics[i] = Clean(ta)
	}

	v.Bars, v.Bucket, v.Span, v.buckets = h.timeline(sum)
	v.Users, v.Keys, v.IPs, v.Agents = top(h.users, 10), top(h.keys, 10), top(h.ips, 10), top(h.agents, 10)
	for _, a := range slices.Sorted(maps.Keys(h.accounts)) {
		v.Accounts = append(v.Accounts, Clean(a))
	}
	for _, r := range slices.Sorted(maps.Keys(h.regions)) {
		v.Regions = append(v.Regions, Clean(r))
	}
	v.Coverage = h.coverage(sum)
	return v
}

func pct(n, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(n) * 100 / float64(total)
}

func top(m map[string]int64, n int) []htmlCount {
	var out []htmlCount
	for k, c := range m {
		out = append(out, htmlCount{Name: k, Count: c})
	}
	slices.SortFunc(out, func(a, b htmlCount) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	if len(out) > n {
		out = out[:n]
	}
	for i := range out {
		out[i].Name = Clean(out[i].Name)
	}
	return out
}

func (h *HTML) coverage(sum *Summary) []htmlCount {
	var c []htmlCount
	add := func(k, v string) { c = append(c, htmlCount{Name: k, Class: Clean(v)}) }
	if sum == nil {
		add("source", "findings files only (pass --summary for the scan's coverage)")
		add("accounts in findings", fmt.Sprintf("%d: %s", len(h.accounts), listCut(slices.Sorted(maps.Keys(h.accounts)))))
		add("regions in findings", fmt.Sprintf("%d: %s", len(h.regions), listCut(slices.Sorted(maps.Keys(h.regions)))))
		if !h.first.IsZero() {
			add("findings' event time", h.first.Format(time.RFC3339)+" – "+h.last.Format(time.RFC3339))
		}
		return c
	}
	add("sources", strings.Join(sum.Sources, ", "))
	add("window", bound(sum.Window.Since)+" – "+bound(sum.Window.Until))
	if !sum.Coverage.Events.Since.IsZero() {
		add("records' event time", sum.Coverage.Events.Since.UTC().Format(time.RFC3339)+" – "+sum.Coverage.Events.Until.UTC().Format(time.RFC3339))
	}
	add("objects", fmt.Sprintf("%d listed, %d scanned, %d failed, %d skipped", sum.Objects.Listed, sum.Objects.Scanned, sum.Objects.Failed, sum.Objects.SkippedTotal()))
	add("records", fmt.Sprintf("%d read, %d evaluated, %d malformed", sum.Records.Read, sum.Records.Evaluated, sum.Records.Malformed))
	lv := func(name string, l Levels) {
		s := fmt.Sprintf("%d scanned", l.Scanned)
		if len(l.ScannedList) > 0 {
			s += ": " + listCut(l.ScannedList)
		}
		if l.Pruned > 0 {
			s += fmt.Sprintf("; %d pruned", l.Pruned)
		}
		add(name, s)
	}
	lv("accounts", sum.Coverage.Accounts)
	lv("regions", sum.Coverage.Regions)
	lv("day folders", sum.Coverage.Days)
	add("rules", fmt.Sprintf("%d loaded, %d runnable, %d silent", sum.Rules.Loaded, sum.Rules.Runnable, sum.Rules.Silent))
	complete := "complete"
	if !sum.Complete {
		complete = "INCOMPLETE: some objects were not read"
	}
	add("scan", complete)
	if sum.Version != "" {
		add("version", sum.Version)
	}
	for _, w := range sum.Warnings {
		add("warning", w)
	}
	return c
}

func listCut(l []string) string {
	if len(l) > MaxLevelList {
		return strings.Join(l[:MaxLevelList], ", ") + fmt.Sprintf(" and %d more", len(l)-MaxLevelList)
	}
	return strings.Join(l, ", ")
}

// maxBuckets caps the timeline's bars; beyond it buckets grow to weeks.
const maxBuckets = 400

// timeline returns the bars: hours when the span is at most three days,
// else days (weeks beyond maxBuckets days), from the first to the last
// event time of the findings and of the records read (sum), so that
// buckets with no findings show as empty bars.
func (h *HTML) timeline(sum *Summary) ([]htmlBar, string, string, *htmlBuckets) {
	first, last := h.first, h.last
	if sum != nil && !sum.Coverage.Events.Since.IsZero() {
		if first.IsZero() || sum.Coverage.Events.Since.Before(first) {
			first = sum.Coverage.Events.Since.UTC()
		}
		if sum.Coverage.Events.Until.After(last) {
			last = sum.Coverage.Events.Until.UTC()
		}
	}
	if first.IsZero() {
		return nil, "", "", nil
	}
	step, unit, layout := time.Hour, "hour", "2006-01-02 15:00"
	start := first.Truncate(time.Hour)
	if last.Sub(first) > 72*time.Hour {
		step, unit, layout = 24*time.Hour, "day", "2006-01-02"
		start = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, time.UTC)
		if last.Sub(start) > maxBuckets*24*time.Hour {
			step, unit = 7*24*time.Hour, "week"
			start = start.AddDate(0, 0, -int(start.Weekday()+6)%7) // Monday
		}
	}
	n := int(last.Sub(start)/step) + 1
	counts := make([]map[string]int64, n)
	for hour, m := range h.hours {
		i := int(time.Unix(hour, 0).Sub(start) / step)
		if i < 0 || i >= n {
			continue
		}
		if counts[i] == nil {
			counts[i] = map[string]int64{}
		}
		for s, c := range m {
			counts[i][s] += c
		}
	}
	var peak int64
	for _, m := range counts {
		var t int64
		for _, c := range m {
			t += c
		}
		peak = max(peak, t)
	}
	const width, height = 1000.0, 200.0
	bw := width / float64(n)
	labelEvery := max(1, n/12)
	bars := make([]htmlBar, n)
	for i := range bars {
		t := start.Add(time.Duration(i) * step)
		b := htmlBar{X: float64(i) * bw, W: max(bw-1, 0.5), Label: t.Format(layout), ShowLabel: i%labelEvery == 0, LabelShort: t.Format(layout)}
		y := height
		sevs := slices.Clone(severityOrder)
		for _, s := range slices.Sorted(maps.Keys(counts[i])) {
			if !slices.Contains(sevs, s) {
				sevs = append(sevs, s)
			}
		}
		slices.Reverse(sevs) // low at the bottom, critical on top
		for _, s := range sevs {
			c := counts[i][s]
			if c == 0 {
				continue
			}
			b.Count += c
			hgt := float64(c) * (height - 10) / float64(peak)
			y -= hgt
			b.Rects = append(b.Rects, htmlRect{Y: y, H: hgt, Severity: severityClass(s)})
		}
		b.Empty = b.Count == 0
		bars[i] = b
	}
	up := slices.Clone(severityOrder)
	slices.Reverse(up)
	buckets := &htmlBuckets{Start: start.Unix(), Step: int64(step / time.Second), N: n, Unit: unit, Sevs: up}
	return bars, unit, start.Format(layout) + " – " + start.Add(time.Duration(n-1)*step).Format(layout), buckets
}

var htmlPage = template.Must(template.New("page").Funcs(template.FuncMap{
	"pct":      func(f float64) string { return fmt.Sprintf("%.1f%%", f) },
	"f":        func(f float64) string { return fmt.Sprintf("%.2f", f) },
	"list":     func(a ...any) []any { return a },
	"sevclass": severityClass,
}).Parse(htmlTemplate))

// WriteFile renders the report to path atomically (a temporary file in the
// same directory, renamed when complete).
func (h *HTML) WriteFile(path string, sum *Summary, title string) error {
	f, err := atomicfile.Create(path, 0o666)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if err := h.WriteTo(f, sum, title); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// Tee returns a Writer that writes each finding to w and adds it to h;
// Close and Abort are w's.
func (h *HTML) Tee(w Writer) Writer { return &htmlTee{Writer: w, h: h} }

type htmlTee struct {
	Writer
	h *HTML
}

func (t *htmlTee) Write(f *Finding) error {
	if err := t.Writer.Write(f); err != nil {
		return err
	}
	return t.h.Add(f)
}
