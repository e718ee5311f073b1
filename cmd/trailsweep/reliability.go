package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// retryBackoff is the first backoff between attempts to read an object;
// tests shorten it.
var retryBackoff = 200 * time.Millisecond

// reliabilityFlags are the scan flags of retries, checkpoints and the
// error report.
type reliabilityFlags struct {
	retries       int
	checkpoint    string
	resume, force bool
	errors        string
}

func (rf *reliabilityFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVar(&rf.retries, "retries", 5, "attempts to read each object before it is marked failed (throttling, 5xx, resets, short bodies); 1 = no retries")
	f.StringVar(&rf.checkpoint, "checkpoint", "", "record progress in this directory so that an interrupted scan can be resumed; the output is written when every object is done")
	f.BoolVar(&rf.resume, "resume", false, "continue the scan recorded in --checkpoint: objects already read are skipped")
	f.BoolVar(&rf.force, "force", false, "with --resume: resume although sources, window, filters, rules or output differ; without: discard the checkpoint and start over")
	f.StringVar(&rf.errors, "errors", "", "write one JSON line per object that could not be read (uri, reason, kind) to this file")
}

func (rf *reliabilityFlags) validate() error {
	if rf.retries < 1 {
		return usageErr("--retries must be at least 1")
	}
	if (rf.resume || rf.force) && rf.checkpoint == "" {
		return usageErr("--resume and --force need --checkpoint DIR")
	}
	return nil
}

// wrap decorates a source with retries.
func (rf *reliabilityFlags) wrap(src reader.Source) reader.Source {
	return reader.Retry(src, reader.RetryOptions{Attempts: rf.retries, Base: retryBackoff})
}

// openCheckpoint opens the --checkpoint directory for this scan (nil
// without --checkpoint) and sets the window to the checkpoint's; sources
// skip the objects already done once passed through resumable.
func (rf *reliabilityFlags) openCheckpoint(sf *scanFlags, args []string, set *rule.Set, tuning *rule.Tuning, format report.Format, shard string,
	since, until *time.Time, stderr io.Writer) (*scan.Checkpoint, error) {
	if rf.checkpoint == "" {
		return nil, nil
	}
	m := scan.Manifest{
		Since: sf.since, Until: sf.until,
		Window:   scan.Window{Since: *since, Until: *until},
		Accounts: sf.accounts, Regions: sf.regions,
		RulesHash: scan.RulesHash(set),
		Output:    sf.out, Format: string(format), Raw: sf.raw,
		Shard: shard, Stage: sf.shard.stage,
	}
	if m.Stage != "" && !strings.HasPrefix(m.Stage, "s3://") {
		if abs, err := filepath.Abs(m.Stage); err == nil {
			m.Stage = abs
		}
	}
	if d := tuning.Digest(); d != "" {
		m.RulesHash += " tuning " + d // exclusions and exceptions change the findings as rules do
	}
	for _, a := range args {
		if !strings.HasPrefix(a, "s3://") {
			if abs, err := filepath.Abs(a); err == nil {
				a = abs
			}
		}
		m.Sources = append(m.Sources, a)
	}
	if sf.out != "" && sf.out != "-" {
		if abs, err := filepath.Abs(sf.out); err == nil {
			m.Output = abs
		}
	}
	ck, err := scan.OpenCheckpoint(rf.checkpoint, m, scan.CheckpointOptions{Resume: rf.resume, Force: rf.force})
	if err != nil {
		if errors.Is(err, scan.ErrCheckpointExists) || errors.Is(err, scan.ErrCheckpointMismatch) || errors.Is(err, scan.ErrNoCheckpoint) ||
			errors.Is(err, scan.ErrCheckpointVersion) {
			return nil, usageErr("--checkpoint: %w", err)
		}
		return nil, &exitError{code: exitUsage, err: fmt.Errorf("--checkpoint: %w", err)}
	}
	if ck.RulesChanged() && ck.Done() > 0 {
		fmt.Fprintf(stderr, "trailsweep: warning: resumed with another rule set (--force): the %d objects done before keep the findings and aggregate events of the rules they were read with\n", ck.Done())
	}
	w := ck.Manifest().Window
	*since, *until = w.Since, w.Until
	return ck, nil
}

// writeErrors writes one JSON line per failed object to path, atomically.
func writeErrors(path string, sum *report.Summary) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, f := range sum.Failures {
		if err := enc.Encode(struct {
			URI    string `json:"uri"`
			Reason string `json:"reason"`
			Kind   string `json:"kind"`
		}{f.URI, f.Reason, f.Kind}); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o666); err != nil {
		return fmt.Errorf("--errors: %w", err)
	}
	return nil
}
