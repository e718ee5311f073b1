package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailsweep/trailsweep/reader"
)

// SplitLocal is InflateLocal plus the scanner's record splitter: each file
// is inflated and split into records by reader.Decoder, which checks every
// record's JSON grammar and UTF-8 and indexes its members, with no rule,
// ECS view or output. It is the least a scan that must read every record
// exactly (or count it malformed) can cost with this splitter: a scan's
// cost above it is rules, findings and bookkeeping.
func SplitLocal(files []string, workers int) (Throughput, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next, jsonBytes, gzBytes, records atomic.Int64
	start := time.Now()
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			var buf bytes.Buffer
			var d *reader.Decoder
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return nil
				}
				buf.Reset()
				f, err := os.Open(files[i])
				if err != nil {
					return err
				}
				_, err = buf.ReadFrom(f)
				f.Close()
				if err != nil {
					return err
				}
				gzBytes.Add(int64(buf.Len()))
				r := bytes.NewReader(buf.Bytes())
				if d == nil {
					d, err = reader.NewDecoder(r, reader.DecodeOptions{})
				} else {
					err = d.Reset(r)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", files[i], err)
				}
				n, err := splitAll(d)
				if err != nil {
					return fmt.Errorf("%s: %w", files[i], err)
				}
				records.Add(n)
				jsonBytes.Add(d.BytesOut())
			}
		})
	}
	err := g.Wait()
	return newThroughput(time.Since(start), jsonBytes.Load(), gzBytes.Load(), records.Load()), err
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
