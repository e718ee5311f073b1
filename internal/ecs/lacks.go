package ecs

import (
	"fmt"
	"strings"
)

// Lacks reports whether the view never produces the field name from a
// CloudTrail record, and why, in words for `rules lint` ("needs a GeoIP
// database…"); "", false when the view can produce it (Known). Any rule
// language can call it with the field names a query reads: a condition on
// a field the view lacks never holds, as on an Elasticsearch document
// without that field. Names are exact (no wildcards); a raw CloudTrail name
// is explained with the ECS fields to use instead.
func Lacks(name string) (reason string, lacks bool) {
	if Known(name) {
		return "", false
	}
	for _, l := range lacking {
		if l.match(name) {
			return l.why, true
		}
	}
	if use := ForRaw(name); len(use) > 0 {
		return fmt.Sprintf("a raw CloudTrail name; queries read the ECS view: use %s", strings.Join(use, " or ")), true
	}
	return "the ECS view of a CloudTrail record never has it", true
}

// lacking groups the fields Elastic's documents can hold and the view
// cannot, with the reason (ECS.md §3b and §5).
var lacking = []struct {
	match func(string) bool
	why   string
}{
	{under("source.geo"), "needs a GeoIP database (Elasticsearch's geoip processor); without one it is absent, as on a document without enrichment"},
	{under("source.as"), "needs an ASN database (GeoLite2-ASN, Elasticsearch's geoip processor); without one it is absent, as on a document without enrichment"},
	{entity, "an actor/target entity field, written only by an integration configured with the actor_target_mapping tag; absent"},
	{func(n string) bool { return under("user_agent")(n) && n != "user_agent.original" },
		"parsed by Elasticsearch's user_agent processor (uap-core's expressions), which the view does not run; only user_agent.original is there"},
	{under("data_stream"), "set by the data stream a document is written to, not by the pipeline; the view has data_stream.dataset only"},
	{func(n string) bool { return n == "event.original" }, "kept only by an integration with the preserve_original_event tag; absent"},
	{under("kibana.alert"), "a field of Kibana's alert documents (.alerts-security.*), not of a CloudTrail record"},
}

// under returns a matcher of root and the names below it.
func under(root string) func(string) bool {
	return func(n string) bool { return n == root || strings.HasPrefix(n, root+".") }
}

// entity matches the actor/target entity fields: entity.*, related.entity,
// and *.entity.* under any root (user.entity.id, user.target.entity.id…).
func entity(n string) bool {
	return under("entity")(n) || n == "related.entity" || strings.Contains(n, ".entity.")
}
