package scan

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// HuntConfig is one hunt: a scan (Config) and what surrounds it — the
// new_terms history read first, a checkpoint to resume and finish, the
// stage of a shard, the output to commit or abort. The CLI fills it from
// its flags; Hunt does the rest.
type HuntConfig struct {
	// Config is the main scan. Its Sources are read as given (sharded,
	// retried, observed by the caller); Hunt sets its Aggregator.
	Config

	// History, when set, is read before the main scan, feeding only the
	// new_terms rules' history (no findings); nil: their history starts at
	// Filter.Since.
	History *History

	// Checkpoint, when set, records the run's progress: the main scan
	// skips the objects it holds as done, and Hunt finishes it (every
	// run's findings and aggregate events decided at once) when every
	// object was read or failed. The caller opens and closes it.
	Checkpoint *Checkpoint

	// Stage, when set, makes the hunt a shard of a sharded hunt: the
	// aggregate rules' events (the history's included) go to its stage
	// file for Reduce, and only per-record findings to Output. The file
	// is committed only when the shard read its whole share.
	Stage StageDir
	// StageHeader names the shard (Shard, Shards) and the sources as
	// given (Sources), as every shard of the hunt must; Hunt fills the
	// rest (window, filters, rules, the aggregate rules' history).
	StageHeader StageHeader

	// Output gets the findings in output order (Hunt sorts them within
	// an eighth of Memory, spilling to WorkDir). It is closed when the
	// hunt read everything or was interrupted without a checkpoint (what
	// was found is kept), and aborted otherwise.
	Output report.Writer

	// Integrity, when set, is called once the main scan read every object,
	// before Output is closed: it may complete the summary (log
	// integrity) and returns each finding's integrity by its source URI
	// (report.Sorted.SetIntegrity). Its error ends the hunt as a scan
	// error would.
	Integrity func(ctx context.Context, sum *report.Summary) (func(sourceURI string) string, error)

	// Notice, when set, gets what the user should know as it happens:
	// the history pre-scan's totals, progress saved to the checkpoint.
	Notice func(msg string)
}

// History is a new_terms history pre-scan: Sources read over Filter
// before the main scan. Its Filter.Since is where the history starts
// (zero: as far back as the sources go).
type History struct {
	Sources []reader.Source
	Filter  reader.Filter
	Name    string // how the summary and notices name it (rule.AggOptions.HistorySource)
}

// Result is what a hunt or a reduction did.
type Result struct {
	// Summary is the run's account: every object listed, the findings,
	// the spill. With a checkpoint, the totals of every run.
	Summary *report.Summary
	// Written is set when Output was closed holding every finding.
	Written bool
	// StageErr and OutputErr say that the stage file or the output
	// could not be written once the objects were read; the summary is
	// then marked incomplete.
	StageErr, OutputErr error
}

// Hunt runs one hunt: the history pre-scan, the main scan (resuming a
// checkpoint), the checkpoint's finish, the shard's stage commit, and the
// commit or abort of the output. Its error is the scan's: ErrInterrupted
// (wrapped) when ctx ended first (with a checkpoint, progress is saved and
// the output aborted), or what ended the scan; the Result is still filled.
// Objects that cannot be read are not errors (Summary.Failures). When the
// hunt cannot start (the stage cannot be created, the history pre-scan
// fails), Hunt returns a nil Result with the error, the output aborted.
func Hunt(ctx context.Context, hc HuntConfig) (*Result, error) {
	cfg := hc.Config
	sorted := report.NewSorted(hc.Output, cfg.SortOptions())
	start := cfg.Filter.Since
	if hc.History != nil {
		start = hc.History.Filter.Since
	}
	opts := cfg.AggOptions(start)
	if hc.History != nil {
		opts.HistorySource = hc.History.Name
	}
	cfg.Aggregator = rule.NewAggregator(opts)
	defer cfg.Aggregator.Close()

	var stage *Stage
	var sink Sink = sorted
	if hc.Stage != nil {
		h := hc.StageHeader
		h.Window = Window{Since: cfg.Filter.Since, Until: cfg.Filter.Until}
		h.Accounts, h.Regions = cfg.Filter.Accounts, cfg.Filter.Regions
		h.RulesHash, h.AggStart, h.HistorySource = RulesHash(cfg.Rules), opts.Start, opts.HistorySource
		var err error
		if stage, err = CreateStage(ctx, hc.Stage, h, sorted); err != nil {
			_ = sorted.Abort()
			return nil, err
		}
		defer stage.Abort() // after Commit, it does nothing
		sink = stage
	}
	if hc.History != nil {
		if err := hc.history(ctx, cfg, stage); err != nil {
			_ = sorted.Abort()
			return nil, err
		}
	}
	ck := hc.Checkpoint
	if ck != nil {
		// Only the main scan skips done objects: the history reads its
		// whole span again. Findings go to the checkpoint, and from it to
		// the output as each batch is committed; a shard's aggregate
		// events to its stage, every run's.
		srcs := make([]reader.Source, len(cfg.Sources))
		for i, s := range cfg.Sources {
			srcs[i] = ck.Source(s)
		}
		cfg.Sources = srcs
		sink = ck
		if stage != nil {
			ck.StageTo(stage)
		}
		ck.Start(sorted, cfg.Aggregator)
	}
	sum, err := Run(ctx, cfg, sink)
	if ck != nil {
		if cfg.Progress != nil && err == nil {
			cfg.Progress(Progress{Phase: "writing the output", Listed: sum.Objects.Listed, Done: sum.Objects.Scanned,
				Failed: sum.Objects.Failed, BytesRead: sum.BytesRead, Findings: sum.Findings})
		}
		sum, err = hc.finishCheckpoint(sorted, cfg, sum, err)
	}
	interrupted := errors.Is(err, ErrInterrupted)
	sum.Interrupted = interrupted
	res := &Result{Summary: sum}
	if stage != nil && err == nil {
		// Only a shard that read its whole share stages: Reduce refuses a
		// hunt with a shard missing rather than decide on part of it.
		if res.StageErr = stage.Commit(sum); res.StageErr != nil {
			sum.Complete = false
		}
	}
	if hc.Integrity != nil && err == nil {
		integrity, ierr := hc.Integrity(ctx, sum)
		if ierr != nil {
			err = ierr
		} else {
			sorted.SetIntegrity(integrity)
		}
	}
	// Keep what was found, also when interrupted, unless a checkpoint
	// holds it for the resumed run to write.
	res.commit(sorted, err == nil || interrupted && ck == nil)
	return res, err
}

// history reads hc.History into cfg's Aggregator, or, for a shard, into
// its stage.
func (hc *HuntConfig) history(ctx context.Context, cfg Config, stage *Stage) error {
	h := hc.History
	hcfg := cfg
	hcfg.Sources, hcfg.Filter = h.Sources, h.Filter
	hcfg.HistoryOnly, hcfg.Progress = true, nil
	hcfg.Ledger, hcfg.Verify = nil, nil
	var sink Sink = discard{}
	if stage != nil {
		sink = stage
	}
	began := time.Now()
	sum, err := Run(ctx, hcfg, sink)
	if err != nil {
		return fmt.Errorf("%s: %w", h.Name, err)
	}
	hc.notice(fmt.Sprintf("%s: %d objects, %d records read in %s", h.Name,
		sum.Objects.Scanned, sum.Records.Read, time.Since(began).Round(time.Millisecond)))
	return nil
}

// finishCheckpoint ends a checkpointed scan: it commits what was done and,
// when every listed object was read or failed, writes the combined output
// to w, the aggregate rules decided over every run's events (and the
// history's), and returns the summary of the whole run.
func (hc *HuntConfig) finishCheckpoint(w report.Writer, cfg Config, sum *report.Summary, scanErr error) (*report.Summary, error) {
	ck := hc.Checkpoint
	if err := ck.Flush(); err != nil {
		return sum, errors.Join(scanErr, err)
	}
	if scanErr != nil {
		if errors.Is(scanErr, ErrInterrupted) {
			hc.notice(fmt.Sprintf("progress saved; run again with --resume to continue (%d objects done before this run)", ck.Done()))
		}
		return sum, scanErr
	}
	total, err := ck.Finish(w, sum, cfg.Rules, cfg.Aggregator)
	if err != nil {
		return sum, err
	}
	return total, nil
}

func (hc *HuntConfig) notice(msg string) {
	if hc.Notice != nil {
		hc.Notice(msg)
	}
}

// commit closes the sorted output when keep is set, else aborts it, and
// counts its spill in the summary.
func (res *Result) commit(sorted *report.Sorted, keep bool) {
	sum := res.Summary
	if !keep {
		_ = sorted.Abort()
	} else if err := sorted.Close(); err != nil {
		res.OutputErr = err
		sum.Complete = false
	} else {
		res.Written = true
	}
	runs, spilt := sorted.Spilt()
	sum.Spilled.Runs += runs
	sum.Spilled.Bytes += spilt
}

// discard is a Sink that drops findings (a history scan has none).
type discard struct{}

func (discard) Write(*report.Finding) error { return nil }
