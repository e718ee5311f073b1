package main

import "github.com/spf13/cobra"

// Help texts: each command's --help gives an example and its exit codes
// (the codes are the constants in run.go; README "Exit codes").

const scanExitCodes = `Exit codes:
  0  the scan completed, with or without findings
  1  findings were found (only with --fail-on-findings)
  2  usage or configuration error: a bad flag, unreadable rules with --strict, no
     credentials, no such bucket, credentials refused, an endpoint that cannot be reached
  3  some objects could not be read (listed in the summary), the scan was interrupted
     (SIGINT/SIGTERM), or an output file could not be written
  4  a source listed no object to read under the filters (the warning says what it holds)`

const rulesExitCodes = `Exit codes:
  0  done: unsupported rules and lint warnings do not change it
  2  usage error: a bad flag, a --rules path that does not exist, a rule file that
     fails to load with --strict`

var helps = map[string]struct{ long, example string }{
	"trailsweep": {
		long: `trailsweep hunts through AWS CloudTrail logs, in S3 or on disk, with detection rules
(Elastic TOML, Sigma YAML, ad-hoc KQL) and writes what it finds to Parquet, CSV or JSONL.

` + scanExitCodes,
		example: `  trailsweep scan s3://org-trail-bucket/AWSLogs/ --since 90d --out findings.parquet
  trailsweep rules --rules detection-rules/rules/integrations/aws
  trailsweep --version`,
	},
	"scan": {
		long: `Scan CloudTrail logs with the rules: SOURCE is s3://bucket[/prefix] at any depth of the
CloudTrail layout, a local file or directory, or - for records on stdin. Findings go to --out
(a table on stdout without it); the summary goes to stderr.

` + scanExitCodes,
		example: `  trailsweep scan s3://org-trail-bucket/AWSLogs/ --since 90d --regions us-east-1,eu-west-1 --out findings.parquet
  trailsweep scan ./exported-logs --query 'source.ip: 203.0.113.0/24' --out - | jq .
  trailsweep scan s3://trail-bucket/ --profile audit --summary summary.json --fail-on-findings
  trailsweep scan ./exported-logs --since 30d --out findings.parquet --html hunt.html`,
	},
	"rules": {
		long: `List the loaded rules (the built-in ones without --rules or --query), whether each can run
on raw CloudTrail, and why not.

` + rulesExitCodes,
		example: `  trailsweep rules --rules detection-rules/rules/integrations/aws --json
  trailsweep rules --rules sigma/rules/cloud/aws --min-severity high`,
	},
	"lint": {
		long: `Warn about rules that can never match raw CloudTrail: fields the ECS view never produces,
Sigma fields CloudTrail does not have or in the wrong case, values that look like field paths.
Warnings do not change the exit code.

` + rulesExitCodes,
		example: `  trailsweep rules lint --rules sigma/rules/cloud/aws`,
	},
	"report": {
		long: `Write the analyst's report of a hunt: one self-contained HTML file (no network; a strict
Content-Security-Policy) with the coverage, findings by severity and rule, an ATT&CK matrix, a
timeline, the principals, and a sortable, filterable table of every finding. FINDINGS are
trailsweep's Parquet, CSV or JSONL files, or directories of them (a sharded hunt's parts);
--summary adds the scan's coverage. scan --html writes the same at the end of a scan.

Exit codes:
  0  written
  2  usage error: no --html, a findings file or summary that cannot be read
  3  the report could not be written`,
		example: `  trailsweep report findings.parquet --summary summary.json --html hunt.html
  trailsweep report out/ --html hunt.html`,
	},
	"version": {
		long: `Print the version (the same as trailsweep --version).

Exit codes:
  0  printed
  2  usage error (an argument was given)`,
		example: `  trailsweep version`,
	},
}

// addHelp sets Long and Example on cmd and its subcommands.
func addHelp(cmd *cobra.Command) {
	if h, ok := helps[cmd.Name()]; ok {
		cmd.Long, cmd.Example = h.long, h.example
	}
	for _, c := range cmd.Commands() {
		addHelp(c)
	}
}
