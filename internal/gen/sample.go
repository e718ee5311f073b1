package gen

import (
	"encoding/json"
	"time"
)

// SeedRuleID is the rule_id of Elastic's "AWS Lambda Event Source Mapping
// Creation", which trailsweep ships as a built-in rule.
const SeedRuleID = "5619545b-9738-408c-bdb5-a2807e19133e"

// Built-in rule ids the sample is built to fire besides the seed rule.
const (
	LoggingImpairedRuleID = "ada73a67-6455-4de8-8fb6-69cd8b5dab36"
	OpenAdminPortRuleID   = "20036ec3-9130-405a-a6f7-0e70fee9bccf"
	AccessKeyForUserID    = "aac4ba89-2b3c-42a7-948c-2a1a3cede737"
	RootConsoleLoginID    = "681ae0d8-b9d7-4ed5-82de-8f85c6ef67c8"
)

// Hit is a finding a tree is built to produce: rule RuleID on record Index of
// object Key.
type Hit struct {
	RuleID  string
	Key     string
	Index   int
	EventID string
}

// Tree is a generated log tree and the findings it is built to produce.
type Tree struct {
	Files []File
	Hits  []Hit
}

// PlantedUserAgent is the attacker-controlled user agent the sample plants on
// a seed positive: a spreadsheet formula.
const PlantedUserAgent = `=cmd|' /C calc'!A0`

// entry is one record of a sample file, with the rules it must fire.
type entry struct {
	rec   Record
	rules []string
}

func hits(rules ...string) []string { return rules }

// build assembles files of entries into a Tree.
func build(files map[string][]entry, order []string, extra ...File) Tree {
	var t Tree
	for _, key := range order {
		var recs []Record
		for i, e := range files[key] {
			recs = append(recs, e.rec)
			for _, r := range e.rules {
				t.Hits = append(t.Hits, Hit{RuleID: r, Key: key, Index: i, EventID: e.rec.EventID})
			}
		}
		t.Files = append(t.Files, File{Key: key, Body: Gzip(LogFile(recs...))})
	}
	t.Files = append(t.Files, extra...)
	return t
}

const (
	acctA  = "111122223333"
	acctB  = "444455556666"
	org    = "o-a1b2c3d4e5"
	lambda = "lambda.amazonaws.com"
)

func at(day, hh, mm int) time.Time { return time.Date(2026, 11, day, hh, mm, 7, 0, time.UTC) }

// esmParams is a CreateEventSourceMapping request.
const esmParams = `{"eventSourceArn":"arn:aws:sqs:us-east-1:111122223333:orders","functionName":"order-sync","enabled":true,"batchSize":10}`

// Sample is the demo tree: three days of two accounts (one through an
// organization trail) and two regions, with positives and near-misses of the
// seed rule, a few other attacker actions, ordinary noise and a digest file.
// Every record is an event of 2026-11-20 to 2026-11-22 except one on
// 2026-11-25, delivered in its own day folder (for window pruning).
func Sample() Tree {
	alice := IAMUser(acctA, "alice", "AKIAEXAMPLEALICE0001")
	deploy := AssumedRole(acctA, "deploy-role", "gitlab-runner-42", "ASIAEXAMPLEDEPLOY001")
	orgAdmin := AssumedRole(acctB, "OrganizationAccountAccessRole", "attacker-session", "ASIAEXAMPLEORGADM001")

	planted := Event(alice, at(20, 9, 1), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, `{"uUID":"6a1c8f0e-1111-4d5e-9c3b-0e2f5a7b9c01","state":"Creating"}`)
	planted.UserAgent = PlantedUserAgent

	denied := Event(alice, at(20, 9, 2), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, "")
	denied.ErrorCode, denied.ErrorMessage = "AccessDeniedException", "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: lambda:CreateEventSourceMapping"

	msgOnly := Event(deploy, at(20, 9, 7), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, "")
	msgOnly.ErrorMessage = "The provided execution role does not have permissions to call ReceiveMessage on SQS"

	wrongCase := Event(alice, at(21, 14, 3), "eu-west-1", lambda, "createEventSourceMapping20150331", esmParams, "")

	root := Identity{Type: "Root", PrincipalID: acctA, ARN: "arn:aws:iam::" + acctA + ":root", AccountID: acctA}
	rootLogin := Event(root, at(21, 14, 2), "us-east-1", "signin.amazonaws.com", "ConsoleLogin", "", `{"ConsoleLogin":"Success"}`)
	rootLogin.AdditionalEventData = json.RawMessage(`{"LoginTo":"https://console.aws.amazon.com/console/home","MobileVersion":"No","MFAUsed":"No"}`)
	rootLogin.EventType, rootLogin.ReadOnly = "AwsConsoleSignIn", false
	rootFailed := rootLogin
	rootFailed.ResponseElements = json.RawMessage(`{"ConsoleLogin":"Failure"}`)
	rootFailed.ErrorMessage = "Failed authentication"
	rootFailed.EventID = uuid(rootLogin.EventID + "failed")

	k1 := LogKey("", acctA, "us-east-1", at(20, 9, 5), "Q2x3vB7nR0aPq9Tz")
	k2 := LogKey("", acctA, "us-east-1", at(20, 9, 10), "m8YdW1kLc4HsE6uJ")
	k3 := LogKey("", acctA, "eu-west-1", at(21, 14, 5), "Zp5Gq0Nf2RtV7wXe")
	k4 := LogKey(org, acctB, "us-east-1", at(21, 22, 15), "aB3cD4eF5gH6iJ7k")
	k5 := LogKey("", acctA, "us-east-1", at(25, 3, 0), "Lm0Np1Qr2St3Uv4W")

	files := map[string][]entry{
		k1: {
			{planted, hits(SeedRuleID)},
			{denied, nil}, // errorCode → event.outcome failure
			{Event(alice, at(20, 9, 3), "us-east-1", "ec2.amazonaws.com", "DescribeInstances", `{"maxResults":1000}`, ""), nil},
			{Event(alice, at(20, 9, 4), "us-east-1", lambda, "UpdateEventSourceMapping20150331", `{"uUID":"6a1c8f0e-1111-4d5e-9c3b-0e2f5a7b9c01","batchSize":100}`, ""), nil},
			{Event(alice, at(20, 9, 4), "us-east-1", "cloudtrail.amazonaws.com", "StopLogging", `{"name":"arn:aws:cloudtrail:us-east-1:111122223333:trail/org-trail"}`, ""), hits(LoggingImpairedRuleID)},
		},
		k2: {
			{Event(deploy, at(20, 9, 6), "us-east-1", lambda, "CreateEventSourceMapping", esmParams, `{"state":"Creating"}`), hits(SeedRuleID)},
			{msgOnly, nil}, // errorMessage alone → failure
			{Event(deploy, at(20, 9, 8), "us-east-1", "sts.amazonaws.com", "GetCallerIdentity", "", ""), nil},
		},
		k3: {
			{wrongCase, nil}, // keyword matching is case-sensitive
			{Event(alice, at(21, 14, 4), "eu-west-1", "iam.amazonaws.com", "CreateAccessKey", `{"userName":"bob"}`, `{"accessKey":{"accessKeyId":"AKIAEXAMPLEBOB000001","status":"Active","userName":"bob"}}`), hits(AccessKeyForUserID)},
			{Event(alice, at(21, 14, 4), "eu-west-1", "s3.amazonaws.com", "ListBuckets", "", ""), nil},
			{rootLogin, hits(RootConsoleLoginID)},
			{rootFailed, nil}, // ConsoleLogin outcome comes from responseElements: Failure
		},
		k4: {
			{Event(orgAdmin, at(21, 22, 10), "us-east-1", lambda, "CreateEventSourceMapping20150331", `{"eventSourceArn":"arn:aws:dynamodb:us-east-1:444455556666:table/customers/stream/2026-11-01T00:00:00.000","functionName":"exfil"}`, `{"state":"Creating"}`), hits(SeedRuleID)},
			{Event(orgAdmin, at(21, 22, 11), "us-east-1", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", `{"groupId":"sg-0123456789abcdef0","ipPermissions":{"items":[{"ipProtocol":"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}]}}`, `{"_return":true}`), hits(OpenAdminPortRuleID)},
			{Event(orgAdmin, at(21, 22, 12), "us-east-1", "cloudtrail.amazonaws.com", "DeleteTrail", `{"name":"org-trail"}`, ""), hits(LoggingImpairedRuleID)},
			{Event(orgAdmin, at(21, 22, 12), "us-east-1", "lambda.amazonaws.com", "DeleteEventSourceMapping20150331", `{"uUID":"0b9f"}`, ""), nil},
		},
		k5: {
			{Event(alice, at(25, 2, 55), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, `{"state":"Creating"}`), hits(SeedRuleID)},
		},
	}
	digest := File{
		Key:  "AWSLogs/" + acctA + "/CloudTrail-Digest/us-east-1/2026/11/20/" + acctA + "_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261120T100000Z.json.gz",
		Body: Gzip([]byte(`{"awsAccountId":"` + acctA + `","digestStartTime":"2026-11-20T09:00:00Z","digestEndTime":"2026-11-20T10:00:00Z","digestS3Bucket":"demo-trail","digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/20/111122223333_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20261120T100000Z.json.gz","digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2026-11-20T09:08:07Z","oldestEventTime":"2026-11-20T09:01:07Z","previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`)),
	}
	return build(files, []string{k1, k2, k3, k4, k5}, digest)
}

// Broken is a small tree with one good log file and one object of each kind
// of damage: corrupt gzip, non-JSON, truncated gzip, JSON that is not
// CloudTrail. Every other object must still be read and reported.
func Broken() Tree {
	alice := IAMUser(acctA, "alice", "AKIAEXAMPLEALICE0001")
	good := LogKey("", acctA, "us-east-1", at(20, 10, 5), "G00dG00dG00dG00d")
	files := map[string][]entry{
		good: {
			{Event(alice, at(20, 10, 1), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, `{"state":"Creating"}`), hits(SeedRuleID)},
			{Event(alice, at(20, 10, 2), "us-east-1", "ec2.amazonaws.com", "DescribeRegions", "", ""), nil},
		},
	}
	valid := Gzip(LogFile(Event(alice, at(20, 10, 3), "us-east-1", lambda, "CreateEventSourceMapping20150331", esmParams, "")))
	corrupt := append([]byte{0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0xff}, []byte("this is not a deflate stream, just bytes pretending to be one")...)
	return build(files, []string{good},
		File{Key: LogKey("", acctA, "us-east-1", at(20, 10, 10), "C0rruptC0rruptC0"), Body: corrupt},
		File{Key: LogKey("", acctA, "us-east-1", at(20, 10, 15), "N0tJs0nN0tJs0nN0"), Body: Gzip([]byte("<html><body>403 Forbidden</body></html>\n"))},
		File{Key: LogKey("", acctA, "us-east-1", at(20, 10, 20), "TruncatedTrunc00"), Body: valid[:len(valid)/2]},
		File{Key: LogKey("", acctA, "us-east-1", at(20, 10, 25), "N0tCl0udTra1l000"), Body: Gzip([]byte(`{"awsAccountId":"111122223333","logFiles":[]}`))},
	)
}
