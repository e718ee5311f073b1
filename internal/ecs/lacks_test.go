package ecs

import (
	"strings"
	"testing"
)

func TestLacks(t *testing.T) {
	tests := []struct {
		name string
		want string // part of the reason; "" when the view has the field
	}{
		{"source.ip", ""},
		{"user.target.name", ""},
		{"related.user", ""},
		{"aws.cloudtrail.flattened.request_parameters.userName", ""},
		{"data_stream.dataset", ""},
		{"user_agent.original", ""},
		{"source.as.organization.name", "ASN database"},
		{"source.as.number", "ASN database"},
		{"source.geo.country_iso_code", "GeoIP database"},
		{"source.geo", "GeoIP database"},
		{"source.address.x", "never has it"},
		{"related.entity", "actor_target_mapping"},
		{"entity.target.id", "actor_target_mapping"},
		{"user.entity.id", "actor_target_mapping"},
		{"user.target.entity.id", "actor_target_mapping"},
		{"user_agent.name", "user_agent processor"},
		{"user_agent.os.name", "user_agent processor"},
		{"data_stream.namespace", "data stream"},
		{"event.original", "preserve_original_event"},
		{"kibana.alert.rule.name", "alert documents"},
		{"sourceIPAddress", "use source.address or source.ip"},
		{"requestParameters.userName", "use aws.cloudtrail.flattened.request_parameters.userName"},
		{"process.name", "never has it"},
		{"source_geo", "never has it"},
	}
	for _, tt := range tests {
		why, lacks := Lacks(tt.name)
		if lacks != (tt.want != "") || !strings.Contains(why, tt.want) {
			t.Errorf("Lacks(%s) = %q, %v; want %v containing %q", tt.name, why, lacks, tt.want != "", tt.want)
		}
		if lacks == Known(tt.name) {
			t.Errorf("Lacks(%s) = %v but Known = %v", tt.name, lacks, Known(tt.name))
		}
	}
	for _, name := range Names() {
		if why, lacks := Lacks(name); lacks {
			t.Errorf("Lacks(%s) = %q for a field of Names", name, why)
		}
	}
}
