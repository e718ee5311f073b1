package ecs_test

import "github.com/trailsweep/trailsweep/internal/ecs"

// checkRecord is what the scanner checks after ResetMembers (nothing yet).
func checkRecord(*ecs.Record) error { return nil }
