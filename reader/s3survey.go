package reader

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"
)

// maxSurveyRequests bounds the delimited listings one S3 Survey makes: a
// survey answers "what is there" for a warning, it does not walk an
// organization's years of folders.
const maxSurveyRequests = 300

// Survey returns the layout below the S3 source's prefix, ignoring any
// filter, from delimited listings of folders only (never a day folder's
// objects), as Local.Survey does for a tree. It lists one depth of
// folders at a time, in key order, up to the source's listing concurrency
// at once (see S3.List), and makes at most maxSurveyRequests listings:
// past that it returns what it found, the upper depths whole (accounts
// before regions before days), the same whatever the timing.
func (s *S3) Survey(ctx context.Context) (Layout, error) {
	sv := &s3Survey{s: s, acc: map[string]bool{}, reg: map[string]bool{}, days: map[string]bool{}}
	p := s.prefix
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	segs, in := layoutSegs(p)
	if in {
		sv.note(segs)
	}
	if err := sv.walk(ctx, []surveyFolder{{p: p, segs: segs, in: in}}); err != nil && err != errSurveyFull {
		return Layout{}, err
	}
	var lay Layout
	for _, m := range []struct {
		set map[string]bool
		dst *[]string
	}{{sv.acc, &lay.Accounts}, {sv.reg, &lay.Regions}, {sv.days, &lay.Days}} {
		for v := range m.set {
			*m.dst = append(*m.dst, v)
		}
		slices.Sort(*m.dst)
	}
	return lay, nil
}

var errSurveyFull = fmt.Errorf("survey: %d listings made", maxSurveyRequests)

type s3Survey struct {
	s              *S3
	requests       int
	acc, reg, days map[string]bool
}

// note records what the layout segments below AWSLogs/ name: an account,
// a region, a day.
func (sv *s3Survey) note(segs []string) {
	if len(segs) > 0 && isOrg(segs[0]) {
		segs = segs[1:]
	}
	if len(segs) >= 1 && isAccount(segs[0]) {
		sv.acc[segs[0]] = true
	}
	if len(segs) >= 3 && segs[1] == KindLog {
		sv.reg[segs[2]] = true
	}
	if len(segs) >= 6 && segs[1] == KindLog {
		sv.days[strings.Join(segs[3:6], "/")] = true
	}
}

// surveyFolder is a folder the survey may list: p, with its segments
// below AWSLogs/ when in the layout, else its depth above it.
type surveyFolder struct {
	p     string
	segs  []string
	in    bool
	depth int
}

// descends reports whether the survey lists f: any folder down to the
// months of the log kind (whose listing names the day folders), and above
// AWSLogs/ maxSurveyDepth levels down at most.
func (f surveyFolder) descends() bool {
	if !f.in {
		return f.depth <= maxSurveyDepth
	}
	d := len(f.segs)
	if d > 0 && isOrg(f.segs[0]) {
		d--
	}
	return d < 6 && (d < 2 || f.segs[len(f.segs)-d+1] == KindLog)
}

// walk lists the folders of level, then those their listings found, one
// depth at a time, until none is left or maxSurveyRequests are made.
func (sv *s3Survey) walk(ctx context.Context, level []surveyFolder) error {
	n := sv.s.listConc
	if n <= 0 {
		n = DefaultListConcurrency
	}
	for len(level) > 0 {
		level = slices.DeleteFunc(level, func(f surveyFolder) bool { return !f.descends() })
		full := false
		if left := maxSurveyRequests - sv.requests; len(level) > left {
			level, full = level[:left], true
		}
		sv.requests += len(level)
		found := make([][]string, len(level)) // the subfolders of each
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(n)
		for i, f := range level {
			g.Go(func() (err error) {
				found[i], err = sv.folders(gctx, f.p)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		var next []surveyFolder
		for i, f := range level {
			for _, cp := range found[i] {
				name := path.Base(cp)
				switch {
				case !f.in && name == "AWSLogs":
					next = append(next, surveyFolder{p: cp, in: true})
				case !f.in:
					next = append(next, surveyFolder{p: cp, depth: f.depth + 1})
				default:
					ns := append(f.segs[:len(f.segs):len(f.segs)], name)
					sv.note(ns)
					next = append(next, surveyFolder{p: cp, segs: ns, in: true})
				}
			}
		}
		if full {
			return errSurveyFull
		}
		level = next
	}
	return nil
}

// folders returns the subfolders of p, from every page of its delimited
// listing, in key order.
func (sv *s3Survey) folders(ctx context.Context, p string) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(sv.s.bucket), Prefix: aws.String(p), Delimiter: aws.String("/")}
	pg := s3.NewListObjectsV2Paginator(sv.s.client.Load(), in)
	var out []string
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3 survey %s: %w", p, RedactError(err))
		}
		for _, c := range page.CommonPrefixes {
			out = append(out, aws.ToString(c.Prefix))
		}
	}
	return out, nil
}
