package reader

import (
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestParseKey(t *testing.T) {
	tests := []struct {
		key    string
		want   Key
		wantOK bool
	}{
		{
			key:    "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/05/111122223333_CloudTrail_us-east-1_20240105T0000Z_abcdefghijklmnop.json.gz",
			want:   Key{Account: "111122223333", Kind: KindLog, Region: "us-east-1", Day: date(2024, 1, 5), Name: "111122223333_CloudTrail_us-east-1_20240105T0000Z_abcdefghijklmnop.json.gz"},
			wantOK: true,
		},
		{
			key:    "logs/prod/AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-3/2023/12/31/f.json.gz",
			want:   Key{Prefix: "logs/prod", Org: "o-abc123def4", Account: "111122223333", Kind: KindLog, Region: "eu-west-3", Day: date(2023, 12, 31), Name: "f.json.gz"},
			wantOK: true,
		},
		{
			key:    "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/02/29/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240229T010203Z.json.gz",
			want:   Key{Account: "111122223333", Kind: KindDigest, Region: "us-east-1", Day: date(2024, 2, 29), Name: "111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20240229T010203Z.json.gz"},
			wantOK: true,
		},
		{
			key:    "AWSLogs/o-x1/111122223333/CloudTrail-Insight/ap-south-1/2024/03/01/i.json.gz",
			want:   Key{Org: "o-x1", Account: "111122223333", Kind: KindInsight, Region: "ap-south-1", Day: date(2024, 3, 1), Name: "i.json.gz"},
			wantOK: true,
		},
		{
			key:    "AWSLogs/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/05/f.json.gz",
			want:   Key{Prefix: "AWSLogs", Account: "111122223333", Kind: KindLog, Region: "us-east-1", Day: date(2024, 1, 5), Name: "f.json.gz"},
			wantOK: true,
		},
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/05/"},                // no file name
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/05/sub/f.json.gz"},   // below the day
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/f.json.gz"},          // no day
		{key: "AWSLogs/11112222333/CloudTrail/us-east-1/2024/01/05/f.json.gz"},        // 11-digit account
		{key: "AWSLogs/1111222233x3/CloudTrail/us-east-1/2024/01/05/f.json.gz"},       // not digits
		{key: "AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/01/05/f.log.gz"},       // another service
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/05/f.json.gz"},       // month 13
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/2023/02/29/f.json.gz"},       // not a leap year
		{key: "AWSLogs/111122223333/CloudTrail/us-east-1/24/01/05/f.json.gz"},         // short year
		{key: "AWSLogs/111122223333/CloudTrail//2024/01/05/f.json.gz"},                // empty region
		{key: "AWSLogs/org-1/111122223333/CloudTrail/us-east-1/2024/01/05/f.json.gz"}, // not an org folder
		{key: "CloudTrail/111122223333/CloudTrail/us-east-1/2024/01/05/f.json.gz"},    // no AWSLogs
		{key: "awslogs/111122223333/CloudTrail/us-east-1/2024/01/05/f.json.gz"},       // case matters
		{key: ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			got, ok := ParseKey(tt.key)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("ParseKey = %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestKeySkip(t *testing.T) {
	tests := []struct {
		key  Key
		want string
	}{
		{Key{Kind: KindLog, Name: "a.json.gz"}, ""},
		{Key{Kind: KindLog, Name: "A.JSON"}, ""},
		{Key{Kind: KindLog, Name: "a.ndjson"}, ""},
		{Key{Kind: KindLog, Name: "a.jsonl"}, ""},
		{Key{Kind: KindLog, Name: "a.gz"}, ""},
		{Key{Kind: KindLog, Name: "a.txt"}, SkipNotLog},
		{Key{Kind: KindLog, Name: ".DS_Store"}, SkipNotLog},
		{Key{Kind: KindDigest, Name: "a.json.gz"}, SkipDigest},
		{Key{Kind: KindInsight, Name: "a.json.gz"}, SkipInsight},
	}
	for _, tt := range tests {
		if got := tt.key.Skip(); got != tt.want {
			t.Errorf("%+v.Skip() = %q, want %q", tt.key, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	f := Filter{
		Since:    time.Date(2024, 1, 10, 13, 0, 0, 0, time.UTC),
		Until:    time.Date(2024, 1, 12, 1, 0, 0, 0, time.UTC),
		Accounts: []string{"111122223333"},
		Regions:  []string{"us-east-1"},
	}
	w := newWindow(f)
	if want := date(2024, 1, 9); !w.first.Equal(want) {
		t.Errorf("first day = %v, want %v", w.first, want)
	}
	if want := date(2024, 1, 13); !w.last.Equal(want) {
		t.Errorf("last day = %v, want %v", w.last, want)
	}
	tests := []struct {
		path string
		want verdict
	}{
		{"", admitted},
		{"o-abc", admitted},
		{"111122223333", admitted},
		{"o-abc/111122223333", admitted},
		{"444455556666", filtered},
		{"o-abc/444455556666", filtered},
		{"readme", offLayout},
		{"111122223333/CloudTrail", admitted},
		{"111122223333/CloudTrail-Digest", admitted},
		{"111122223333/Config", offLayout},
		{"111122223333/CloudTrail/us-east-1", admitted},
		{"111122223333/CloudTrail/eu-west-1", filtered},
		{"111122223333/CloudTrail/us-east-1/2024", admitted},
		{"111122223333/CloudTrail/us-east-1/2023", filtered},
		{"111122223333/CloudTrail/us-east-1/2024/01", admitted},
		{"111122223333/CloudTrail/us-east-1/2024/02", filtered},
		{"111122223333/CloudTrail/us-east-1/2024/01/08", filtered},
		{"111122223333/CloudTrail/us-east-1/2024/01/09", admitted}, // since − 1 day
		{"111122223333/CloudTrail/us-east-1/2024/01/13", admitted}, // until + 1 day
		{"111122223333/CloudTrail/us-east-1/2024/01/14", filtered},
		{"111122223333/CloudTrail/us-east-1/2024/01/10/deeper", admitted},
		{"111122223333/CloudTrail/us-east-1/xx", offLayout},
		{"111122223333/CloudTrail/us-east-1/2024/1", offLayout},
		{"111122223333/CloudTrail/us-east-1/2024/01/32", offLayout},
	}
	for _, tt := range tests {
		var segs []string
		if tt.path != "" {
			segs = strings.Split(tt.path, "/")
		}
		if got := w.judge(segs); got != tt.want {
			t.Errorf("judge(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}

	// An open window admits every day on the open side.
	open := newWindow(Filter{Since: date(2024, 1, 10)})
	for path, want := range map[string]verdict{
		"111122223333/CloudTrail/us-east-1/2030/12/31": admitted,
		"111122223333/CloudTrail/us-east-1/2024/01/09": admitted,
		"111122223333/CloudTrail/us-east-1/2024/01/08": filtered,
		"444455556666/CloudTrail/eu-west-1/2024/01/09": admitted,
	} {
		if got := open.judge(strings.Split(path, "/")); got != want {
			t.Errorf("open window: judge(%q) = %v, want %v", path, got, want)
		}
	}
}
