package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/trailsweep/trailsweep/internal/ecs"
	"github.com/trailsweep/trailsweep/internal/rule"
	"github.com/trailsweep/trailsweep/reader"
)

// explainFlags are the explain command's settings.
type explainFlags struct {
	rules  ruleFlags
	ruleID string // --rule: only this rule
	all    bool   // --all: why each rule does not match, too
	s3     reader.S3Options
}

func newExplainCmd(stdout, stderr io.Writer) *cobra.Command {
	var ef explainFlags
	cmd := &cobra.Command{
		Use:   "explain [flags] SOURCE#INDEX",
		Short: "Print the ECS document of one record and, per rule, whether it matches and which clause decided",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("explain needs one SOURCE#INDEX: a file or s3://bucket/key, '#', the record_index of a finding")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExplain(cmd.Context(), &ef, args[0], stdout, stderr)
		},
	}
	f := cmd.Flags()
	ef.rules.add(cmd)
	ef.rules.needRules = true
	f.StringVar(&ef.ruleID, "rule", "", "explain only the rule with this id")
	f.BoolVar(&ef.all, "all", false, "say why each rule that does not match fails, too")
	f.StringVar(&ef.s3.Profile, "profile", "", "AWS profile, as the AWS CLI means it")
	f.StringVar(&ef.s3.Region, "region", "", "AWS region for S3 requests")
	f.StringVar(&ef.s3.Endpoint, "endpoint-url", "", "S3 endpoint URL (S3-compatible stores)")
	f.BoolVar(&ef.s3.PathStyle, "s3-path-style", false, "use path-style S3 addressing")
	f.BoolVar(&ef.s3.NoSign, "no-sign-request", false, "do not sign requests (public buckets)")
	f.DurationVar(&ef.s3.Timeout, "s3-timeout", reader.DefaultS3Timeout, "S3 timeout for connecting, the first byte and each wait for body data")
	return cmd
}

// parseTarget splits SOURCE#INDEX at its last '#'.
func parseTarget(arg string) (uri string, index int64, err error) {
	i := strings.LastIndexByte(arg, '#')
	if i <= 0 {
		return "", 0, usageErr("explain %s: want SOURCE#INDEX (the source_uri and record_index of a finding)", arg)
	}
	index, err = strconv.ParseInt(arg[i+1:], 10, 64)
	if err != nil || index < 0 {
		return "", 0, usageErr("explain %s: the index %q is not a record_index (0, 1, 2…)", arg, arg[i+1:])
	}
	return arg[:i], index, nil
}

// object returns the source and the object uri names: s3://bucket/key, or a
// local file.
func object(ctx context.Context, uri string, opts reader.S3Options) (reader.Source, reader.Object, error) {
	src, err := reader.Open(ctx, uri, opts)
	if err != nil {
		return nil, reader.Object{}, usageErr("source %s: %w", uri, err)
	}
	if rest, ok := strings.CutPrefix(uri, "s3://"); ok {
		bucket, key, _ := strings.Cut(rest, "/")
		if key == "" || strings.HasSuffix(key, "/") {
			return nil, reader.Object{}, usageErr("source %s: explain needs one object, s3://bucket/key", uri)
		}
		return src, reader.Object{URI: uri, Bucket: bucket, Key: key}, nil
	}
	fi, err := os.Stat(uri)
	if err != nil {
		return nil, reader.Object{}, usageErr("source %s: %w", uri, err)
	}
	if fi.IsDir() {
		return nil, reader.Object{}, usageErr("source %s: explain needs one object, a file (this is a directory)", uri)
	}
	return src, reader.Object{URI: uri, Key: uri}, nil
}

func runExplain(ctx context.Context, ef *explainFlags, arg string, stdout, stderr io.Writer) error {
	uri, index, err := parseTarget(arg)
	if err != nil {
		return err
	}
	set, err := ef.rules.load(stderr)
	if err != nil {
		return err
	}
	rules := set.Runnable()
	if ef.ruleID != "" {
		var one []*rule.Rule
		for _, r := range set.Runnable() {
			if r.ID == ef.ruleID {
				one = append(one, r)
			}
		}
		if len(one) == 0 {
			return usageErr("--rule %s: no runnable rule of the %d loaded has this id", ef.ruleID, len(set.All()))
		}
		rules = one
	}
	src, obj, err := object(ctx, uri, ef.s3)
	if err != nil {
		return err
	}
	rc, err := src.Open(ctx, obj)
	if err != nil {
		if errors.Is(err, reader.ErrNoSuchBucket) || errors.Is(err, reader.ErrNoCredentials) {
			return usageErr("%w", err)
		}
		return &exitError{code: exitIncomplete, err: err}
	}
	defer rc.Close()
	dec, err := reader.NewDecoder(rc, reader.DecodeOptions{MaxRecordBytes: 8 << 20, MaxObjectBytes: 2 << 30})
	if err != nil {
		return &exitError{code: exitIncomplete, err: fmt.Errorf("%s: %w", uri, err)}
	}
	var raw []byte
	var bad error // the record at index is malformed: why
	for i := int64(0); ; i++ {
		rec, err := dec.Next()
		if err == io.EOF {
			return usageErr("%s holds %d record(s): index %d is out of range (record_index counts from 0)", uri, i, index)
		}
		fatal := err != nil && !errors.Is(err, reader.ErrBadRecord) && !reader.Skipped(err)
		if fatal {
			return &exitError{code: exitIncomplete, err: fmt.Errorf("%s: %w (after %d records)", uri, err, i)}
		}
		if i == index {
			raw, bad = rec, err
			break
		}
	}

	var out bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&out, format, a...) }
	p("record %s#%d\n", uri, index)
	rec := ecs.NewRecord(ecs.Options{Ingested: time.Now().UTC().Truncate(time.Second)})
	if bad == nil {
		bad = rec.ResetMembers(raw, dec.Index())
	}
	if bad == nil {
		bad = rec.Malformed()
	}
	if bad != nil {
		p("malformed: %s\n", reader.Redact(bad.Error()))
		p("no rule of any language is evaluated on a malformed record (Elasticsearch rejects the document)\n")
		_, err := io.WriteString(stdout, cleanLines(out.String()))
		return err
	}
	p("ECS document:\n")
	writeDocument(&out, rec.Document())

	type verdict struct {
		r *rule.Rule
		e rule.Explanation
	}
	var matched, missed []verdict
	for _, r := range rules {
		v := verdict{r, r.Explain(rec)}
		if v.e.Match {
			matched = append(matched, v)
		} else {
			missed = append(missed, v)
		}
	}
	p("\nrules: %d match, %d do not (of %d evaluated)\n", len(matched), len(missed), len(rules))
	show := func(what string, v verdict) {
		p("%-9s %s  %s  (%s, %s)\n", what, v.r.ID, v.r.Name, v.r.Source, v.r.Type)
		label := "failed at"
		if v.e.Match {
			label = "matched by"
		}
		p("          %s: %s\n", label, v.e.Clause)
		if v.e.Match && v.r.Aggregate() {
			p("          (%s rule: the record is one of its events; the finding is decided over all of them)\n", v.r.Type)
		}
	}
	for _, v := range matched {
		show("MATCH", v)
	}
	if ef.all || ef.ruleID != "" || len(missed) <= 3 {
		for _, v := range missed {
			show("NO MATCH", v)
		}
	} else if len(missed) > 0 {
		p("%d rule(s) do not match (--all or --rule ID says why)\n", len(missed))
	}
	_, err = io.WriteString(stdout, cleanLines(out.String()))
	return err
}

// writeDocument writes doc as one JSON object, keys in doc's (sorted)
// order: one value as itself, several as an array; strings as strings,
// booleans and numbers as JSON ones.
func writeDocument(w *bytes.Buffer, doc []ecs.FieldValues) {
	js := func(v ecs.Value) []byte {
		switch v.Kind {
		case ecs.KindBool:
			return strconv.AppendBool(nil, v.B)
		case ecs.KindNumber:
			if json.Valid([]byte(v.S)) {
				return []byte(v.S)
			}
		}
		return jsonString(v.S)
	}
	w.WriteString("{\n")
	for i, f := range doc {
		fmt.Fprintf(w, "  %s: ", jsonString(f.Name))
		if len(f.Values) == 1 {
			w.Write(js(f.Values[0]))
		} else {
			w.WriteByte('[')
			for j, v := range f.Values {
				if j > 0 {
					w.WriteString(", ")
				}
				w.Write(js(v))
			}
			w.WriteByte(']')
		}
		if i < len(doc)-1 {
			w.WriteByte(',')
		}
		w.WriteByte('\n')
	}
	w.WriteString("}\n")
}

// jsonString is s as a JSON string, <, > and & as themselves.
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
