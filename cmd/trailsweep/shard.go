package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// Environment variables a job engine sets for each member of a job array.
const (
	envK8sIndex   = "JOB_COMPLETION_INDEX"      // Kubernetes Indexed Job
	envBatchIndex = "AWS_BATCH_JOB_ARRAY_INDEX" // AWS Batch array job child
	envBatchSize  = "AWS_BATCH_JOB_ARRAY_SIZE"  // set by our Batch job definition (Batch does not set it itself)
	envShards     = "TRAILSWEEP_SHARDS"         // the number of shards, when the engine gives only the index
)

// shardFlags are the scan flags of a sharded hunt.
type shardFlags struct {
	shard  string // --shard I/N
	shards int    // --shards N
	stage  string // --stage DIR
}

func (sh *shardFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&sh.shard, "shard", "", "scan shard I of N (0-based, I/N) of the listing; default: from "+envK8sIndex+" or "+envBatchIndex)
	f.IntVar(&sh.shards, "shards", 0, "the number of shards when the index comes from the job engine (or "+envShards+")")
	f.StringVar(&sh.stage, "stage", "", "directory where a shard writes its aggregate rules' events for trailsweep reduce")
}

// spec resolves the shard this scan is, from --shard, or from the job
// engine's index and --shards (or the engine's size, or TRAILSWEEP_SHARDS).
// ok is false for an unsharded scan.
func (sh *shardFlags) spec(getenv func(string) string) (s reader.ShardSpec, ok bool, err error) {
	count := func(what string) (int, error) {
		if sh.shards > 0 {
			return sh.shards, nil
		}
		for _, k := range []string{envBatchSize, envShards} {
			if k == envBatchSize && what != envBatchIndex {
				continue
			}
			if v := getenv(k); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil {
					return 0, usageErr("%s=%q: not a number", k, v)
				}
				return n, nil
			}
		}
		return 0, usageErr("%s is set: give the number of shards with --shards N or %s", what, envShards)
	}
	switch {
	case sh.shard != "":
		i, n, found := strings.Cut(sh.shard, "/")
		var e1, e2 error
		s.Index, e1 = strconv.Atoi(i)
		s.Count, e2 = strconv.Atoi(n)
		if !found || e1 != nil || e2 != nil {
			return s, false, usageErr("--shard %q: want I/N, such as 3/16", sh.shard)
		}
		if sh.shards > 0 && sh.shards != s.Count {
			return s, false, usageErr("--shard %s and --shards %d disagree", sh.shard, sh.shards)
		}
	case getenv(envK8sIndex) != "" || getenv(envBatchIndex) != "":
		what := envK8sIndex
		if getenv(what) == "" {
			what = envBatchIndex
		}
		v := getenv(what)
		if s.Index, err = strconv.Atoi(v); err != nil {
			return s, false, usageErr("%s=%q: not a number", what, v)
		}
		if s.Count, err = count(what); err != nil {
			return s, false, err
		}
	case sh.shards > 0:
		return s, false, usageErr("--shards %d needs --shard I/N, or %s or %s from the job engine", sh.shards, envK8sIndex, envBatchIndex)
	case sh.stage != "":
		return reader.ShardSpec{Index: 0, Count: 1}, true, nil // one machine staging for reduce
	default:
		return s, false, nil
	}
	if !s.Valid() {
		return s, false, usageErr("shard %s: want 0 ≤ I < N", s)
	}
	return s, true, nil
}

// reduceFlags are the reduce command's settings.
type reduceFlags struct {
	rules                ruleFlags
	stage                string
	out, format, summary string
	memory, workDir      string
	quiet                bool
	s3                   reader.S3Options // for a stage or --out on S3
}

func newReduceCmd(stdout, stderr io.Writer) *cobra.Command {
	var rf reduceFlags
	cmd := &cobra.Command{
		Use:   "reduce --stage DIR [--out FILE] [rule flags]",
		Short: "Decide the aggregate rules of a sharded hunt over every shard's staged events",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReduce(cmd.Context(), &rf, stdout, stderr)
		},
	}
	f := cmd.Flags()
	rf.rules.add(cmd)
	rf.rules.needRules = true
	f.StringVar(&rf.stage, "stage", "", "the stage directory (or s3://bucket/prefix/) the shards wrote (required)")
	f.StringVar(&rf.out, "out", "", "aggregate findings file, or s3://bucket/prefix/ for aggregate-00000-of-00001.EXT; format from the extension .parquet .csv .jsonl; '-' = JSONL to stdout (default: a table on stdout)")
	f.StringVar(&rf.format, "format", "", "parquet|csv|jsonl, overrides the extension")
	f.StringVar(&rf.summary, "summary", "", "also write the summary as JSON to this file")
	f.StringVar(&rf.memory, "memory", "256MiB", "memory budget; aggregate state beyond its share spills to --work-dir")
	f.StringVar(&rf.workDir, "work-dir", "", "where state that does not fit in --memory spills (default: the OS temporary directory)")
	f.BoolVarP(&rf.quiet, "quiet", "q", false, "print no summary on stderr")
	f.StringVar(&rf.s3.Profile, "profile", "", "AWS profile, as the AWS CLI means it")
	f.StringVar(&rf.s3.Region, "region", "", "AWS region for S3 requests")
	f.StringVar(&rf.s3.Endpoint, "endpoint-url", "", "S3 endpoint URL (S3-compatible stores)")
	f.BoolVar(&rf.s3.PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.DurationVar(&rf.s3.Timeout, "s3-timeout", reader.DefaultS3Timeout, "S3 timeout for connecting, for the first byte of a response and for each wait for body data")
	return cmd
}

func runReduce(ctx context.Context, rf *reduceFlags, stdout, stderr io.Writer) error {
	if rf.stage == "" {
		return usageErr("reduce needs --stage DIR")
	}
	memory, err := parseMemory(rf.memory)
	if err != nil {
		return err
	}
	var format report.Format
	if isS3(rf.out) {
		if format, err = s3Format(rf.format); err != nil {
			return err
		}
	} else if rf.out != "" && rf.out != "-" || rf.format != "" {
		if format, err = report.FormatFor(rf.out, rf.format); err != nil {
			return usageErr("--out/--format: %w", err)
		}
	}
	set, err := rf.rules.load(stderr)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(rf.workDir, "trailsweep-work-")
	if err != nil {
		return usageErr("--work-dir: %w", err)
	}
	defer os.RemoveAll(work)
	dir, err := stageDir(ctx, rf.stage, rf.s3)
	if err != nil {
		return err
	}
	var w report.Writer
	outURI := rf.out
	switch {
	case isS3(rf.out):
		p, err := s3Folder(ctx, "--out", rf.out, rf.s3)
		if err != nil {
			return err
		}
		up := p.Create(ctx, partName("aggregate", 0, 1, format))
		outURI = up.URI()
		if w, err = report.NewTo(up, format, report.Options{}); err != nil {
			return usageErr("--out %s: %w", rf.out, err)
		}
	case rf.out == "":
		w = report.NewTable(stdout)
	case rf.out == "-":
		w = report.NewJSONL(stdout, report.Options{})
	default:
		if w, err = report.Create(rf.out, format, report.Options{}); err != nil {
			return usageErr("--out %s: %w", rf.out, err)
		}
	}
	res, err := scan.Reduce(ctx, scan.ReduceConfig{Dir: dir, Rules: set, Memory: memory, WorkDir: work, Output: w})
	if err != nil {
		if errors.Is(err, scan.ErrStageIncomplete) || errors.Is(err, scan.ErrStageMismatch) || res == nil {
			return &exitError{code: exitUsage, err: err}
		}
		return &exitError{code: exitIncomplete, err: err}
	}
	if res.OutputErr != nil {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("--out: %w", res.OutputErr)}
	}
	sum := res.Summary
	if rf.out != "" && rf.out != "-" {
		sum.Output = outURI
	}
	sum.Version = buildVersion()
	if rf.summary != "" {
		if err := writeSummary(rf.summary, sum); err != nil {
			return &exitError{code: exitIncomplete, err: err}
		}
	}
	if !rf.quiet {
		fmt.Fprintln(stderr)
		_ = sum.WriteText(stderr)
	}
	if sum.Objects.Failed > 0 {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("%d object(s) could not be read by the shards (listed above)", sum.Objects.Failed)}
	}
	return nil
}

// hasAggregate reports whether set runs an aggregate rule.
func hasAggregate(set *rule.Set) bool {
	for _, r := range set.Runnable() {
		if r.Aggregate() {
			return true
		}
	}
	return false
}
