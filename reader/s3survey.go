package reader

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// maxSurveyRequests bounds the delimited listings one S3 Survey makes: a
// survey answers "what is there" for a warning, it does not walk an
// organization's years of folders.
const maxSurveyRequests = 300

// Survey returns the layout below the S3 source's prefix, ignoring any
// filter, from delimited listings of folders only (never a day folder's
// objects), as Local.Survey does for a tree. It makes at most
// maxSurveyRequests listings; past that it returns what it found.
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
	if err := sv.walk(ctx, p, segs, in, 0); err != nil && err != errSurveyFull {
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

// walk lists the folders of p (segs below AWSLogs/ when in the layout)
// and descends as far as day folders; above AWSLogs/ it looks depth
// levels down at most.
func (sv *s3Survey) walk(ctx context.Context, p string, segs []string, in bool, depth int) error {
	if in {
		d := len(segs)
		if d > 0 && isOrg(segs[0]) {
			d--
		}
		if d >= 6 || d >= 2 && segs[len(segs)-d+1] != KindLog {
			return nil // a day folder, or digests and insights
		}
	} else if depth > maxSurveyDepth {
		return nil
	}
	if sv.requests >= maxSurveyRequests {
		return errSurveyFull
	}
	sv.requests++
	in0 := &s3.ListObjectsV2Input{Bucket: aws.String(sv.s.bucket), Prefix: aws.String(p), Delimiter: aws.String("/")}
	pg := s3.NewListObjectsV2Paginator(sv.s.client.Load(), in0)
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("s3 survey %s: %w", p, RedactError(err))
		}
		for _, c := range page.CommonPrefixes {
			cp := aws.ToString(c.Prefix)
			name := path.Base(cp)
			var err error
			switch {
			case !in && name == "AWSLogs":
				err = sv.walk(ctx, cp, nil, true, 0)
			case !in:
				err = sv.walk(ctx, cp, nil, false, depth+1)
			default:
				ns := append(segs[:len(segs):len(segs)], name)
				sv.note(ns)
				err = sv.walk(ctx, cp, ns, true, 0)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}
