package ecs_test

import "github.com/trailsweep/trailsweep/internal/ecs"

// checkRecord is what the scanner checks after ResetMembers: ECS.md §1's
// malformed-object rule.
func checkRecord(r *ecs.Record) error { return r.Malformed() }
