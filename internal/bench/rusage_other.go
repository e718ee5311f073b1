//go:build !unix

package bench

import "os"

func maxRSSMiB(*os.ProcessState) float64 { return 0 }

func selfCPU() float64 { return 0 }
