package bench

import (
	"bytes"
	"errors"
	"io"

	"github.com/trailsweep/trailsweep/reader"
)

// SplitLocal is InflateLocal plus the scanner's record splitter: each file
// is inflated and split into records by reader.Decoder, which checks every
// record's JSON grammar and UTF-8 and indexes its members, with no rule,
// ECS view or output. It is the least a scan that must read every record
// exactly (or count it malformed) can cost with this splitter: a scan's
// cost above it is rules, findings and bookkeeping.
func SplitLocal(files []string, workers int) (Throughput, error) {
	return SplitLocalIndex(files, workers, nil)
}

// SplitLocalIndex is SplitLocal with the splitter indexing only the
// objects sel names (reader.DecodeOptions.Index; nil: every object), as a
// scan with a rule set whose selection is sel does: the floor of that
// rule set.
func SplitLocalIndex(files []string, workers int, sel *reader.IndexPaths) (Throughput, error) {
	return readFiles(files, workers, func() fileFunc {
		var d *reader.Decoder
		return func(body *bytes.Buffer) (int64, int64, error) {
			r := bytes.NewReader(body.Bytes())
			var err error
			if d == nil {
				d, err = reader.NewDecoder(r, reader.DecodeOptions{Index: sel})
			} else {
				err = d.Reset(r)
			}
			if err != nil {
				return 0, 0, err
			}
			n, err := splitAll(d)
			return d.BytesOut(), n, err
		}
	})
}

// splitAll reads every record of d and returns how many there were; a
// record the decoder skips (bad grammar, invalid UTF-8) is an error here,
// since the bench trees hold none.
func splitAll(d *reader.Decoder) (int64, error) {
	var n int64
	for {
		_, err := d.Next()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

// FloorCPU is the CPU cost of a tree's floors, in user and system seconds
// per 10^9 bytes of JSON: inflating every file (InflateLocal) and inflating
// and splitting it (SplitLocal), the least of each of repeat runs. A tree of
// many small objects costs more per byte than one of large objects before
// any rule runs (a gzip member's header and Huffman tables, opening a
// file), so a scan's CPU per GB across trees is judged against these. It
// runs in this process and measures this process: nothing else may run in
// it meanwhile. Zero where the platform has no getrusage.
func FloorCPU(files []string, workers, repeat int) (inflate, split float64, err error) {
	best := func(cur, v float64) float64 {
		if cur == 0 || v < cur {
			return v
		}
		return cur
	}
	for range max(repeat, 1) {
		c0 := selfCPU()
		f, err := InflateLocal(files, workers)
		if err != nil {
			return 0, 0, err
		}
		c1 := selfCPU()
		s, err := SplitLocal(files, workers)
		if err != nil {
			return 0, 0, err
		}
		c2 := selfCPU()
		if f.BytesJSON > 0 {
			inflate = best(inflate, (c1-c0)/(float64(f.BytesJSON)/1e9))
			split = best(split, (c2-c1)/(float64(s.BytesJSON)/1e9))
		}
	}
	return inflate, split, nil
}
