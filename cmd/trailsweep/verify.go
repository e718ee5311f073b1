package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
)

// verifyFlags are the flags of verify.
type verifyFlags struct {
	since, until      string
	accounts, regions []string
	s3                reader.S3Options
	publicKeys        string // --public-keys FILE; "" = fetch online
	ctEndpoint        string // --cloudtrail-endpoint-url
	signatures        string // --signatures FILE
	saveSignatures    string // --save-signatures FILE
	concurrency       int
	memory, workDir   string // --memory SIZE, --work-dir DIR
}

func newVerifyCmd(stdout, stderr io.Writer) *cobra.Command {
	var vf verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [flags] SOURCE...",
		Short: "Verify log files against CloudTrail's signed digest chains (keys from --public-keys, or fetched online)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("verify needs at least one SOURCE: s3://bucket[/prefix] or a directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), &vf, args, stdout, stderr)
		},
	}
	f := cmd.Flags()
	f.StringVar(&vf.since, "since", "", "window start: RFC 3339, YYYY-MM-DD, or an age (90d, 12h)")
	f.StringVar(&vf.until, "until", "", "window end (exclusive; a bare date includes that whole day)")
	f.StringSliceVar(&vf.accounts, "accounts", nil, "only these account ids (comma list)")
	f.StringSliceVar(&vf.regions, "regions", nil, "only these regions (comma list)")
	f.StringVar(&vf.publicKeys, "public-keys", "", "CloudTrail public keys: the JSON `aws cloudtrail list-public-keys` prints; without it, fetched with CloudTrail's ListPublicKeys in each digest's home region")
	f.StringVar(&vf.ctEndpoint, "cloudtrail-endpoint-url", "", "CloudTrail endpoint URL for ListPublicKeys (without --public-keys); --endpoint-url is S3's")
	f.StringVar(&vf.signatures, "signatures", "", "digest signatures saved by --save-signatures, for a local copy (which has no S3 metadata)")
	f.StringVar(&vf.saveSignatures, "save-signatures", "", "write the digests' signatures (S3 metadata) and chain heads to this file, for a later offline verify of a copy")
	f.StringVar(&vf.s3.Profile, "profile", "", "AWS profile, as the AWS CLI means it")
	f.StringVar(&vf.s3.Region, "region", "", "AWS region for S3 requests")
	f.StringVar(&vf.s3.Endpoint, "endpoint-url", "", "S3 endpoint URL (S3-compatible stores)")
	f.BoolVar(&vf.s3.PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.BoolVar(&vf.s3.NoSign, "no-sign-request", false, "do not sign requests (public buckets)")
	f.DurationVar(&vf.s3.Timeout, "s3-timeout", reader.DefaultS3Timeout, "S3 timeout for connecting, for the first byte and for each wait for body data")
	f.IntVar(&vf.concurrency, "concurrency", 16, "objects read at once")
	f.StringVar(&vf.memory, "memory", "256MiB", "memory budget of the whole process (512MiB, 2GiB); the state kept for each log and digest entry beyond its share spills to --work-dir")
	f.StringVar(&vf.workDir, "work-dir", "", "where state that does not fit in --memory spills, in a folder of its own removed at the end (default: the OS temporary directory)")
	f.IntVar(&vf.s3.ListConcurrency, "list-concurrency", reader.DefaultListConcurrency, "S3 folders listed at once (organizations, accounts, regions, days)")
	return cmd
}

func runVerify(ctx context.Context, vf *verifyFlags, args []string, stdout, stderr io.Writer) error {
	now := time.Now()
	since, err := parseTime(vf.since, now, false)
	if err != nil {
		return usageErr("--since: %w", err)
	}
	until, err := parseTime(vf.until, now, true)
	if err != nil {
		return usageErr("--until: %w", err)
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return usageErr("--since %s is not before --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	if vf.concurrency < 1 {
		return usageErr("--concurrency must be at least 1")
	}
	if vf.s3.ListConcurrency < 1 {
		return usageErr("--list-concurrency must be at least 1")
	}
	memory, err := parseMemory(vf.memory)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp(vf.workDir, "trailsweep-work-")
	if err != nil {
		return usageErr("--work-dir: %w", err)
	}
	defer os.RemoveAll(work)
	cfg := verify.Config{
		Filter:      reader.Filter{Since: since, Until: until, Accounts: vf.accounts, Regions: vf.regions},
		Concurrency: vf.concurrency,
		Memory:      int(memory / 8),
		WorkDir:     work,
	}
	if err := loadKeys(&cfg, vf.publicKeys, vf.ctEndpoint, vf.s3); err != nil {
		return err
	}
	if vf.signatures != "" {
		b, err := os.ReadFile(vf.signatures)
		if err != nil {
			return usageErr("--signatures: %w", err)
		}
		if cfg.Signatures, err = verify.ParseManifest(b); err != nil {
			return usageErr("--signatures %s: %w", vf.signatures, err)
		}
	}
	for _, a := range args {
		src, err := reader.Open(ctx, a, vf.s3)
		if err != nil {
			return usageErr("source %s: %w", a, err)
		}
		cfg.Sources = append(cfg.Sources, src)
	}
	res, err := verify.Run(ctx, cfg)
	if e := keyFetchErr(err); e != nil {
		return e
	}
	if err != nil {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("verify: %w", err)}
	}
	if err := res.WriteText(stdout); err != nil {
		return err
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "trailsweep: cannot read %s\n", e)
	}
	if vf.saveSignatures != "" {
		m := res.Manifest
		m.Source = fmt.Sprint(args)
		m.Created = now.UTC().Format(time.RFC3339)
		data, err := m.Marshal()
		if err != nil {
			return err
		}
		if err := atomicfile.Write(vf.saveSignatures, data, 0o644); err != nil {
			return usageErr("--save-signatures: %w", err)
		}
		if len(m.Signatures) == 0 {
			fmt.Fprintln(stderr, "trailsweep: --save-signatures: no digest signature found (local sources have no S3 metadata)")
		}
	}
	switch {
	case !res.OK():
		return &exitError{code: exitIntegrity, err: errors.New("not verified")}
	case len(res.Errors) > 0:
		return &exitError{code: exitIncomplete, err: fmt.Errorf("%d object(s) could not be read", len(res.Errors))}
	}
	return nil
}

// verifyConfig checks scan's --verify flags and reads the keys and
// signatures; nil without --verify. sharded: the scan is a shard.
func verifyConfig(sf *scanFlags, sharded bool) (*verify.Config, error) {
	if !sf.verify {
		if sf.publicKeys != "" || sf.signatures != "" {
			return nil, usageErr("--public-keys and --signatures need --verify")
		}
		if sf.ctEndpoint != "" {
			return nil, usageErr("--cloudtrail-endpoint-url needs --verify")
		}
		return nil, nil
	}
	// Refused rather than half done: a resumed run does not read again the
	// logs earlier runs read, and the checkpoint keeps no hash of them; a
	// shard owns whole account/region/days, but the digest that lists a
	// log of a day's last hour is delivered the next day, which another
	// shard may own, and a chain's links and gaps cross days.
	if sf.rel.checkpoint != "" {
		return nil, usageErr("--verify with --checkpoint is not supported yet: a resumed run does not read again, and cannot hash, the logs earlier runs read; run scan --verify without --checkpoint, or trailsweep verify on its own")
	}
	if sharded {
		return nil, usageErr("--verify in a sharded scan (--shard, --stage, or the job engine's index) is not supported yet: a log's digest can be delivered in a day another shard reads, and chains cross days; run trailsweep verify over the whole window on its own")
	}
	cfg := &verify.Config{Concurrency: sf.concurrency}
	if err := loadKeys(cfg, sf.publicKeys, sf.ctEndpoint, sf.s3); err != nil {
		return nil, err
	}
	if sf.signatures != "" {
		b, err := os.ReadFile(sf.signatures)
		if err != nil {
			return nil, usageErr("--signatures: %w", err)
		}
		if cfg.Signatures, err = verify.ParseManifest(b); err != nil {
			return nil, usageErr("--signatures %s: %w", sf.signatures, err)
		}
	}
	return cfg, nil
}

// finishVerify judges the logs once the scan has read them and every
// digest, counts the states in the summary and returns the verdicts and
// each finding's integrity by its log's URI.
func finishVerify(ctx context.Context, sess *verify.Session, sum *report.Summary, stderr io.Writer) (*verify.Result, func(uri string) string, error) {
	res, err := sess.Finish(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("verify: %w", err)
	}
	sum.Spilled.Runs += res.Spilled.Runs
	sum.Spilled.Bytes += res.Spilled.Bytes
	state := map[string]string{}
	in := &report.IntegrityStats{Logs: map[string]int64{}, Digests: map[string]int64{}, Gaps: len(res.Gaps),
		Modified: []string{}, Deleted: []string{}}
	for _, l := range res.Logs {
		state[l.URI] = l.Status
		in.Logs[l.Status]++
		switch l.Status {
		case verify.LogModified:
			in.Modified = append(in.Modified, l.URI)
		case verify.LogDeleted:
			in.Deleted = append(in.Deleted, l.URI)
		}
	}
	for _, d := range res.Digests {
		in.Digests[d.Status]++
	}
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "trailsweep: verify: cannot read %s\n", e)
	}
	sum.Integrity = in
	return res, func(uri string) string {
		st, ok := state[uri]
		if !ok {
			st = state[filepath.Clean(uri)]
		}
		switch st {
		case verify.LogVerified, verify.LogModified:
			return st
		}
		return report.IntegrityUnverified
	}, nil
}

// loadKeys sets cfg's keys: read from file (--public-keys), or without it
// fetched online (see onlineKeys).
func loadKeys(cfg *verify.Config, file, endpoint string, opts reader.S3Options) error {
	if file == "" {
		cfg.FetchKeys = onlineKeys(opts, endpoint)
		return nil
	}
	if endpoint != "" {
		return usageErr("--cloudtrail-endpoint-url is for keys fetched online: not with --public-keys")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return usageErr("--public-keys: %w", err)
	}
	if cfg.Keys, err = verify.ParseKeys(b); err != nil {
		return usageErr("--public-keys %s: %w", file, err)
	}
	return nil
}
