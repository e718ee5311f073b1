package verify

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/smithy-go/logging"
)

// KeyFetcher returns the CloudTrail public keys of home region region
// whose validity overlaps [start, end); a zero start or end leaves that
// side to the service.
type KeyFetcher func(ctx context.Context, region string, start, end time.Time) (Keys, error)

// KeyFetchError is a failure to fetch a region's public keys: a
// verification that needs them cannot go on.
type KeyFetchError struct {
	Region string
	Err    error
}

func (e *KeyFetchError) Error() string {
	return fmt.Sprintf("cannot fetch CloudTrail public keys in %s (ListPublicKeys): %v", e.Region, e.Err)
}

func (e *KeyFetchError) Unwrap() error { return e.Err }

// keysSince is the start time asked of ListPublicKeys when the window has
// none: without one the service returns only the current key. CloudTrail's
// API (CloudTrail_20131101) is not older.
var keysSince = time.Date(2013, 11, 1, 0, 0, 0, 0, time.UTC)

// OnlineKeys returns a KeyFetcher calling CloudTrail's ListPublicKeys
// (paged) in each home region with cfg's credentials; endpoint, when not
// "", overrides the service endpoint (tests, VPC endpoints).
func OnlineKeys(cfg aws.Config, endpoint string) KeyFetcher {
	client := cloudtrail.NewFromConfig(cfg, func(o *cloudtrail.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
		o.Logger = logging.Nop{}
	})
	return func(ctx context.Context, region string, start, end time.Time) (Keys, error) {
		in := &cloudtrail.ListPublicKeysInput{}
		if !start.IsZero() {
			in.StartTime = aws.Time(start)
		}
		if !end.IsZero() {
			in.EndTime = aws.Time(end)
		}
		var keys Keys
		p := cloudtrail.NewListPublicKeysPaginator(client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx, func(o *cloudtrail.Options) { o.Region = region })
			if err != nil {
				return nil, err
			}
			for i, k := range out.PublicKeyList {
				fp := strings.ToLower(aws.ToString(k.Fingerprint))
				if fp == "" {
					return nil, fmt.Errorf("public key %d: no Fingerprint", i)
				}
				pub, err := ParsePublicKey(k.Value)
				if err != nil {
					return nil, fmt.Errorf("public key %d (%s): %w", i, fp, err)
				}
				pk := PublicKey{Fingerprint: fp, Key: pub}
				if k.ValidityStartTime != nil {
					pk.Start = k.ValidityStartTime.UTC()
				}
				if k.ValidityEndTime != nil {
					pk.End = k.ValidityEndTime.UTC()
				}
				keys = append(keys, pk)
			}
		}
		return keys, nil
	}
}

// HomeRegion returns the home region a digest's key names: digest files
// are named Account_CloudTrail-Digest_Region_Trail_HomeRegion_End.json.gz
// (a trail name may hold underscores, so it is read from the right);
// failing that, the region folder after CloudTrail-Digest/.
func HomeRegion(key string) string {
	base := strings.TrimSuffix(path.Base(key), ".json.gz")
	if parts := strings.Split(base, "_"); len(parts) >= 6 && parts[1] == "CloudTrail-Digest" {
		return parts[len(parts)-2]
	}
	segs := strings.Split(key, "/")
	for i, s := range segs {
		if s == "CloudTrail-Digest" && i+1 < len(segs) {
			return segs[i+1]
		}
	}
	return ""
}

// keyring gives the keys of a home region: the static keys of
// Config.Keys, or those Config.FetchKeys returns, fetched once per region.
type keyring struct {
	static     Keys
	fetch      KeyFetcher
	start, end time.Time

	mu      sync.Mutex
	regions map[string]*regionKeys
	err     error // the first fetch failure
}

type regionKeys struct {
	once sync.Once
	keys Keys
	err  error
}

func newKeyring(cfg Config) *keyring {
	kr := &keyring{static: cfg.Keys, fetch: cfg.FetchKeys, regions: map[string]*regionKeys{}}
	if kr.fetch != nil {
		kr.start = cfg.Filter.Since
		if kr.start.IsZero() {
			kr.start = keysSince
		}
		// Digests are listed a day past the window; a key valid then counts.
		if !cfg.Filter.Until.IsZero() {
			if end := cfg.Filter.Until.Add(48 * time.Hour); end.Before(time.Now()) {
				kr.end = end
			}
		}
	}
	return kr
}

// verify checks a digest's signature with the keys of its home region;
// committed as for Keys.verify.
func (kr *keyring) verify(ctx context.Context, dg *Digest, algorithm, toSign, sig string, committed bool) error {
	keys := kr.static
	if kr.fetch != nil {
		region := HomeRegion(dg.Object)
		var err error
		if keys, err = kr.keys(ctx, region); err != nil {
			return err
		}
	}
	return keys.verify(dg.Fingerprint, dg.End(), algorithm, toSign, sig, committed)
}

func (kr *keyring) keys(ctx context.Context, region string) (Keys, error) {
	kr.mu.Lock()
	rk := kr.regions[region]
	if rk == nil {
		rk = &regionKeys{}
		kr.regions[region] = rk
	}
	kr.mu.Unlock()
	rk.once.Do(func() {
		if region == "" {
			rk.err = &KeyFetchError{Region: "(unknown)", Err: errors.New("the digest's name gives no home region")}
		} else if rk.keys, rk.err = kr.fetch(ctx, region, kr.start, kr.end); rk.err != nil {
			rk.err = &KeyFetchError{Region: region, Err: rk.err}
		}
		if rk.err != nil {
			kr.mu.Lock()
			if kr.err == nil {
				kr.err = rk.err
			}
			kr.mu.Unlock()
		}
	})
	return rk.keys, rk.err
}

// failed returns the first fetch failure, if any.
func (kr *keyring) failed() error {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	return kr.err
}
