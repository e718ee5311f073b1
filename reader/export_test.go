package reader

import (
	"os"
	"time"
)

// TRAILSWEEP_TEST_SWAR=1 runs the tests with strings scanned eight bytes at
// a time, as on CPUs without AVX2 (make test does, for the decoder tests).
func init() {
	if os.Getenv("TRAILSWEEP_TEST_SWAR") != "" {
		useStopBits = false
	}
}

// SetPageSize sets the MaxKeys of s's listings, to exercise pagination.
func SetPageSize(s *S3, n int32) { s.pageSize = n }

// SetStopBits turns the AVX2 string scan on (where the CPU has AVX2) or
// off for decoders reset from now on, and returns the previous setting.
func SetStopBits(on bool) bool {
	old := useStopBits
	useStopBits = on && haveAVX2
	return old
}

// TimeoutHTTPClient returns the HTTP client NewS3 uses, with timeouts d.
func TimeoutHTTPClient(d time.Duration) *timeoutClient { return newTimeoutClient(nil, d) }

// SetListConcurrency sets how many folders s lists at once.
func SetListConcurrency(s *S3, n int) { s.listConc = n }
