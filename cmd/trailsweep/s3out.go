package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/trailsweep/trailsweep/internal/s3obj"
	"github.com/trailsweep/trailsweep/reader"
	"github.com/trailsweep/trailsweep/report"
	"github.com/trailsweep/trailsweep/scan"
)

// isS3 reports whether a location names S3.
func isS3(loc string) bool { return strings.HasPrefix(loc, "s3://") }

// s3Folder opens the folder s3://bucket[/prefix/] that flag names, with a
// client configured as the sources' are. A location that does not end in
// "/" (other than a bare bucket) is refused: it names an object, and the
// folder gets one object a shard.
func s3Folder(ctx context.Context, flag, loc string, opts reader.S3Options) (*s3obj.Prefix, error) {
	bucket, prefix, _ := strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
	if bucket == "" {
		return nil, usageErr("%s %s: missing bucket name", flag, loc)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		return nil, usageErr("%s %s: give a folder ending in /: each shard writes its own object in it", flag, loc)
	}
	src, err := reader.NewS3(ctx, opts, bucket, prefix)
	if err != nil {
		return nil, usageErr("%s %s: %w", flag, loc, err)
	}
	return s3obj.NewPrefix(src.Client(), bucket, prefix), nil
}

// s3Format is the format of findings written to S3: --format, else Parquet.
func s3Format(override string) (report.Format, error) {
	if override == "" {
		return report.Parquet, nil
	}
	f, err := report.FormatFor("", override)
	if err != nil {
		return "", usageErr("--format: %w", err)
	}
	return f, nil
}

// partName is the findings object of shard i of n (0 of 1 unsharded);
// reduce writes the hunt's aggregate findings as aggregate-00000-of-00001.
func partName(kind string, i, n int, f report.Format) string {
	return fmt.Sprintf("%s-%05d-of-%05d.%s", kind, i, n, f)
}

// stageDir is the stage --stage names: an S3 folder or a local directory.
func stageDir(ctx context.Context, loc string, opts reader.S3Options) (scan.StageDir, error) {
	if !isS3(loc) {
		return scan.LocalStage(loc), nil
	}
	p, err := s3Folder(ctx, "--stage", loc, opts)
	if err != nil {
		return nil, err
	}
	return scan.S3Stage(p), nil
}
