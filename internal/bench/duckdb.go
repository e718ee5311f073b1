package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Issue 19's yardstick is DuckDB hunting for one rule with read_json over
// the same tree. DuckDB is a bench-only tool: `make duckdb` installs it from
// npm (@duckdb/node-api, the library with its Node binding; the DuckDB CLI's
// PyPI wheel cannot be reached from the project's machines) into
// .cache/tools/duckdb, and duckdb.mjs runs one query with it in a child
// process, so that its rusage is DuckDB's. Nothing of it is in go.mod.

// seedWhere is the seed rule (internal/rule/builtin/lambda_event_source_mapping_created.toml)
//
//	data_stream.dataset: "aws.cloudtrail" and event.provider: "lambda.amazonaws.com"
//	    and event.action: CreateEventSourceMapping* and event.outcome: "success"
//
// over a CloudTrail record r: the dataset is a constant; event.provider is
// eventSource and event.action eventName, verbatim, matched case-sensitively
// as keywords are; event.outcome is "failure" when errorCode or errorMessage
// is present (ECS.md §3), and trailsweep drops null, "", "-" and "none" as
// absent (ecs.dropped). ConsoleLogin's outcome rule cannot apply to this
// eventName.
const seedWhere = `r.eventSource = 'lambda.amazonaws.com'
      AND r.eventName LIKE 'CreateEventSourceMapping%'
      AND coalesce(r.errorCode, '') IN ('', '-', 'none')
      AND coalesce(r.errorMessage, '') IN ('', '-', 'none')`

// SeedSQL returns the seed rule as a DuckDB query over every *.json.gz
// under tree, each file a {"Records": [...]} object: its one row holds the
// records read and the records matched. With columns, read_json is told the
// four members the rule reads instead of detecting the files' schema.
// maximum_object_size (256 MiB) is above any CloudTrail file's JSON.
func SeedSQL(tree string, columns bool) string {
	opts := "maximum_object_size = 268435456"
	if columns {
		opts += ",\n    columns = {Records: 'STRUCT(eventSource VARCHAR, eventName VARCHAR, errorCode VARCHAR, errorMessage VARCHAR)[]'}"
	}
	return fmt.Sprintf(`SELECT count(*) AS records,
  count(*) FILTER (WHERE %s) AS matches
FROM (SELECT unnest(Records) AS r
  FROM read_json(%s,
    %s))`, seedWhere, sqlString(filepath.ToSlash(tree)+"/**/*.json.gz"), opts)
}

// sqlString returns s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// DuckDB runs queries with the DuckDB that `make duckdb` installed.
type DuckDB struct {
	Dir     string // the install directory (.cache/tools/duckdb)
	Script  string // duckdb.mjs
	Threads int    // SET threads=Threads before each query
}

// DuckDBRun is one query's run.
type DuckDBRun struct {
	Version      string
	QuerySeconds float64 // the query alone, as DuckDB's process timed it
	Records      int64
	Matches      int64
	Wall         time.Duration // the process: Node's start, loading DuckDB, the query
	UserSec      float64
	SysSec       float64
	MaxRSSMiB    float64
}

// Run runs sql, a query whose one row has the columns records and
// matches, in a child process, and reports it with the child's rusage.
func (d DuckDB) Run(ctx context.Context, sql string) (DuckDBRun, error) {
	if _, err := os.Stat(filepath.Join(d.Dir, "node_modules", "@duckdb", "node-api")); err != nil {
		return DuckDBRun{}, fmt.Errorf("duckdb is not installed in %s: %w", d.Dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return DuckDBRun{}, fmt.Errorf("duckdb: %w", err)
	}
	cmd := exec.CommandContext(ctx, node, d.Script, d.Dir, strconv.Itoa(max(1, d.Threads)), sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	r := DuckDBRun{Wall: time.Since(start)}
	if cmd.ProcessState != nil {
		r.UserSec = cmd.ProcessState.UserTime().Seconds()
		r.SysSec = cmd.ProcessState.SystemTime().Seconds()
		r.MaxRSSMiB = maxRSSMiB(cmd.ProcessState)
	}
	if err != nil {
		return r, fmt.Errorf("node %s: %w: %s", d.Script, err, lastLines(stderr.String(), 5))
	}
	var out struct {
		Version      string  `json:"version"`
		QuerySeconds float64 `json:"query_seconds"`
		Rows         []struct {
			Records int64 `json:"records"`
			Matches int64 `json:"matches"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return r, fmt.Errorf("node %s: its output: %w: %s", d.Script, err, lastLines(stdout.String(), 3))
	}
	if len(out.Rows) != 1 {
		return r, fmt.Errorf("node %s: %d rows, want 1", d.Script, len(out.Rows))
	}
	r.Version, r.QuerySeconds = out.Version, out.QuerySeconds
	r.Records, r.Matches = out.Rows[0].Records, out.Rows[0].Matches
	return r, nil
}

// Scan returns r as a row of the bench's table: the tree's bytes (DuckDB
// does not count them; it read the same files), one rule, the matches as
// findings.
func (r DuckDBRun) Scan(sql string, tree TreeRef) Scan {
	s := Scan{Args: []string{sql}, MaxRSSMiB: r.MaxRSSMiB, UserSec: r.UserSec, SysSec: r.SysSec, Rules: 1, Findings: r.Matches}
	s.Throughput = newThroughput(r.Wall, tree.BytesJSON, tree.BytesGzip, r.Records)
	return s
}

// Yardstick is another tool's hunt for the seed rule over the same tree,
// run in the same rounds as trailsweep's scans, and its ratios to them
// (issue 19: trailsweep ≥ 2.5× faster than DuckDB's read_json hunt).
type Yardstick struct {
	Name    string           `json:"name"`
	Version string           `json:"version"`
	SQL     string           `json:"sql"`
	Fastest Scan             `json:"fastest"` // its repeat_seconds hold every round's time
	Rounds  []YardstickRound `json:"rounds"`
	// Medians over the rounds: the yardstick's own figures, and each
	// round's ratio of its time to trailsweep's in that round (> 1:
	// trailsweep is faster).
	MedianSeconds        float64 `json:"median_seconds"`
	MedianCPUSeconds     float64 `json:"median_cpu_seconds"`
	MedianQuerySeconds   float64 `json:"median_query_seconds"`
	MedianFullSeconds    float64 `json:"median_full_seconds"`
	MedianFullCPUSeconds float64 `json:"median_full_cpu_seconds"`
	MedianSeedSeconds    float64 `json:"median_seed_seconds"`
	MedianSeedCPUSeconds float64 `json:"median_seed_cpu_seconds"`
	MedianOverFull       float64 `json:"median_round_ratio_to_full"`
	MedianOverSeed       float64 `json:"median_round_ratio_to_seed"`
	MedianCPUOverFull    float64 `json:"median_round_cpu_ratio_to_full"`
	MedianCPUOverSeed    float64 `json:"median_round_cpu_ratio_to_seed"`
}

// YardstickRound is one round: the yardstick's run, trailsweep's scans
// with every rule and with the seed rule in the same round, and the ratios.
type YardstickRound struct {
	Seconds        float64 `json:"seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"`
	QuerySeconds   float64 `json:"query_seconds"`
	FullSeconds    float64 `json:"full_seconds"`
	FullCPUSeconds float64 `json:"full_cpu_seconds"`
	SeedSeconds    float64 `json:"seed_seconds"`
	SeedCPUSeconds float64 `json:"seed_cpu_seconds"`
	OverFull       float64 `json:"ratio_to_full"`
	OverSeed       float64 `json:"ratio_to_seed"`
	CPUOverFull    float64 `json:"cpu_ratio_to_full"`
	CPUOverSeed    float64 `json:"cpu_ratio_to_seed"`
}

// Add records a round: r (as s, its Scan) against trailsweep's full and
// seed scans of the same round; the fastest run and the medians follow.
func (y *Yardstick) Add(r DuckDBRun, s, full, seed Scan) {
	repeats := append(y.Fastest.Repeats, s.Seconds)
	if y.Fastest.Seconds == 0 || s.Seconds < y.Fastest.Seconds {
		y.Fastest = s
	}
	y.Fastest.Repeats = repeats
	cpu := func(s Scan) float64 { return s.UserSec + s.SysSec }
	div := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	y.Rounds = append(y.Rounds, YardstickRound{
		Seconds: s.Seconds, CPUSeconds: cpu(s), QuerySeconds: r.QuerySeconds,
		FullSeconds: full.Seconds, FullCPUSeconds: cpu(full), SeedSeconds: seed.Seconds, SeedCPUSeconds: cpu(seed),
		OverFull: div(s.Seconds, full.Seconds), OverSeed: div(s.Seconds, seed.Seconds),
		CPUOverFull: div(cpu(s), cpu(full)), CPUOverSeed: div(cpu(s), cpu(seed)),
	})
	median := func(f func(YardstickRound) float64) float64 {
		xs := make([]float64, len(y.Rounds))
		for i, r := range y.Rounds {
			xs[i] = f(r)
		}
		return Median(xs)
	}
	y.MedianSeconds = median(func(r YardstickRound) float64 { return r.Seconds })
	y.MedianCPUSeconds = median(func(r YardstickRound) float64 { return r.CPUSeconds })
	y.MedianQuerySeconds = median(func(r YardstickRound) float64 { return r.QuerySeconds })
	y.MedianFullSeconds = median(func(r YardstickRound) float64 { return r.FullSeconds })
	y.MedianFullCPUSeconds = median(func(r YardstickRound) float64 { return r.FullCPUSeconds })
	y.MedianSeedSeconds = median(func(r YardstickRound) float64 { return r.SeedSeconds })
	y.MedianSeedCPUSeconds = median(func(r YardstickRound) float64 { return r.SeedCPUSeconds })
	y.MedianOverFull = median(func(r YardstickRound) float64 { return r.OverFull })
	y.MedianOverSeed = median(func(r YardstickRound) float64 { return r.OverSeed })
	y.MedianCPUOverFull = median(func(r YardstickRound) float64 { return r.CPUOverFull })
	y.MedianCPUOverSeed = median(func(r YardstickRound) float64 { return r.CPUOverSeed })
}
