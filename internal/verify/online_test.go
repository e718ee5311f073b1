package verify

import "testing"

func TestHomeRegion(t *testing.T) {
	for key, want := range map[string]string{
		"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20/111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20261120T100000Z.json.gz":            "us-east-1",
		"AWSLogs/o-abc/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20/111122223333_CloudTrail-Digest_eu-west-1_my_trail_name_ap-south-1_20261120T100000Z.json.gz": "ap-south-1",
		"AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/11/20/renamed.json.gz":                                                                                  "eu-west-1",
		"x/renamed.json.gz": "",
	} {
		if got := HomeRegion(key); got != want {
			t.Errorf("HomeRegion(%s) = %q, want %q", key, got, want)
		}
	}
}
