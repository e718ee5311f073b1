package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trailsweep/trailsweep/internal/gen"
)

// stratusSigma is what SigmaHQ's CloudTrail rules find in each Stratus Red
// Team detonation log, reviewed by hand: "rule title [eventName] xN".
// Files with no finding are listed with nil.
var stratusSigma = map[string][]string{
	"aws.credential-access.ec2-get-password-data":                 {"AWS STS AssumeRole Misuse [GetPasswordData] x30"},
	"aws.credential-access.ec2-steal-instance-credentials":        {"AWS STS AssumeRole Misuse [DescribeInstances] x1", "AWS STS AssumeRole Misuse [GetCallerIdentity] x1", "Potential Malicious Usage of CloudTrail System Manager [SendCommand] x1"},
	"aws.credential-access.secretsmanager-batch-retrieve-secrets": nil,
	"aws.credential-access.secretsmanager-retrieve-secrets":       nil,
	"aws.credential-access.ssm-retrieve-securestring-parameters":  nil,
	"aws.defense-evasion.cloudtrail-delete":                       {"AWS CloudTrail Important Change [DeleteTrail] x1"},
	"aws.defense-evasion.cloudtrail-event-selectors":              nil,
	"aws.defense-evasion.cloudtrail-stop":                         {"AWS CloudTrail Important Change [StopLogging] x1"},
	"aws.defense-evasion.dns-delete-logs":                         nil,
	"aws.defense-evasion.organizations-leave":                     {"AWS STS AssumeRole Misuse [LeaveOrganization] x1"},
	"aws.defense-evasion.vpc-remove-flow-logs":                    {"AWS VPC Flow Logs Deleted [DeleteFlowLogs] x1"},
	"aws.discovery.ec2-download-user-data":                        {"AWS STS AssumeRole Misuse [DescribeInstanceAttribute] x15"},
	"aws.execution.ec2-launch-unusual-instances":                  {"AWS STS AssumeRole Misuse [RunInstances] x1"},
	"aws.execution.ec2-user-data":                                 nil,
	"aws.execution.ssm-send-command":                              {"Potential Malicious Usage of CloudTrail System Manager [SendCommand] x1"},
	"aws.execution.ssm-start-session":                             nil,
	"aws.exfiltration.ec2-security-group-open-port-22-ingress":    {"Ingress/Egress Security Group Modification [AuthorizeSecurityGroupIngress] x1"},
	"aws.exfiltration.ec2-share-ami":                              nil,
	"aws.exfiltration.ec2-share-ebs-snapshot":                     {"AWS Snapshot Backup Exfiltration [ModifySnapshotAttribute] x1"},
	"aws.exfiltration.rds-share-snapshot":                         nil,
	"aws.impact.bedrock-invoke-model": {"AWS STS AssumeRole Misuse [CreateFoundationModelAgreement] x1", "AWS STS AssumeRole Misuse [GetFoundationModelAvailability] x10",
		"AWS STS AssumeRole Misuse [InvokeModel] x1", "AWS STS AssumeRole Misuse [ListFoundationModelAgreementOffers] x1",
		"AWS STS AssumeRole Misuse [PutFoundationModelEntitlement] x1", "AWS STS AssumeRole Misuse [PutUseCaseForModelAccess] x1"},
	"aws.initial-access.console-login-without-mfa":                {"AWS Successful Console Login Without MFA [ConsoleLogin] x1"},
	"aws.lateral-movement.ec2-instance-connect":                   nil,
	"aws.lateral-movement.ec2-serial-console-send-ssh-public-key": {"AWS STS AssumeRole Misuse [EnableSerialConsoleAccess] x1", "AWS STS AssumeRole Misuse [SendSerialConsoleSSHPublicKey] x3"},
	"aws.persistence.iam-backdoor-role":                           nil,
	"aws.persistence.iam-backdoor-user":                           {"AWS IAM Backdoor Users Keys [CreateAccessKey] x1"},
	"aws.persistence.iam-create-admin-user":                       {"AWS IAM Backdoor Users Keys [CreateAccessKey] x1"},
	"aws.persistence.iam-create-backdoor-role":                    nil,
	"aws.persistence.iam-create-user-login-profile":               nil,
	"aws.persistence.lambda-backdoor-function":                    nil,
	"aws.persistence.lambda-layer-extension":                      {"AWS New Lambda Layer Attached [UpdateFunctionConfiguration20150331v2] x1"},
	"aws.persistence.lambda-overwrite-code":                       nil,
	"aws.persistence.rolesanywhere-create-trust-anchor":           nil,
	"aws.persistence.sts-federation-token":                        nil,
	"aws.privilege-escalation.iam-update-user-login-profile":      {"AWS User Login Profile Was Modified [UpdateLoginProfile] x1"},
}

// TestSigmaStratus scans the Stratus Red Team detonation logs with SigmaHQ's
// CloudTrail rules through the real CLI and compares the findings per
// technique file with the hand-reviewed table above.
func TestSigmaStratus(t *testing.T) {
	rules, data := gen.SharedDir(t, "rules", "sigma-aws"), gen.SharedDir(t, "datasets", "stratus-detonations")
	out := filepath.Join(t.TempDir(), "f.jsonl")
	code, _, stderr := cli(t, "scan", "-q", "--rules", rules, "--out", out, data)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	var sample map[string]any
	for sc.Scan() {
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatal(err)
		}
		if row["rule_source"] != "sigma" {
			t.Errorf("rule_source %v", row["rule_source"])
		}
		file := strings.TrimSuffix(filepath.Base(row["source_uri"].(string)), ".json")
		if counts[file] == nil {
			counts[file] = map[string]int{}
		}
		counts[file][fmt.Sprintf("%s [%s]", row["rule_name"], row["event_name"])]++
		if sample == nil && row["event_name"] == "ConsoleLogin" {
			sample = row
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(data, "*.json"))
	if len(files) != len(stratusSigma) {
		t.Errorf("%d technique files, the table has %d", len(files), len(stratusSigma))
	}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		var got []string
		for k, n := range counts[name] {
			got = append(got, fmt.Sprintf("%s x%d", k, n))
		}
		sort.Strings(got)
		want, ok := stratusSigma[name]
		if !ok {
			t.Errorf("%s: not in the reviewed table; found %q", name, got)
			continue
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got %q\nwant %q", name, got, want)
		}
	}
	// The console login finding carries the Sigma rule's metadata.
	if sample == nil {
		t.Fatal("no ConsoleLogin finding")
	}
	if sample["rule_id"] != "77caf516-34e5-4df9-b4db-20744fea0a60" || sample["severity"] != "medium" || sample["rule_type"] != "query" {
		t.Errorf("finding metadata %v %v %v", sample["rule_id"], sample["severity"], sample["rule_type"])
	}
	tactics := fmt.Sprint(sample["tactics"])
	techniques := fmt.Sprint(sample["techniques"])
	if tactics != "[Initial Access Persistence Privilege Escalation Stealth]" || techniques != "[T1078 T1078.004]" {
		t.Errorf("tactics %s, techniques %s", tactics, techniques)
	}
}

// TestSigmaFlags covers --status, --min-severity on Sigma levels,
// --sigma-placeholders and the Sigma lint checks.
func TestSigmaFlags(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rule := func(id, status, level, det string) string {
		return fmt.Sprintf("title: rule %s\nid: %s\nstatus: %s\nlevel: %s\nfalsepositives:\n    - admins at work\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n%s", id, id, status, level, det)
	}
	write("a.yml", rule("a", "stable", "informational", "    sel:\n        eventName: X\n    condition: sel\n"))
	write("b.yml", rule("b", "experimental", "high", "    sel:\n        sourceIPAddress|expand: '%vpn%'\n    condition: sel\n"))
	write("c.yml", rule("c", "test", "critical", "    sel:\n        eventname: X\n        userIdentity.arn|contains: requestParameters.userName\n    condition: sel\n"))
	ph := write("ph.yaml", "vpn: [10.0.0.1]\n")

	code, stdout, stderr := cli(t, "rules", "--rules", dir, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var infos []struct {
		ID, Severity, Reason string
		Supported            bool
	}
	if err := json.Unmarshal([]byte(stdout), &infos); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, in := range infos {
		got[in.ID] = fmt.Sprintf("%s %v %s", in.Severity, in.Supported, in.Reason)
	}
	if got["a"] != "low true " || !strings.HasPrefix(got["b"], "high false search sel, sourceIPAddress|expand: placeholder %vpn%") || got["c"] != "critical true " {
		t.Errorf("rules: %q", got)
	}
	if code, stdout, _ := cli(t, "rules", "--rules", dir, "--sigma-placeholders", ph); code != exitOK || !strings.Contains(stdout, "3 rules, 3 supported") {
		t.Errorf("--sigma-placeholders: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := cli(t, "rules", "--rules", dir, "--status", "stable,test"); code != exitOK ||
		!strings.Contains(stdout, "2 rules") || !strings.Contains(stdout, "STATUS") || !strings.Contains(stdout, "- admins at work") {
		t.Errorf("--status: exit %d\n%s", code, stdout)
	}
	if code, stdout, _ := cli(t, "rules", "--rules", dir, "--min-severity", "high"); code != exitOK || !strings.Contains(stdout, "2 rules") {
		t.Errorf("--min-severity: exit %d\n%s", code, stdout)
	}
	if code, _, stderr := cli(t, "rules", "--rules", dir, "--status", "beta"); code != exitUsage || !strings.Contains(stderr, "--status beta") {
		t.Errorf("--status beta: exit %d %s", code, stderr)
	}
	code, stdout, _ = cli(t, "rules", "lint", "--rules", dir)
	if code != exitOK || !strings.Contains(stdout, "CloudTrail spells eventname as eventName") ||
		!strings.Contains(stdout, `the value "requestParameters.userName" is a CloudTrail field name`) {
		t.Errorf("lint: exit %d\n%s", code, stdout)
	}
}
