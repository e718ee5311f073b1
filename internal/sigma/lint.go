package sigma

import (
	"fmt"
	"regexp"
	"strings"
)

// Problem is one lint finding about a Sigma rule.
type Problem struct {
	Field string // the field condition concerned
	Line  int
	Msg   string
}

// cloudTrail is the shape of a CloudTrail record as far as lint checks it:
// a key maps to its known sub-keys, or to nil when anything may sit below
// it (requestParameters and the other service-defined objects).
type shape map[string]shape

var open = shape(nil)

var cloudTrail = shape{
	"eventVersion": {}, "eventTime": {}, "eventSource": {}, "eventName": {}, "awsRegion": {},
	"sourceIPAddress": {}, "userAgent": {}, "errorCode": {}, "errorMessage": {},
	"requestParameters": open, "responseElements": open, "additionalEventData": open,
	"serviceEventDetails": open, "addendum": open, "edgeDeviceDetails": open, "insightDetails": open,
	"requestID": {}, "eventID": {}, "eventType": {}, "apiVersion": {}, "managementEvent": {},
	"readOnly": {}, "recipientAccountId": {}, "sharedEventID": {}, "vpcEndpointId": {},
	"vpcEndpointAccountId": {}, "eventCategory": {}, "sessionCredentialFromConsole": {},
	"resources":  {"ARN": {}, "accountId": {}, "type": {}},
	"tlsDetails": {"tlsVersion": {}, "cipherSuite": {}, "clientProvidedHostHeader": {}},
	"userIdentity": {
		"type": {}, "principalId": {}, "arn": {}, "accountId": {}, "accessKeyId": {}, "userName": {},
		"invokedBy": {}, "identityProvider": {}, "credentialId": {}, "onBehalfOf": open, "inScopeOf": open,
		"sessionContext": {
			"attributes":          {"creationDate": {}, "mfaAuthenticated": {}},
			"sessionIssuer":       {"type": {}, "principalId": {}, "arn": {}, "accountId": {}, "userName": {}},
			"webIdFederationData": open, "sourceIdentity": {}, "ec2RoleDelivery": {}, "assumedRoot": {},
		},
	},
}

// checkPath returns "" when path can exist in a CloudTrail record, or why
// not.
func checkPath(path string) string {
	s := cloudTrail
	parts := strings.Split(path, ".")
	for i, p := range parts {
		sub, ok := s[p]
		if !ok {
			for k := range s {
				if strings.EqualFold(k, p) {
					return fmt.Sprintf("CloudTrail spells %s as %s (field names are case-sensitive)",
						strings.Join(parts[:i+1], "."), strings.Join(append(parts[:i:i], k), "."))
				}
			}
			if i == 0 {
				return fmt.Sprintf("a CloudTrail record has no top-level key %s", p)
			}
			return fmt.Sprintf("a CloudTrail record has no %s under %s", p, strings.Join(parts[:i], "."))
		}
		if sub == nil {
			return ""
		}
		if len(sub) == 0 && i < len(parts)-1 {
			return fmt.Sprintf("%s is a scalar in CloudTrail; %s cannot exist", strings.Join(parts[:i+1], "."), path)
		}
		s = sub
	}
	return ""
}

var dotted = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$`)

// Lint reports the field conditions of r that can never match raw
// CloudTrail: fields a CloudTrail record does not have, and values that
// name a CloudTrail field where |fieldref was probably meant.
func Lint(uses []FieldUse) []Problem {
	var out []Problem
	for _, u := range uses {
		key := u.Field
		if len(u.Mods) > 0 {
			key += "|" + strings.Join(u.Mods, "|")
		}
		if why := checkPath(u.Field); why != "" {
			out = append(out, Problem{Field: key, Line: u.Line, Msg: why + ": the condition never holds"})
		}
		ref := false
		for _, m := range u.Mods {
			ref = ref || m == "fieldref" || m == "re" || m == "expand"
		}
		if ref {
			for _, v := range u.Values {
				if why := checkPath(v); why != "" && hasMod(u.Mods, "fieldref") {
					out = append(out, Problem{Field: key, Line: u.Line, Msg: "fieldref to " + v + ": " + why})
				}
			}
			continue
		}
		for _, v := range u.Values {
			if dotted.MatchString(v) && checkPath(v) == "" {
				if _, top := cloudTrail[strings.SplitN(v, ".", 2)[0]]; top {
					out = append(out, Problem{Field: key, Line: u.Line,
						Msg: fmt.Sprintf("the value %q is a CloudTrail field name, compared as text; add |fieldref to compare with that field's value", v)})
				}
			}
		}
	}
	return out
}

func hasMod(mods []string, m string) bool {
	for _, x := range mods {
		if x == m {
			return true
		}
	}
	return false
}
