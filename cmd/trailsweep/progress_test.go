package main

import (
	"testing"

	"github.com/trailsweep/trailsweep/scan"
)

// TestProgressLine: the status line shows the listing (folders listed,
// keys found, and whether it is still going) apart from the reading, and
// the phase after the scan.
func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		p    scan.Progress
		want string
	}{
		{scan.Progress{Folders: 12, Listed: 340, Done: 200, Failed: 1, Findings: 3},
			"listing 12 folders, 340 keys · read 200, 1 failed · findings 3 ·"},
		{scan.Progress{Folders: 1410, Listed: 33600, ListingDone: true, Done: 33599, Failed: 1, Findings: 7},
			"listed 1410 folders, 33600 keys · read 33599, 1 failed · findings 7 ·"},
		{scan.Progress{Phase: "writing the output", Folders: 9, Listed: 50, ListingDone: true, Done: 50, Findings: 2},
			"writing the output · objects 50 read, 0 failed · findings 2 ·"},
	} {
		if got := progressLine(tc.p); got != tc.want {
			t.Errorf("progressLine(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}
