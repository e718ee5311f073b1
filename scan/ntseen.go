package scan

import (
	"hash/maphash"
	"strings"
	"sync"
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// ntSeen is shared by a scan's workers: for each new_terms combination and
// bucket, the earliest time of an event with a finding among the objects
// committed so far without error. A worker that meets a later event of the
// same combination and bucket in another object knows it cannot be the
// bucket's first (the Aggregator, or a checkpoint's Finish, also gets that
// committed event), so it builds no finding for it: the event keeps only
// its time and position, for the bucket's latest time. What it skips never
// depends on timing, only how much: the findings are the same. It holds at
// most a bounded number of entries (about as many per shard): once full,
// it only answers for what it has, and the rest are kept in the
// Aggregator's spilling state instead.
type ntSeen struct {
	seed     maphash.Seed
	perShard int
	shards   [64]ntShard
}

type ntShard struct {
	mu sync.RWMutex
	m  map[ntKey]int64 // unix nanoseconds
}

// newNTSeen returns an empty ntSeen that holds up to about entries.
func newNTSeen(entries int) *ntSeen {
	s := &ntSeen{seed: maphash.MakeSeed(), perShard: max(1, entries/64)}
	for i := range s.shards {
		s.shards[i].m = map[ntKey]int64{}
	}
	return s
}

func (s *ntSeen) shard(k *ntKey) *ntShard {
	h := maphash.String(s.seed, k.key) ^ uint64(k.bucket)
	return &s.shards[h%uint64(len(s.shards))]
}

// earlier reports whether a committed event of k is strictly before t.
func (s *ntSeen) earlier(k *ntKey, t time.Time) bool {
	sh := s.shard(k)
	sh.mu.RLock()
	v, ok := sh.m[*k]
	sh.mu.RUnlock()
	return ok && v < t.UnixNano()
}

// commit records the new_terms events with a finding of an object read
// without error, once it has been committed (handed to the aggregator or
// the checkpoint). Only the writer goroutine calls it.
func (s *ntSeen) commit(r *result) {
	if r.err != nil || r.obj.Skip != "" {
		return
	}
	for i := range r.events {
		e := &r.events[i]
		if e.Finding.RuleID == "" {
			continue // a bare event (no finding) proves nothing
		}
		b, ok := e.Rule.NewTermsBucket(e.Time)
		if !ok {
			continue
		}
		k := ntKey{rule: e.Rule, bucket: b, key: strings.Join(e.Key, "\x00")}
		t := e.Time.UnixNano()
		sh := s.shard(&k)
		sh.mu.Lock()
		if v, ok := sh.m[k]; ok && t < v || !ok && len(sh.m) < s.perShard {
			sh.m[k] = t
		}
		sh.mu.Unlock()
	}
}

// bareFinding is the finding of an event that cannot become one: what
// orders events (rule.before) and its time.
func bareFinding(o reader.Object, t time.Time, index int64) report.Finding {
	return report.Finding{EventTime: t, SourceURI: o.URI, ObjectETag: o.ETag, RecordIndex: index}
}

// ntFinding is the finding of a new_terms event at time et of the current
// record (k its combination and bucket): bare when another object's
// committed event of k is earlier.
func (w *worker) ntFinding(r *result, ru *rule.Rule, k *ntKey, et, t time.Time, index int64) report.Finding {
	if w.seen != nil && w.seen.earlier(k, et) {
		return bareFinding(r.obj, et, index)
	}
	return w.finding(ru, r.obj, t, index)
}
