package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trailsweep/trailsweep/internal/verify"
	"github.com/trailsweep/trailsweep/reader"
)

// onlineKeys returns the KeyFetcher used without --public-keys: CloudTrail's
// ListPublicKeys in each digest's home region, with the credential chain,
// profile and timeouts of the S3 options (opts.Endpoint is S3's and is not
// used; endpoint, from --cloudtrail-endpoint-url, overrides CloudTrail's,
// as AWS_ENDPOINT_URL_CLOUDTRAIL does). The AWS configuration is loaded
// at the first fetch, so a verification that finds no digest needs none.
func onlineKeys(opts reader.S3Options, endpoint string) verify.KeyFetcher {
	var (
		once  sync.Once
		fetch verify.KeyFetcher
		err   error
	)
	return func(ctx context.Context, region string, start, end time.Time) (verify.Keys, error) {
		once.Do(func() {
			cfg, e := reader.AWSConfig(ctx, opts)
			if e != nil {
				err = e
				return
			}
			fetch = verify.OnlineKeys(cfg, endpoint)
		})
		if err != nil {
			return nil, err
		}
		keys, e := fetch(ctx, region, start, end)
		return keys, reader.RedactError(e)
	}
}

// keyFetchErr turns a failure to fetch public keys into a usage exit (2)
// that names the region and the offline way; nil when err is not one.
func keyFetchErr(err error) error {
	var kfe *verify.KeyFetchError
	if !errors.As(err, &kfe) {
		return nil
	}
	return &exitError{code: exitUsage, err: fmt.Errorf("%w; pass --public-keys FILE (aws cloudtrail list-public-keys --region %s --start-time … > FILE) to verify offline", kfe, kfe.Region)}
}
