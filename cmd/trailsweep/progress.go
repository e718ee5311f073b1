package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/trailsweep/trailsweep/scan"
)

// newProgress returns a progress callback drawing one status line on stderr,
// or nil when stderr is not a terminal (CI logs, redirects) or quiet is set.
// The total is unknown while listing streams, so it shows counts and rates
// rather than a percentage.
func newProgress(stderr io.Writer, quiet bool) (update func(scan.Progress), finish func()) {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription("scanning"),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
	update = func(p scan.Progress) {
		bar.Describe(progressLine(p))
		if p.Phase == "" {
			_ = bar.Set64(p.BytesRead)
		}
	}
	return update, func() { _ = bar.Finish() }
}

// progressLine describes p: the listing (folders listed and keys found,
// "listing" until it has finished) apart from the reading, or the phase
// after the scan.
func progressLine(p scan.Progress) string {
	if p.Phase != "" {
		return fmt.Sprintf("%s · objects %d read, %d failed · findings %d ·", p.Phase, p.Done, p.Failed, p.Findings)
	}
	listing := "listing"
	if p.ListingDone {
		listing = "listed"
	}
	return fmt.Sprintf("%s %d folders, %d keys · read %d, %d failed · findings %d ·",
		listing, p.Folders, p.Listed, p.Done, p.Failed, p.Findings)
}
