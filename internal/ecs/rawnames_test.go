package ecs

import "testing"

// TestForRaw: every ECS field the raw-name table suggests is one the view
// produces.
func TestForRaw(t *testing.T) {
	for raw := range rawNames {
		for _, f := range ForRaw(raw) {
			if !Known(f) {
				t.Errorf("ForRaw(%q) suggests %s, which the view never produces", raw, f)
			}
		}
	}
	for raw, want := range map[string]string{
		"sourceIPAddress":            "source.address",
		"userIdentity.accessKeyId":   "aws.cloudtrail.user_identity.access_key_id",
		"requestParameters.userName": "aws.cloudtrail.flattened.request_parameters.userName",
	} {
		if got := ForRaw(raw); len(got) == 0 || got[0] != want {
			t.Errorf("ForRaw(%q) = %v, want %s first", raw, got, want)
		}
	}
	if got := ForRaw("noSuchField"); got != nil {
		t.Errorf("ForRaw(noSuchField) = %v, want nil", got)
	}
}
