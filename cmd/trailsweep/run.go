package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/atomicfile"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/internal/s3obj"
	"github.com/trailsweep/trailsweep/internal/sigma"
	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// Exit codes: the contract scripts rely on.
const (
	exitOK         = 0 // scan complete, findings or not
	exitFindings   = 1 // findings, only with --fail-on-findings
	exitUsage      = 2 // usage or configuration error
	exitIncomplete = 3 // the scan finished but some objects could not be read, or it was interrupted
	exitNothing    = 4 // a source listed no object to read under the filters: nothing was hunted there
	exitIntegrity  = 5 // verify: a log or digest is modified, deleted, moved, missing or unverifiable, or a chain has a gap
)

// version is set with -ldflags "-X main.version=…"; otherwise it comes from
// the module build information.
var version = ""

// wrapSource, when set (by tests), decorates every source the scan reads.
var wrapSource func(reader.Source) reader.Source

// exitError carries an exit code up to run, the one place errors become codes.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// run is the whole CLI: it parses args, runs the command and maps the outcome
// to an exit code. Tests call it in-process. stdin is read by a scan of the
// source "-".
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitFindings && ee.code != exitIntegrity {
			fmt.Fprintf(stderr, "trailsweep: %s\n", report.Clean(reader.Redact(ee.err.Error())))
		}
		return ee.code
	}
	// Anything cobra itself reports (unknown flag, bad value, missing
	// argument) is a usage error.
	fmt.Fprintf(stderr, "trailsweep: %s\n", cleanLines(strings.TrimRight(reader.Redact(err.Error()), "\n")))
	fmt.Fprintln(stderr, "Run 'trailsweep --help' for usage.")
	return exitUsage
}

// cleanLines is report.Clean line by line: the newlines of a message of
// several lines (cobra's "Did you mean this?") stay newlines and its tabs
// become two spaces.
func cleanLines(msg string) string {
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		lines[i] = report.Clean(strings.ReplaceAll(l, "\t", "  "))
	}
	return strings.Join(lines, "\n")
}

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "trailsweep",
		Short:         "Run detection rules over AWS CloudTrail logs in S3 or on disk",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildVersion(),
	}
	root.SetVersionTemplate("trailsweep {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.CompletionOptions.DisableDefaultCmd = true
	root.AddCommand(newScanCmd(stdin, stdout, stderr), newReduceCmd(stdout, stderr), newRulesCmd(stdout, stderr),
		newExplainCmd(stdout, stderr), newVerifyCmd(stdout, stderr), newReportCmd(stdout, stderr), newVersionCmd(stdout))
	addHelp(root)
	return root
}

func newVersionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(stdout, "trailsweep %s\n", buildVersion())
			return nil
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// ruleFlags are shared by scan and rules.
type ruleFlags struct {
	paths   []string
	queries []string
	strict  bool
	sel     selectFlags // --min-severity, --rule-id, --exclude-rule-id, --tactic, --technique, --rule-type

	statuses     []string // --status: Sigma rule statuses to keep
	placeholders string   // --sigma-placeholders FILE

	// needRules makes a load that leaves no rule to run a usage error
	// naming what emptied it (scan sets it: never a silent empty hunt).
	needRules bool
	// loadErrs are the rule files that failed to load, for the summary.
	loadErrs []string
}

func (rf *ruleFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&rf.paths, "rules", nil, "rule file or directory, repeatable (default: the built-in rules)")
	cmd.Flags().StringArrayVar(&rf.queries, "query", nil, "ad-hoc KQL rule, repeatable; with --query and no --rules only the queries run")
	cmd.Flags().BoolVar(&rf.strict, "strict", false, "treat any rule that fails to load as a fatal error")
	rf.sel.add(cmd)
	cmd.Flags().StringSliceVar(&rf.statuses, "status", nil, "only Sigma rules of these statuses: stable,test,experimental (comma list; other sources unaffected)")
	cmd.Flags().StringVar(&rf.placeholders, "sigma-placeholders", "", "YAML file of Sigma placeholder values (name: [values]) for the |expand modifier")
}

// load builds the rule set: the built-in rules when neither --rules nor
// --query is given. Files that fail to load are reported on stderr and
// skipped, or are fatal with --strict.
func (rf *ruleFlags) load(stderr io.Writer) (*rule.Set, error) {
	var rules []*rule.Rule
	if len(rf.paths) == 0 && len(rf.queries) == 0 {
		b, err := rule.Builtin()
		if err != nil {
			return nil, fmt.Errorf("built-in rules: %w", err)
		}
		rules = b
	}
	if len(rf.paths) > 0 {
		for _, p := range rf.paths {
			if _, err := os.Stat(p); err != nil {
				return nil, usageErr("--rules %s: %w", p, err)
			}
		}
		var opts rule.Options
		if rf.placeholders != "" {
			data, err := os.ReadFile(rf.placeholders)
			if err != nil {
				return nil, usageErr("--sigma-placeholders: %w", err)
			}
			if opts.SigmaPlaceholders, err = sigma.ParsePlaceholders(data); err != nil {
				return nil, usageErr("--sigma-placeholders %s: %w", rf.placeholders, err)
			}
		}
		loaded, errs := rule.LoadWith(rf.paths, opts)
		for _, e := range errs {
			fmt.Fprintf(stderr, "trailsweep: rule not loaded: %s\n", report.Clean(e.Error()))
			rf.loadErrs = append(rf.loadErrs, e.Error())
		}
		if len(errs) > 0 && rf.strict {
			return nil, usageErr("%d rule file(s) failed to load (--strict)", len(errs))
		}
		rules = append(rules, loaded...)
	}
	if len(rf.queries) > 0 {
		adhoc, err := rule.Adhoc(rf.queries)
		if err != nil {
			return nil, usageErr("%w", err)
		}
		rules = append(rules, adhoc...)
	}
	if rf.needRules && len(rules) == 0 {
		return nil, usageErr("no rule to run: --rules %s loaded no rule (%d file(s) failed to load)",
			strings.Join(rf.paths, ", "), len(rf.loadErrs))
	}
	loaded := rules
	rules, err := rf.sel.apply(rules)
	if err != nil {
		return nil, err
	}
	if rf.needRules && len(rules) == 0 {
		return nil, usageErr("no rule to run: %s selects none of the %d loaded rule(s)", rf.sel.sel.Emptied(loaded), len(loaded))
	}
	selected := len(rules)
	if rules, err = rule.SelectStatus(rules, rf.statuses); err != nil {
		return nil, usageErr("%w", err)
	}
	if rf.needRules && len(rules) == 0 {
		return nil, usageErr("no rule to run: --status %s keeps none of the %d selected rule(s)", strings.Join(rf.statuses, ","), selected)
	}
	set, err := rule.NewSet(rules)
	if err != nil {
		return nil, usageErr("%w", err)
	}
	if rf.needRules && len(set.Runnable()) == 0 {
		return nil, usageErr("no rule to run: none of the %d selected rule(s) is supported (trailsweep rules says why)", len(rules))
	}
	return set, nil
}

func newRulesCmd(stdout, stderr io.Writer) *cobra.Command {
	var rf ruleFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the loaded rules, whether each can run, and why not",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			set, err := rf.load(stderr)
			if err != nil {
				return err
			}
			infos := rule.Describe(set.All())
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(infos)
			}
			tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSOURCE\tTYPE\tSEVERITY\tSTATUS\tSUPPORTED\tNAME\tREASON")
			supported := 0
			var fps []rule.Info
			for _, in := range infos {
				if in.Supported {
					supported++
				}
				if len(in.FalsePositives) > 0 && in.Source == rule.SourceSigma {
					fps = append(fps, in)
				}
				status := in.Status
				if status == "" {
					status = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%t\t%s\t%s\n", report.Clean(in.ID), in.Source, report.Clean(in.Type),
					report.Clean(in.Severity), report.Clean(status), in.Supported, report.Clean(in.Name), report.Clean(in.Reason))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(fps) > 0 {
				fmt.Fprintln(stdout, "\nFalse positives (Sigma):")
				for _, in := range fps {
					fmt.Fprintf(stdout, "  %s %s\n", report.Clean(in.ID), report.Clean(in.Name))
					for _, fp := range in.FalsePositives {
						fmt.Fprintf(stdout, "    - %s\n", report.Clean(fp))
					}
				}
			}
			fmt.Fprintf(stdout, "\n%d rules, %d supported, %d not supported\n", len(infos), supported, len(infos)-supported)
			return nil
		},
	}
	rf.add(cmd)
	cmd.AddCommand(newRulesLintCmd(stdout, stderr))
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON array of {id,name,source,type,language,severity,supported,reason}")
	return cmd
}

// scanFlags are the scan command's settings, straight from the flags.
type scanFlags struct {
	rules                ruleFlags
	since, until         string
	accounts, regions    []string
	out, format, summary string
	html                 string // --html FILE: the HTML report
	raw, failOnFindings  bool
	s3                   reader.S3Options
	concurrency, workers int
	maxRecord            int
	maxObject            int64
	quiet                bool
	excludes             []string         // --exclude KQL
	exceptions           string           // --exceptions FILE
	history              string           // --history WINDOW|PATH for new_terms rules
	memory, workDir      string           // --memory SIZE, --work-dir DIR
	rel                  reliabilityFlags // --retries, --checkpoint, --resume, --force, --errors
	shard                shardFlags       // --shard, --shards, --stage
	verify               bool             // --verify
	publicKeys           string           // --public-keys FILE; "" = fetch online
	ctEndpoint           string           // --cloudtrail-endpoint-url
	signatures           string           // --signatures FILE
	evidence             string           // --evidence FILE
	commandLine          []string         // the command line as parsed, for --evidence
}

func newScanCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var sf scanFlags
	cmd := &cobra.Command{
		Use:   "scan [flags] SOURCE...",
		Short: "Scan CloudTrail logs (s3://bucket[/prefix], a file or a directory) with the rules",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("scan needs at least one SOURCE: s3://bucket[/prefix], a file or a directory")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			sf.commandLine = commandLine(cmd, args)
			return runScan(cmd.Context(), &sf, args, stdin, stdout, stderr)
		},
	}
	f := cmd.Flags()
	sf.rules.add(cmd)
	sf.rules.needRules = true
	f.StringVar(&sf.since, "since", "", "event-time window start: RFC 3339, YYYY-MM-DD, or an age (90d, 12h)")
	f.StringVar(&sf.until, "until", "", "event-time window end (exclusive; a bare date includes that whole day)")
	f.StringSliceVar(&sf.accounts, "accounts", nil, "only these account ids (comma list), applied to the key path before any GET")
	f.StringSliceVar(&sf.regions, "regions", nil, "only these regions (comma list), applied to the key path before any GET")
	f.StringVar(&sf.out, "out", "", "findings file; format from the extension .parquet .csv .jsonl; '-' = stdout, JSONL unless --format (default: a table on stdout)")
	f.StringVar(&sf.format, "format", "", "parquet|csv|jsonl, overrides the extension")
	f.BoolVar(&sf.raw, "raw", false, "also write each matching record's raw JSON")
	f.StringVar(&sf.summary, "summary", "", "also write the summary as JSON to this file; '-' = stdout (the findings table then goes to stderr)")
	f.StringVar(&sf.html, "html", "", "also write a self-contained HTML report of the findings and the coverage")
	f.StringVar(&sf.s3.Profile, "profile", "", "AWS profile, as the AWS CLI means it")
	f.StringVar(&sf.s3.Region, "region", "", "AWS region for S3 requests")
	f.StringVar(&sf.s3.Endpoint, "endpoint-url", "", "S3 endpoint URL (S3-compatible stores)")
	f.BoolVar(&sf.s3.PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.BoolVar(&sf.s3.NoSign, "no-sign-request", false, "do not sign requests (public buckets)")
	f.DurationVar(&sf.s3.Timeout, "s3-timeout", reader.DefaultS3Timeout, "S3 timeout for connecting, for the first byte of a response and for each wait for body data; a request that times out is retried")
	f.IntVar(&sf.concurrency, "concurrency", 64, "concurrent S3 GETs")
	f.IntVar(&sf.s3.ListConcurrency, "list-concurrency", reader.DefaultListConcurrency, "S3 folders listed at once (organizations, accounts, regions, days)")
	f.IntVar(&sf.workers, "workers", 0, "CPU workers (default GOMAXPROCS)")
	f.IntVar(&sf.maxRecord, "max-record-bytes", 8<<20, "largest record accepted; larger ones fail their object")
	f.Int64Var(&sf.maxObject, "max-object-bytes", 2<<30, "largest decompressed object accepted (gzip bombs)")
	f.BoolVar(&sf.failOnFindings, "fail-on-findings", false, "exit 1 when there are findings")
	f.BoolVarP(&sf.quiet, "quiet", "q", false, "print no summary on stderr")
	f.StringArrayVar(&sf.excludes, "exclude", nil, "KQL over the ECS view: drop matching records before any rule sees them, repeatable")
	f.StringVar(&sf.exceptions, "exceptions", "", "YAML file of exceptions: a list of {rule: ID|*, query: KQL, reason: text}; a match of that rule on a record the query matches is dropped")
	f.StringVar(&sf.history, "history", "", "new_terms history: a window before --since (30d) or a path/s3:// URI read as history only")
	f.StringVar(&sf.memory, "memory", "256MiB", "memory budget of the whole process (512MiB, 2GiB); aggregate rules' state beyond its share spills to --work-dir")
	f.StringVar(&sf.workDir, "work-dir", "", "where state that does not fit in --memory spills, in a folder of its own removed at the end (default: the OS temporary directory)")
	f.BoolVar(&sf.verify, "verify", false, "also check each log against CloudTrail's signed digests, in the same pass: an integrity column on every finding")
	f.StringVar(&sf.publicKeys, "public-keys", "", "with --verify: CloudTrail public keys, the JSON `aws cloudtrail list-public-keys` prints; without it, fetched with CloudTrail's ListPublicKeys in each digest's home region")
	f.StringVar(&sf.ctEndpoint, "cloudtrail-endpoint-url", "", "with --verify and no --public-keys: CloudTrail endpoint URL for ListPublicKeys; --endpoint-url is S3's")
	f.StringVar(&sf.signatures, "signatures", "", "with --verify: digest signatures saved by verify --save-signatures, for a local copy")
	f.StringVar(&sf.evidence, "evidence", "", "also write a JSON record of the scan: version, command line, window, rule set hash, every object's key, ETag, size and SHA-256, the findings file's SHA-256 (and with --verify each object's integrity, chain heads and gaps)")
	sf.rel.add(cmd)
	sf.shard.add(cmd)
	return cmd
}

// runScan is the scan command: its flags become a HuntConfig, scan.Hunt
// runs the hunt, and its Result becomes the outputs and the exit code.
func runScan(ctx context.Context, sf *scanFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var sc scanCmd
	defer sc.close()
	hc, err := sc.config(ctx, sf, args, stdin, stdout, stderr)
	if err != nil {
		return err
	}
	res, err := scan.Hunt(ctx, hc)
	sc.finish()
	if res == nil { // the stage or the history could not be read
		if errors.Is(err, scan.ErrInterrupted) {
			// Interrupted in the --history pass, before the scan proper:
			// nothing was written, and the scan is as incomplete as one
			// interrupted later.
			return &exitError{code: exitIncomplete, err: fmt.Errorf("%w; nothing written", err)}
		}
		return &exitError{code: exitUsage, err: err}
	}
	return sc.report(ctx, sf, res, err, stdout, stderr)
}

// scanCmd is what the scan command keeps from its config to its report.
type scanCmd struct {
	set    *rule.Set
	memory int64
	outURI string           // the findings' file or S3 object
	covs   []*covered       // the main scan's sources, observed
	html   *report.HTML     // --html
	ev     *report.Evidence // --evidence
	vres   *verify.Result   // --verify's verdicts, once the hunt read everything
	finish func()           // ends the progress line
	closes []func()
}

// onClose has close call f, in the reverse order of registration.
func (sc *scanCmd) onClose(f func()) { sc.closes = append(sc.closes, f) }

func (sc *scanCmd) close() {
	for i := len(sc.closes) - 1; i >= 0; i-- {
		sc.closes[i]()
	}
}

// config maps the scan flags to the hunt's config, opening what it reads
// and writes: sources, checkpoint, output. What must be released at the
// end is released by close, also after an error.
func (sc *scanCmd) config(ctx context.Context, sf *scanFlags, args []string, stdin io.Reader, stdout, stderr io.Writer) (hc scan.HuntConfig, err error) {
	fail := func(err error) (scan.HuntConfig, error) { return scan.HuntConfig{}, err }
	now := time.Now()
	since, err := parseTime(sf.since, now, false)
	if err != nil {
		return fail(usageErr("--since: %w", err))
	}
	until, err := parseTime(sf.until, now, true)
	if err != nil {
		return fail(usageErr("--until: %w", err))
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return fail(usageErr("--since %s is not before --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339)))
	}
	if sf.concurrency < 1 {
		return fail(usageErr("--concurrency must be at least 1"))
	}
	if sf.s3.ListConcurrency < 1 {
		return fail(usageErr("--list-concurrency must be at least 1"))
	}
	if sf.s3.Timeout <= 0 {
		return fail(usageErr("--s3-timeout must be positive"))
	}
	if sf.workers < 0 {
		return fail(usageErr("--workers must not be negative"))
	}
	if sf.maxRecord <= 0 || sf.maxObject <= 0 {
		return fail(usageErr("--max-record-bytes and --max-object-bytes must be positive"))
	}
	if err := sf.rel.validate(); err != nil {
		return fail(err)
	}
	if sf.summary == report.Stdout && sf.out == report.Stdout {
		return fail(usageErr("--summary - and --out - both want stdout: give one of them a file"))
	}
	if err := checkPaths(sf); err != nil {
		return fail(err)
	}
	spec, sharded, err := sf.shard.spec(os.Getenv)
	if err != nil {
		return fail(err)
	}
	if sf.evidence != "" && sf.rel.checkpoint != "" {
		return fail(usageErr("--evidence with --checkpoint is not supported yet: a resumed run does not read again what earlier runs read"))
	}
	if isS3(sf.rel.checkpoint) {
		return fail(usageErr("--checkpoint on S3 is not supported: give a local directory (the stage and --out may be on S3)"))
	}
	shardSpec := "" // recorded in a checkpoint: a resume must be the same shard
	if sharded || sf.shard.stage != "" {
		shardSpec = spec.String()
	}
	vcfg, err := verifyConfig(sf, sharded)
	if err != nil {
		return fail(err)
	}
	memory, err := parseMemory(sf.memory)
	if err != nil {
		return fail(err)
	}
	work, err := os.MkdirTemp(sf.workDir, "trailsweep-work-")
	if err != nil {
		return fail(usageErr("--work-dir: %w", err))
	}
	sc.onClose(func() { os.RemoveAll(work) })
	var format report.Format
	var outDir *s3obj.Prefix // --out s3://bucket/prefix/: one object a shard
	if isS3(sf.out) {
		if format, err = s3Format(sf.format); err != nil {
			return fail(err)
		}
		if outDir, err = s3Folder(ctx, "--out", sf.out, sf.s3); err != nil {
			return fail(err)
		}
	} else if sf.out != "" || sf.format != "" {
		if sf.out == "" {
			return fail(usageErr("--format needs --out"))
		}
		format, err = report.FormatFor(sf.out, sf.format)
		if err != nil {
			return fail(usageErr("--out/--format: %w", err))
		}
	}
	set, err := sf.rules.load(stderr)
	sc.set, sc.memory = set, memory
	if err != nil {
		return fail(err)
	}
	tuning, err := loadTuning(sf.excludes, sf.exceptions, set, stderr)
	if err != nil {
		return fail(err)
	}
	if sharded && sf.shard.stage == "" && hasAggregate(set) {
		return fail(usageErr("shard %s: aggregate rules (new_terms, threshold, EQL sequences) need --stage DIR, decided by trailsweep reduce", spec))
	}
	shardOf := func(src reader.Source) reader.Source { return src }
	if sharded {
		shardOf = func(src reader.Source) reader.Source { return reader.Shard(src, spec) }
	}

	var sources, opened []reader.Source
	stdins := 0
	for _, a := range args {
		var src reader.Source
		if a == "-" {
			if stdins++; stdins > 1 {
				return fail(usageErr("source - (stdin) is given twice"))
			}
			src = reader.NewStream("-", stdin)
		} else if src, err = reader.Open(ctx, a, sf.s3); err != nil {
			return fail(&exitError{code: exitUsage, err: fmt.Errorf("source %s: %w", a, err)})
		}
		opened = append(opened, src)
		src = shardOf(src)
		if wrapSource != nil {
			src = wrapSource(src)
		}
		src = sf.rel.wrap(src)
		sources = append(sources, src)
	}

	ck, err := sf.rel.openCheckpoint(sf, args, set, tuning, format, shardSpec, &since, &until, stderr)
	if err != nil {
		return fail(err)
	}
	sc.onClose(func() { ck.Close() })

	var w report.Writer
	sc.outURI = sf.out
	names := make([]string, len(sources))
	for i, src := range sources {
		names[i] = src.String()
	}
	switch {
	case sf.out == "" && sf.summary == report.Stdout:
		w = report.NewTable(stderr, names...) // stdout holds the summary's JSON alone
	case sf.out == "":
		w = report.NewTable(stdout, names...)
	case sf.out == report.Stdout:
		opts := report.Options{Raw: sf.raw}
		switch format {
		case report.CSV:
			w = report.NewCSV(stdout, opts)
		case report.Parquet:
			w = report.NewParquet(stdout, opts)
		default:
			w = report.NewJSONL(stdout, opts)
		}
	case outDir != nil:
		i, n := 0, 1
		if sharded {
			i, n = spec.Index, spec.Count
		}
		up := outDir.Create(ctx, partName("part", i, n, format))
		sc.outURI = up.URI()
		if w, err = report.NewTo(up, format, report.Options{Raw: sf.raw}); err != nil {
			return fail(usageErr("--out %s: %w", sf.out, err))
		}
	default:
		w, err = report.Create(sf.out, format, report.Options{Raw: sf.raw})
		if err != nil {
			return fail(usageErr("--out %s: %w", sf.out, err))
		}
	}

	hc = scan.HuntConfig{Config: scan.Config{
		Sources:     sources,
		Filter:      reader.Filter{Since: since, Until: until, Accounts: sf.accounts, Regions: sf.regions},
		Rules:       set,
		Tuning:      tuning,
		Concurrency: sf.concurrency,
		Workers:     sf.workers,
		Raw:         sf.raw,
		Decode:      reader.DecodeOptions{MaxRecordBytes: sf.maxRecord, MaxObjectBytes: sf.maxObject, Index: indexEverything()},
		Memory:      memory,
		WorkDir:     work,
	}, Checkpoint: ck, Notice: func(msg string) { fmt.Fprintf(stderr, "trailsweep: %s\n", report.Clean(msg)) }}
	if hc.History, err = historyPlan(ctx, sf.history, sources, hc.Filter, sf.s3, shardOf); err != nil {
		_ = w.Abort()
		return fail(err)
	}
	if sf.shard.stage != "" {
		if hc.Stage, err = stageDir(ctx, sf.shard.stage, sf.s3); err != nil {
			_ = w.Abort()
			return fail(err)
		}
		hc.StageHeader = scan.StageHeader{Shard: spec.Index, Shards: spec.Count, Sources: args}
	}
	if sf.html != "" {
		html, err := report.NewHTML(work)
		if err != nil {
			_ = w.Abort()
			return fail(err)
		}
		sc.onClose(func() { html.Close() })
		w = html.Tee(w)
		sc.html = html
	}
	hc.Output = w
	sc.covs = make([]*covered, len(sources)) // the main scan's listing, not the history's
	hc.Sources = make([]reader.Source, len(sources))
	for i, src := range sources {
		sc.covs[i] = newCovered(src, opened[i])
		hc.Sources[i] = sc.covs[i]
	}
	if sf.evidence != "" {
		ev := report.NewEvidence(work, int(memory/32))
		sc.ev = ev
		sc.onClose(func() { ev.Close() })
		hc.Ledger = ev
	}
	if vcfg != nil {
		vcfg.Sources, vcfg.Filter = opened, hc.Filter
		vcfg.Memory, vcfg.WorkDir = int(memory/16), work // the logs' and digest entries' state
		sess := verify.NewSession(*vcfg)
		hc.Verify = sess
		hc.Integrity = func(ctx context.Context, sum *report.Summary) (func(string) string, error) {
			res, integrity, err := finishVerify(ctx, sess, sum, stderr)
			sc.vres = res
			return integrity, err
		}
	}
	hc.Progress, sc.finish = newProgress(stderr, sf.quiet)
	return hc, nil
}

// report writes what the CLI writes after a hunt (warnings, --summary,
// --evidence, --html, --errors, the summary on stderr) and returns the
// exit code's error. A file that cannot be written (disk full, a bad
// --summary) does not stop the others: each is written if it can be, the
// summary is printed in any case, and the exit code is 3.
func (sc *scanCmd) report(ctx context.Context, sf *scanFlags, res *scan.Result, scanErr error, stdout, stderr io.Writer) error {
	sum := res.Summary
	interrupted := errors.Is(scanErr, scan.ErrInterrupted)
	// A source that cannot be listed at all (no such bucket, refused
	// credentials, an endpoint that cannot be reached) is a configuration
	// error: one line says so, without an empty summary before it.
	setup := scanErr != nil && !interrupted && isSetupErr(scanErr)
	quietSummary := setup && sum.Objects.Listed == 0
	var writeErrs []error
	if res.StageErr != nil {
		writeErrs = append(writeErrs, relabel("--stage", "stage", res.StageErr))
	}
	if res.OutputErr != nil {
		writeErrs = append(writeErrs, fmt.Errorf("--out: %w", res.OutputErr))
	} else if res.Written && sf.out != "" && sf.out != "-" {
		sum.Output = sc.outURI
	}
	sum.Memory = report.MemoryStats{Budget: sc.memory, PeakRSS: peakRSS()}
	nothing := fillCoverage(ctx, sum, sf, sc.set, sc.covs, scanErr == nil)
	for _, w := range sum.Warnings {
		if !quietSummary {
			fmt.Fprintf(stderr, "trailsweep: warning: %s\n", report.Clean(w))
		}
	}
	if sf.summary == report.Stdout {
		if err := sum.WriteJSON(stdout); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("--summary: %w", err))
		}
	} else if sf.summary != "" {
		if err := writeSummary(sf.summary, sum); err != nil {
			writeErrs = append(writeErrs, err)
		}
	}
	if sc.ev != nil && !setup {
		if err := writeEvidence(sc.ev, sf, sum, sc.set, sc.vres, scanErr == nil || interrupted); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("--evidence: %w", err))
		}
	}
	if sc.html != nil && !setup {
		if err := sc.html.WriteFile(sf.html, sum, ""); err != nil {
			writeErrs = append(writeErrs, fmt.Errorf("--html: %w", err))
		}
	}
	if sf.rel.errors != "" {
		if err := writeErrors(sf.rel.errors, sum); err != nil {
			writeErrs = append(writeErrs, err)
		}
	}
	if (!sf.quiet || len(writeErrs) > 0) && !quietSummary {
		fmt.Fprintln(stderr)
		_ = sum.WriteText(stderr)
	}
	if e := keyFetchErr(scanErr); e != nil && !interrupted {
		return e
	}
	switch {
	case setup:
		var le *reader.ListError
		if errors.As(scanErr, &le) {
			scanErr = le // it names the bucket and prefix itself
		}
		return &exitError{code: exitUsage, err: errors.Join(append([]error{scanErr}, writeErrs...)...)}
	case scanErr != nil && !interrupted:
		return &exitError{code: exitIncomplete, err: errors.Join(append([]error{scanErr}, writeErrs...)...)}
	case len(writeErrs) > 0:
		return &exitError{code: exitIncomplete, err: errors.Join(writeErrs...)}
	case interrupted:
		return &exitError{code: exitIncomplete, err: errors.New("interrupted: the summary above is incomplete")}
	case sum.Objects.Failed > 0:
		return &exitError{code: exitIncomplete, err: fmt.Errorf("%d object(s) could not be read (listed above)", sum.Objects.Failed)}
	case nothing:
		return &exitError{code: exitNothing, err: errors.New("nothing matched the sources and filters (see the warnings above)")}
	case sf.failOnFindings && sum.Findings > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}

// isSetupErr reports whether err says a source cannot be read at all for a
// reason the user must fix: exit 2, like a bad flag.
func isSetupErr(err error) bool {
	for _, s := range []error{reader.ErrNoSuchBucket, reader.ErrNoCredentials, reader.ErrAccessRefused, reader.ErrUnreachable} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// checkPaths refuses output paths that would overwrite each other: --out,
// --summary and --errors must name different files.
func checkPaths(sf *scanFlags) error {
	type named struct{ flag, path string }
	var ps []named
	for _, p := range []named{{"--out", sf.out}, {"--summary", sf.summary}, {"--errors", sf.rel.errors}, {"--html", sf.html}, {"--evidence", sf.evidence}} {
		if p.path != "" && p.path != "-" {
			ps = append(ps, p)
		}
	}
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			if samePath(ps[i].path, ps[j].path) {
				return usageErr("%s and %s name the same file %s", ps[i].flag, ps[j].flag, ps[j].path)
			}
		}
	}
	return nil
}

// samePath reports whether a and b name one file: the same cleaned
// absolute path, or the same existing file (links included).
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == ab {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// writeSummary writes the summary as JSON to path, atomically.
func writeSummary(path string, sum *report.Summary) error {
	var b bytes.Buffer
	if err := sum.WriteJSON(&b); err != nil {
		return err
	}
	if err := atomicfile.Write(path, b.Bytes(), 0o666); err != nil {
		return fmt.Errorf("--summary: %w", err)
	}
	return nil
}

// indexEverything returns the index selection that makes the splitter
// index every object (as before rule sets compiled their own) when the
// hidden TRAILSWEEP_INDEX_ALL is set, for measuring what the compiled
// selection saves; nil otherwise (the scan compiles the rules').
func indexEverything() *reader.IndexPaths {
	if os.Getenv("TRAILSWEEP_INDEX_ALL") == "" {
		return nil
	}
	p := reader.NewIndexPaths()
	p.Add(nil)
	return p
}

// relabel returns err named after the flag it is about, "FLAG: …", without
// the word its own message may already start with ("stage: …"), so that a
// message does not read "--stage: stage: …". It wraps err.
func relabel(flag, word string, err error) error {
	rest, _ := strings.CutPrefix(err.Error(), word+": ")
	return &labeled{msg: flag + ": " + rest, err: err}
}

type labeled struct {
	msg string
	err error
}

func (e *labeled) Error() string { return e.msg }
func (e *labeled) Unwrap() error { return e.err }
