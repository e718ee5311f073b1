// Package verify checks CloudTrail log files against CloudTrail's signed
// digest files, offline: it walks every digest chain in a window and
// reports each log file as verified, modified, deleted or unverified, each
// digest as valid, moved, modified, missing or with an invalid signature,
// and each gap in a chain.
//
// Data flows from reader to here; this package imports neither scan nor
// report.
package verify

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailsweep/trailsweep/internal/extsort"
	"github.com/trailsweep/trailsweep/reader"
)

// Log statuses.
const (
	LogVerified   = "verified"
	LogModified   = "modified"
	LogDeleted    = "deleted"
	LogUnverified = "unverified"
)

// Digest statuses.
const (
	DigestValid            = "valid"
	DigestSignatureInvalid = "signature invalid"
	DigestMoved            = "moved"
	DigestModified         = "modified"
	DigestMissing          = "missing"
)

// MetadataSource is a Source whose objects carry user metadata (S3): the
// digest signature lives there. Names are lowercase, without x-amz-meta-.
type MetadataSource interface {
	Metadata(ctx context.Context, o reader.Object) (map[string]string, error)
}

var _ MetadataSource = (*reader.S3)(nil)

// Config is one verification.
type Config struct {
	Sources []reader.Source
	Filter  reader.Filter
	// Keys are the public keys to check signatures with; when FetchKeys
	// is set instead, the keys of each digest's home region are fetched
	// with it (once per region, for the window's time range).
	Keys      Keys
	FetchKeys KeyFetcher
	// Signatures, when set, supplies the signatures of digests whose
	// source has no metadata (a local copy), and the chain heads.
	Signatures *Manifest
	// Concurrency bounds the objects read at once; 0 = 16.
	Concurrency int
	// Memory bounds what is kept for each log and each digest's logFiles
	// entry (0 = DefaultMemory): beyond it, they spill as sorted runs to
	// WorkDir ("" = the OS temporary directory) and are judged in one
	// merge pass.
	Memory  int
	WorkDir string
}

// DefaultMemory is the budget of a verification's per-log state when
// Config.Memory is zero.
const DefaultMemory = 32 << 20

// LogResult is the verdict on one log file.
type LogResult struct {
	URI    string
	Status string
	Detail string // why, for anything but verified
	Digest string // the digest that references it, if any
}

// DigestResult is the verdict on one digest.
type DigestResult struct {
	URI    string
	Chain  string
	Status string
	Detail string
	Start  string // digestStartTime, as written
	End    string // digestEndTime
}

// Gap is a break in a chain: no digest covers [From, To].
type Gap struct {
	Chain    string
	From, To string
}

// Result is a whole verification.
type Result struct {
	Logs    []LogResult
	Digests []DigestResult
	Gaps    []Gap
	// Errors are objects that could not be read (other than not found).
	Errors []string
	// Manifest holds what S3 metadata gave: the evidence to save.
	Manifest Manifest
	// Spilled counts the runs and bytes of per-log state that did not fit
	// in Config.Memory.
	Spilled Spill
}

// Spill counts what the per-log state wrote to the work directory.
type Spill struct {
	Runs  int
	Bytes int64
}

// OK reports whether everything verified: no flagged log or digest, no gap.
func (r *Result) OK() bool {
	for _, l := range r.Logs {
		if l.Status != LogVerified {
			return false
		}
	}
	for _, d := range r.Digests {
		if d.Status != DigestValid {
			return false
		}
	}
	return len(r.Gaps) == 0
}

// digest is one listed digest object during a run.
type digest struct {
	src    reader.Source
	obj    reader.Object
	base   string // local sources: the folder that stands for the bucket; "" for S3
	d      *Digest
	hash   string
	chain  string
	sig    *SignatureRecord // from metadata or the signatures file
	sigErr error            // result of checking sig
	status string
	detail string
	vouch  bool // its signature verified: its logFiles count
	// committed: an authenticated successor's previousDigestHashValue
	// and previousDigestSignature are this digest's hash and signature.
	committed bool
	checked   bool // its signature has been checked (authenticate)
}

// Session verifies in step with a scan that reads the logs itself: the
// scan hands it each digest it lists (Digest) and each log's hash as it
// decodes it (Log); Finish lists the digests delivered up to a day after
// the window, walks the chains and judges the logs. A Session never reads
// a log: a log a valid digest lists that the scan did not read is only
// checked to exist (deleted when it does not, left out when it does).
// Its methods are safe for concurrent use.
type Session struct {
	cfg  Config
	sigs map[string]SignatureRecord
	read bool // Run: hash the logs nobody hashed

	mu      sync.Mutex
	seen    map[string]bool   // digest URIs
	sigOf   map[string]string // digest key → its signature, kept once (intern)
	chains  map[string]string // chain names, kept once
	digests []*digest
	errs    []string
	keys    *keyring
	// entries holds each digest's logFiles entries under the digest's
	// index, until judge knows which digests vouch and where they are;
	// logs holds a record for each log listed (kindGiven) and, from
	// judge, for each entry of a vouching digest (kindRef), by the log's
	// URI. Neither keeps more than half of cfg.Memory in memory.
	entries, logs *extsort.Sorter
	sortErr       error // the first spill that failed
}

// Record kinds in Session.logs: a log's references sort before the logs
// listed under its URI, and among them the first digest's first.
const (
	kindRef   = 0
	kindGiven = 1
)

// Flags of a kindGiven record.
const (
	givenHashed   = 1 << iota // hashed by the scan
	givenErr                  // could not be read
	givenNotFound             // could not be read: not found
)

// NewSession returns a Session for cfg; cfg.Sources are the sources the
// scan lists, in its order, undecorated (Digest reads their metadata).
func NewSession(cfg Config) *Session {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	sigs := map[string]SignatureRecord{}
	if cfg.Signatures != nil {
		for _, s := range cfg.Signatures.Signatures {
			sigs[s.Key] = s
		}
	}
	if cfg.Memory <= 0 {
		cfg.Memory = DefaultMemory
	}
	return &Session{cfg: cfg, sigs: sigs, seen: map[string]bool{}, sigOf: map[string]string{}, chains: map[string]string{}, keys: newKeyring(cfg),
		entries: extsort.New(cfg.WorkDir, "verify-entries", cfg.Memory/2),
		logs:    extsort.New(cfg.WorkDir, "verify-logs", cfg.Memory/2)}
}

// logKey returns the key a log's records sort under: its URI, a local
// path cleaned (as locate returns it).
func logKey(uri string) string {
	if strings.Contains(uri, "://") {
		return uri
	}
	return filepath.Clean(uri)
}

// given records log uri as listed, with its hash or why it has none.
// s.mu is held.
func (s *Session) given(uri, hash string, err error) {
	var flags byte
	msg := ""
	switch {
	case err != nil:
		flags, msg = givenErr, err.Error()
		if errors.Is(err, errNotFound) || reader.ErrorKind(err) == "not_found" {
			flags |= givenNotFound
		}
	case hash != "":
		flags = givenHashed
	}
	key := append(extsort.AppendString(nil, logKey(uri)), kindGiven)
	val := extsort.AppendString(append([]byte(nil), flags), uri)
	val = extsort.AppendString(val, hash)
	val = extsort.AppendString(val, msg)
	s.add(s.logs, key, val)
}

// add adds a record to so, keeping the first spill that fails. s.mu is
// held (or judge runs alone).
func (s *Session) add(so *extsort.Sorter, key, val []byte) {
	if s.sortErr != nil {
		return
	}
	if err := so.Add(key, val); err != nil {
		s.sortErr = fmt.Errorf("log state: %w", err)
	}
}

// Digest reads and checks digest o, listed by cfg.Sources[i]. A digest
// that cannot be read is recorded in the result's Errors; only ctx's end
// is returned.
func (s *Session) Digest(ctx context.Context, i int, o reader.Object) error {
	if !strings.HasSuffix(o.Key, ".json.gz") {
		return nil
	}
	src := s.cfg.Sources[i]
	s.mu.Lock()
	if s.seen[o.URI] {
		s.mu.Unlock()
		return nil
	}
	s.seen[o.URI] = true
	s.mu.Unlock()
	d := &digest{src: src, obj: o}
	if _, isMeta := src.(MetadataSource); !isMeta {
		d.base = strings.TrimSuffix(o.URI, filepath.FromSlash(o.Key))
	}
	err := load(ctx, d, s.sigs)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	d.trim()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.errs = append(s.errs, fmt.Sprintf("%s: %v", o.URI, err))
	}
	if c, ok := s.chains[d.chain]; ok {
		d.chain = c // one string a chain
	} else {
		s.chains[d.chain] = d.chain
	}
	if d.d != nil {
		// A digest's signature and its successor's previousDigestSignature
		// are one string (half a kilobyte of hex) kept once.
		if d.sig != nil {
			d.sig.Signature = s.intern(d.d.Object, d.sig.Signature)
		}
		if p := d.d.PrevSignature; p != nil && d.d.PrevObject != nil {
			*p = s.intern(*d.d.PrevObject, *p)
		}
	}
	s.digests = append(s.digests, d)
	if d.d != nil {
		// The entries wait in the sorter, not in memory, for judge.
		key := extsort.AppendInt64(nil, int64(len(s.digests)-1))
		var val []byte
		for _, r := range d.d.LogFiles {
			val = extsort.AppendString(val[:0], r.Bucket)
			val = extsort.AppendString(val, r.Object)
			val = extsort.AppendString(val, r.HashValue)
			s.add(s.entries, key, val)
		}
		d.d.LogFiles = nil
	}
	return nil
}

// intern returns the signature recorded for digest key when it is sig,
// else records sig (the first one seen) and returns it. s.mu is held.
func (s *Session) intern(key, sig string) string {
	if v, ok := s.sigOf[key]; ok {
		if v == sig {
			return v
		}
		return sig
	}
	s.sigOf[key] = sig
	return sig
}

// trim drops what judge never reads from a digest kept until Finish (its
// logFiles entries go to the sorter: see Digest).
func (d *digest) trim() {
	if d.d == nil {
		return
	}
	d.d.AccountID, d.d.NewestEventTime, d.d.OldestEventTime, d.d.PrevHashAlgorithm = "", nil, nil, nil
}

// Log records log o of cfg.Sources[i] as read by the scan: sha256 is the
// hex SHA-256 of its decompressed bytes, or err why it has none.
func (s *Session) Log(i int, o reader.Object, sha256 string, err error) {
	s.mu.Lock()
	s.given(o.URI, sha256, err)
	s.mu.Unlock()
}

// Run verifies the objects of cfg.Sources that cfg.Filter admits.
// It lists digests one day beyond the window's end, since a log delivered
// late in the window is referenced by a digest delivered after it.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	s := NewSession(cfg)
	defer s.close()
	s.read = true
	f := cfg.Filter
	lastLogDay := time.Time{}
	if !f.Until.IsZero() {
		lastLogDay = f.Until.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		f.Until = f.Until.Add(24 * time.Hour)
	}
	type listed struct {
		i   int
		obj reader.Object
	}
	var digests []listed
	for i, src := range s.cfg.Sources {
		err := src.List(ctx, f, func(o reader.Object) error {
			if o.Err != nil {
				s.errs = append(s.errs, fmt.Sprintf("%s: %v", o.URI, o.Err))
				return nil
			}
			switch o.Skip {
			case "":
				if k, ok := reader.ParseKey(o.Key); ok && !lastLogDay.IsZero() && k.Day.After(lastLogDay) {
					return nil // listed for its digests only
				}
				s.mu.Lock()
				s.given(o.URI, "", nil)
				s.mu.Unlock()
			case reader.SkipDigest:
				digests = append(digests, listed{i, o})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}

	// Read, hash and check each digest on its own.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	for _, d := range digests {
		g.Go(func() error { return s.Digest(gctx, d.i, d.obj) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return s.judge(ctx)
}

// Finish lists the digests delivered from the window's last day to a day
// after it (a log's digest comes up to an hour after it), then judges
// every digest and log as Run does.
func (s *Session) Finish(ctx context.Context) (*Result, error) {
	if f := s.cfg.Filter; !f.Until.IsZero() {
		f.Since = f.Until.UTC().Truncate(24 * time.Hour)
		f.Until = f.Until.Add(24 * time.Hour)
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(s.cfg.Concurrency)
		for i, src := range s.cfg.Sources {
			err := src.List(ctx, f, func(o reader.Object) error {
				switch {
				case o.Err != nil: // a folder that could not be listed
					s.mu.Lock()
					s.errs = append(s.errs, fmt.Sprintf("%s: %v", o.URI, o.Err))
					s.mu.Unlock()
				case o.Skip == reader.SkipDigest:
					g.Go(func() error { return s.Digest(gctx, i, o) })
				}
				return nil
			})
			if err != nil {
				_ = g.Wait()
				return nil, err
			}
		}
		if err := g.Wait(); err != nil {
			return nil, err
		}
	}
	return s.judge(ctx)
}

// judge walks the chains of the digests read and judges every log.
func (s *Session) judge(ctx context.Context) (*Result, error) {
	defer s.close()
	cfg, f, keys := s.cfg, s.cfg.Filter, s.keys
	if err := keys.failed(); err != nil {
		return nil, err
	}
	if !f.Until.IsZero() {
		f.Until = f.Until.Add(24 * time.Hour)
	}
	res := &Result{Manifest: Manifest{Version: 1}, Errors: s.errs}
	digests := s.digests

	// Local digests that moved locate the logs from a digest that did not.
	bases := map[reader.Source]string{}
	for _, d := range digests {
		if d.d != nil && d.base != "" && d.status != DigestMoved {
			bases[d.src] = d.base
		}
	}
	for _, d := range digests {
		if d.d != nil && d.status == DigestMoved && d.base != "" {
			if b, ok := bases[d.src]; ok {
				d.base = b
			}
		}
	}

	// Walk each chain from its newest digest back.
	byKey := map[string]*digest{}
	chains := map[string][]*digest{}
	for _, d := range digests {
		if d.d == nil {
			continue
		}
		byKey[d.d.Object] = d
		chains[d.chain] = append(chains[d.chain], d)
	}
	var missing []DigestResult
	for name, chain := range chains {
		sort.Slice(chain, func(i, j int) bool { return chain[i].d.End().After(chain[j].d.End()) })
		for i, s := range chain {
			s.authenticate(ctx, keys) // after its successor's link, which comes first
			if s.d.PrevObject == nil || *s.d.PrevObject == "" {
				if i+1 < len(chain) {
					res.Gaps = append(res.Gaps, Gap{Chain: name, From: chain[i+1].d.EndTime, To: s.d.StartTime})
				}
				continue
			}
			if !s.vouch {
				continue // an unauthenticated successor proves nothing about its predecessor
			}
			p, ok := byKey[*s.d.PrevObject]
			if !ok {
				prev := locate(s, deref(s.d.PrevBucket), *s.d.PrevObject)
				if exists(ctx, s.src, prev) {
					continue // outside the window
				}
				from := "?"
				if i+1 < len(chain) {
					from = chain[i+1].d.EndTime
				}
				missing = append(missing, DigestResult{URI: prev.URI, Chain: name, Status: DigestMissing,
					Detail: "referenced as previous digest by " + s.d.Object, Start: from, End: s.d.StartTime})
				continue
			}
			link(p, s)
			p.authenticate(ctx, keys)
		}
	}
	if err := keys.failed(); err != nil {
		return nil, err
	}
	for _, h := range headsOf(cfg.Signatures) {
		if _, ok := byKey[h.Key]; ok || !inWindow(h.Key, f) {
			continue
		}
		missing = append(missing, DigestResult{URI: h.Key, Chain: h.Chain, Status: DigestMissing,
			Detail: "newest digest of its chain in the signatures file", End: h.EndTime})
	}

	// Check every log a vouching digest references, in one pass over the
	// logs' records sorted by URI.
	if err := s.locateEntries(); err != nil {
		return nil, err
	}
	if err := s.judgeLogs(ctx, res); err != nil {
		return nil, err
	}
	res.Spilled = Spill{Runs: s.entries.Runs() + s.logs.Runs(), Bytes: s.entries.SpiltBytes() + s.logs.SpiltBytes()}

	for _, d := range digests {
		dr := DigestResult{URI: d.obj.URI, Chain: d.chain, Status: d.status, Detail: d.detail}
		if d.d != nil {
			dr.Start, dr.End = d.d.StartTime, d.d.EndTime
		}
		res.Digests = append(res.Digests, dr)
	}
	res.Digests = append(res.Digests, missing...)
	res.sort()
	for _, d := range digests {
		if d.d != nil && d.sig != nil && d.base == "" {
			res.Manifest.Signatures = append(res.Manifest.Signatures, *d.sig)
		}
	}
	for name, chain := range chains {
		if h := chain[0]; h.base == "" {
			res.Manifest.Heads = append(res.Manifest.Heads, Head{Chain: name, Bucket: h.d.Bucket, Key: h.d.Object, EndTime: h.d.EndTime})
		}
	}
	return res, nil
}

// close removes the sorters' runs.
func (s *Session) close() {
	s.entries.Close()
	s.logs.Close()
}

// locateEntries moves the logFiles entries of the digests that vouch into
// s.logs, under the URI of the log each names as seen from its digest.
func (s *Session) locateEntries() error {
	if s.sortErr != nil {
		return s.sortErr
	}
	it, err := s.entries.Iter()
	if err != nil {
		return fmt.Errorf("log state: %w", err)
	}
	defer it.Close()
	var key []byte
	for it.Next() {
		idx, _, err := extsort.ReadInt64(it.Key())
		if err != nil {
			return err
		}
		d := s.digests[idx]
		if !d.vouch {
			continue
		}
		bucket, rest, err := extsort.ReadString(it.Value())
		if err != nil {
			return err
		}
		object, rest, err := extsort.ReadString(rest)
		if err != nil {
			return err
		}
		o := locate(d, bucket, object)
		key = extsort.AppendString(key[:0], o.URI)
		key = extsort.AppendInt64(append(key, kindRef), idx)
		// The value: the object's bucket and key, and the expected hash.
		val := extsort.AppendString(nil, o.Bucket)
		val = extsort.AppendString(val, o.Key)
		val = append(val, rest...)
		s.add(s.logs, key, val)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("log state: %w", err)
	}
	return s.sortErr
}

// logGroup is the records of one log URI: the first vouching digest's
// entry for it, if any, and each time it was listed.
type logGroup struct {
	uri    string
	ref    bool
	digest int64 // index of the digest of the entry
	obj    reader.Object
	want   string // the entry's hash
	given  []givenLog
}

type givenLog struct {
	uri, hash, msg string
	flags          byte
}

// judgeLogs judges each log in s.logs: verified, modified, deleted or
// unverified, reading (Run) or checking the existence of those a vouching
// digest lists and nobody hashed.
func (s *Session) judgeLogs(ctx context.Context, res *Result) error {
	it, err := s.logs.Iter()
	if err != nil {
		return fmt.Errorf("log state: %w", err)
	}
	defer it.Close()
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.cfg.Concurrency)
	var cur *logGroup
	flush := func() {
		if cur == nil {
			return
		}
		lg := cur
		cur = nil
		if !lg.ref {
			mu.Lock()
			for _, l := range lg.given {
				res.Logs = append(res.Logs, LogResult{URI: l.uri, Status: LogUnverified, Detail: "no valid digest references it"})
			}
			mu.Unlock()
			return
		}
		g.Go(func() error {
			lr, err := s.judgeLog(gctx, lg)
			if err != nil {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				mu.Lock()
				res.Errors = append(res.Errors, fmt.Sprintf("%s: %v", lr.URI, err))
				mu.Unlock()
			}
			if lr.Status != "" {
				mu.Lock()
				res.Logs = append(res.Logs, lr)
				mu.Unlock()
			}
			return nil
		})
	}
	fail := func(err error) error {
		_ = g.Wait()
		return err
	}
	for it.Next() && gctx.Err() == nil {
		uri, rest, err := extsort.ReadString(it.Key())
		if err != nil || len(rest) == 0 {
			return fail(extsort.ErrBadKey)
		}
		if cur == nil || cur.uri != uri {
			flush()
			cur = &logGroup{uri: uri}
		}
		v := it.Value()
		switch rest[0] {
		case kindRef:
			if cur.ref {
				continue // a later digest's entry: the first one judges
			}
			idx, _, err := extsort.ReadInt64(rest[1:])
			if err != nil {
				return fail(err)
			}
			bucket, v, err := extsort.ReadString(v)
			if err != nil {
				return fail(err)
			}
			key, v, err := extsort.ReadString(v)
			if err != nil {
				return fail(err)
			}
			want, _, err := extsort.ReadString(v)
			if err != nil {
				return fail(err)
			}
			cur.ref, cur.digest, cur.want = true, idx, want
			cur.obj = reader.Object{URI: uri, Bucket: bucket, Key: key}
		case kindGiven:
			if len(v) == 0 {
				return fail(extsort.ErrBadKey)
			}
			l := givenLog{flags: v[0]}
			v = v[1:]
			for _, f := range []*string{&l.uri, &l.hash, &l.msg} {
				if *f, v, err = extsort.ReadString(v); err != nil {
					return fail(err)
				}
			}
			cur.given = append(cur.given, l)
		}
	}
	flush()
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // the loop stopped short
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("log state: %w", err)
	}
	return nil
}

// judgeLog judges a log a vouching digest lists; the error is why it
// could not be read, when that is not for want of it. A Status of ""
// leaves it out: a scan's Session did not read it, and it exists.
func (s *Session) judgeLog(ctx context.Context, lg *logGroup) (LogResult, error) {
	d := s.digests[lg.digest]
	lr := LogResult{URI: lg.uri, Digest: d.obj.URI}
	var gv *givenLog
	for i := range lg.given {
		// The last listing with a hash or an error, else the last.
		if l := &lg.given[i]; gv == nil || gv.flags == 0 || l.flags != 0 {
			gv = l
		}
	}
	var h string
	var err error
	notFound := false
	switch {
	case gv != nil && gv.flags&givenErr != 0:
		err, notFound = errors.New(gv.msg), gv.flags&givenNotFound != 0
	case gv != nil && gv.flags&givenHashed != 0:
		h = gv.hash
	case gv != nil || s.read:
		h, err = hashObject(ctx, d.src, lg.obj)
		notFound = err != nil && reader.ErrorKind(err) == "not_found"
	case exists(ctx, d.src, lg.obj):
		return lr, nil
	default:
		notFound = true
	}
	switch {
	case notFound:
		lr.Status, lr.Detail = LogDeleted, "listed in a valid digest, object missing"
	case err != nil:
		lr.Status, lr.Detail = LogUnverified, "cannot read: "+err.Error()
		return lr, err
	case !strings.EqualFold(h, lg.want):
		lr.Status, lr.Detail = LogModified, fmt.Sprintf("sha256 %s, digest says %s", h, lg.want)
	default:
		lr.Status = LogVerified
	}
	return lr, nil
}

func (r *Result) sort() {
	sort.Slice(r.Logs, func(i, j int) bool { return r.Logs[i].URI < r.Logs[j].URI })
	sort.Slice(r.Digests, func(i, j int) bool { return r.Digests[i].URI < r.Digests[j].URI })
	sort.Slice(r.Gaps, func(i, j int) bool {
		if r.Gaps[i].Chain != r.Gaps[j].Chain {
			return r.Gaps[i].Chain < r.Gaps[j].Chain
		}
		return r.Gaps[i].From < r.Gaps[j].From
	})
	sort.Strings(r.Errors)
}

// errNotFound: a log a valid digest lists that no listing held.
var errNotFound = errors.New("not found")

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func headsOf(m *Manifest) []Head {
	if m == nil {
		return nil
	}
	return m.Heads
}

// inWindow reports whether a key's delivery day is one the filter lists.
func inWindow(key string, f reader.Filter) bool {
	k, ok := reader.ParseKey(key)
	if !ok {
		return false
	}
	if len(f.Accounts) > 0 && !contains(f.Accounts, k.Account) || len(f.Regions) > 0 && !contains(f.Regions, k.Region) {
		return false
	}
	day := 24 * time.Hour
	if !f.Since.IsZero() && k.Day.Before(f.Since.UTC().Truncate(day).Add(-day)) {
		return false
	}
	return f.Until.IsZero() || !k.Day.After(f.Until.UTC().Truncate(day).Add(day))
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// locate returns the object at bucket/key as seen from digest d's source:
// in S3 the key itself; in a local copy, the same key below the folder
// that stands for the bucket.
func locate(d *digest, bucket, key string) reader.Object {
	if d.base == "" {
		if bucket == "" {
			bucket = d.obj.Bucket
		}
		return reader.Object{URI: "s3://" + bucket + "/" + key, Bucket: bucket, Key: key}
	}
	p := filepath.Clean(d.base + string(filepath.Separator) + filepath.FromSlash(key))
	return reader.Object{URI: p, Key: key}
}

// exists reports whether o can be opened (false only when it is not found).
func exists(ctx context.Context, src reader.Source, o reader.Object) bool {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return reader.ErrorKind(err) != "not_found"
	}
	rc.Close()
	return true
}

func hashObject(ctx context.Context, src reader.Source, o reader.Object) (string, error) {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	return HashStream(rc)
}

// load reads, hashes and parses one digest, finds its signature (S3
// metadata, else the signatures file) and checks it.
func load(ctx context.Context, d *digest, sigs map[string]SignatureRecord) error {
	rc, err := d.src.Open(ctx, d.obj)
	if err != nil {
		return err
	}
	raw, err := readAll(rc, int(min(max(d.obj.Size, 0), 64<<20)))
	rc.Close()
	if err != nil {
		return err
	}
	d.chain = Chain(d.obj.Key)
	body, err := Gunzip(raw)
	if err != nil {
		d.status, d.detail = DigestModified, "not gzip: "+err.Error()
		return nil
	}
	d.hash = Hash(body)
	dg, err := ParseDigest(body)
	if err != nil {
		d.status, d.detail = DigestModified, err.Error()
		return nil
	}
	d.d = dg
	d.chain = Chain(dg.Object)
	if p := filepath.FromSlash(dg.Object); d.base != "" && strings.HasSuffix(d.obj.URI, string(filepath.Separator)+p) {
		d.base = strings.TrimSuffix(d.obj.URI, p) // the folder standing for the bucket may be below the source
	}
	if ms, ok := d.src.(MetadataSource); ok {
		md, err := ms.Metadata(ctx, d.obj)
		if err != nil {
			return err
		}
		if s := md["signature"]; s != "" {
			d.sig = &SignatureRecord{Bucket: d.obj.Bucket, Key: d.obj.Key, Signature: s,
				Algorithm: md["signature-algorithm"], Fingerprint: dg.Fingerprint}
		}
	} else if s, ok := sigs[dg.Object]; ok {
		d.sig = &s
	}
	return nil // authenticate checks the signature once the chain is known
}

// authenticate checks d's signature, once: with its key's fingerprint and
// validity, and, unless an authenticated successor commits to d's hash and
// signature (CloudTrail signed the successor over both), with RSA.
func (d *digest) authenticate(ctx context.Context, keys *keyring) {
	if d.checked || d.d == nil {
		return
	}
	d.checked = true
	if d.sig == nil {
		d.sigErr = ErrNoSignature
	} else {
		d.sigErr = keys.verify(ctx, d.d, d.sig.Algorithm, d.d.StringToSign(d.hash), d.sig.Signature, d.committed)
	}
	d.judge()
}

// judge sets the status from the signature check and the location.
func (d *digest) judge() {
	d.vouch = d.sigErr == nil
	switch {
	case d.sigErr != nil:
		d.status, d.detail = DigestSignatureInvalid, d.sigErr.Error()
	case !d.inPlace():
		d.status, d.detail = DigestMoved, "digest says s3://"+d.d.Bucket+"/"+d.d.Object
	default:
		d.status, d.detail = DigestValid, ""
	}
}

// inPlace reports whether the digest is where its fields say it was
// delivered. A local copy has no bucket: its path must end in the key.
func (d *digest) inPlace() bool {
	if d.base == "" {
		return d.obj.Bucket == d.d.Bucket && d.obj.Key == d.d.Object
	}
	return d.obj.Key == d.d.Object || strings.HasSuffix(d.obj.Key, "/"+d.d.Object)
}

// link checks predecessor p against its authenticated successor s, whose
// previousDigestHashValue and previousDigestSignature commit to p: p's
// hash must be the one s names, and its signature (when it has one of its
// own) the one s names; with both, p is committed and authenticate needs
// no RSA for it. The caller then authenticates p, unless link judged it
// modified or its signature invalid.
func link(p, s *digest) {
	switch {
	case s.d.PrevHash != nil && !strings.EqualFold(*s.d.PrevHash, p.hash):
		p.checked, p.vouch = true, false
		p.status, p.detail = DigestModified, fmt.Sprintf("sha256 %s, next digest says %s", p.hash, *s.d.PrevHash)
	case s.d.PrevSignature == nil:
	case p.sig == nil || errors.Is(p.sigErr, ErrNoSignature):
		// Only the newest digest needs its own signature: the chain gives the rest.
		p.sig = &SignatureRecord{Bucket: p.d.Bucket, Key: p.d.Object, Signature: *s.d.PrevSignature,
			Algorithm: p.d.Algorithm, Fingerprint: p.d.Fingerprint}
		p.committed = s.d.PrevHash != nil
		p.checked = false // checked before its successor (an equal or later end): again, with this signature
	case !strings.EqualFold(p.sig.Signature, *s.d.PrevSignature):
		p.checked, p.vouch = true, false
		p.status, p.detail = DigestSignatureInvalid, "signature differs from the next digest's previousDigestSignature"
	default:
		p.committed = s.d.PrevHash != nil
	}
}
