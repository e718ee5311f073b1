package ecs

import (
	"strings"
)

// The target, group and related fields of ECS.md §3b: they come from the
// request and the response, not the actor. Each reads the cleaned record;
// a path holding a list gives a value per element (a keyword field), a
// number or boolean its text, an object nothing.
var (
	targetUserName = keyword("requestParameters", "userName")
	newUserName    = keyword("requestParameters", "newUserName")
	targetUserID   = keyword("responseElements", "user", "userId")
	computerName   = keyword("requestParameters", "computerName")
	serverName     = keyword("tlsDetails", "clientProvidedHostHeader")
	serviceEventIP = keyword("serviceEventDetails", "sourceIpAddress")
)

// sessionName returns the session name of the record's identity: the last
// segment of userIdentity.arn when it is an STS ARN with a path
// (arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/NAME,
// …:federated-user/NAME) and userIdentity.type is AssumedRole,
// FederatedUser or IdentityCenterUser; false otherwise. The string is a view
// of the record, valid until the next Reset.
func (r *Record) sessionName() (string, bool) {
	switch t, _ := r.textView("userIdentity", "type"); t {
	case "AssumedRole", "FederatedUser", "IdentityCenterUser":
	default:
		return "", false
	}
	arn, ok := r.textView("userIdentity", "arn")
	if !ok {
		return "", false
	}
	return stsSessionName(arn)
}

// stsSessionName returns NAME of an ARN arn:PARTITION:sts:REGION:ACCOUNT:…/NAME;
// false when arn is not an STS ARN, has no "/" in its resource, or NAME is
// empty.
func stsSessionName(arn string) (string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return "", false
	}
	i := strings.LastIndexByte(parts[5], '/')
	if i < 0 || i == len(parts[5])-1 {
		return "", false
	}
	return parts[5][i+1:], true
}

// emailLocal returns the local part of s when s reads as an e-mail address
// (text, "@", text: the first "@" splits it); false otherwise.
func emailLocal(s string) (string, bool) {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" {
		return "", false
	}
	return local, true
}

// userEmail computes user.email: the session name when it is an e-mail
// address, else user.name when it contains "@", whole (never split into
// name and domain).
func userEmail(r *Record, dst []Value) []Value {
	if s, ok := r.sessionName(); ok {
		if _, email := emailLocal(s); email {
			return append(dst, Value{Kind: KindString, S: s})
		}
	}
	n := len(dst)
	dst = userName(r, dst)
	out := dst[:n]
	for _, v := range dst[n:] {
		if strings.Contains(v.S, "@") {
			out = append(out, v)
		}
	}
	return out
}

// relatedUser computes related.user: without repeats, in this order, the
// session name and (when it is an e-mail address) its local part,
// requestParameters.userName, requestParameters.newUserName,
// responseElements.user.userId, user.id, user.name, user.changes.name and
// userIdentity.onBehalfOf.userId.
func relatedUser(r *Record, dst []Value) []Value {
	n := len(dst)
	if s, ok := r.sessionName(); ok {
		dst = append(dst, Value{Kind: KindString, S: s})
		if local, ok := emailLocal(s); ok {
			dst = append(dst, Value{Kind: KindString, S: local})
		}
	}
	for _, f := range [...]computeFunc{targetUserName, newUserName, targetUserID, userID, userName, newUserName, onBehalfOfUser} {
		dst = f(r, dst)
	}
	return unique(dst, n)
}

// relatedIP computes related.ip: source.ip, and
// serviceEventDetails.sourceIpAddress when it is an IP address; without
// repeats.
func relatedIP(r *Record, dst []Value) []Value {
	n := len(dst)
	dst = sourceAddress(r, dst)
	dst = serviceEventIP(r, dst)
	ips := dst[:n]
	for _, v := range dst[n:] {
		if isIP(v.S) {
			ips = append(ips, v)
		}
	}
	return unique(ips, n)
}

// isIP reports whether s is an IPv4 or IPv6 literal without a zone, as
// source.ip requires.
func isIP(s string) bool {
	a, ok := ParseAddr(s)
	return ok && a.Zone() == ""
}

// relatedHosts computes related.hosts: without repeats, in this order,
// tls.client.server_name unless it ends in .amazonaws.com (in any case);
// source.address when no value of it is an IP and it looks like a host
// name (hostName); requestParameters.computerName; and EC2 instance ids
// (instanceID) from the ARNs of resources (after ":instance/") and from
// requestParameters and responseElements instanceId, target, resourceId,
// instanceIds and instancesSet.items.instanceId.
func relatedHosts(r *Record, dst []Value) []Value {
	n := len(dst)
	m := len(dst)
	dst = serverName(r, dst)
	out := dst[:m]
	for _, v := range dst[m:] {
		if !hasSuffixFold(v.S, ".amazonaws.com") {
			out = append(out, v)
		}
	}
	dst = out

	m = len(dst)
	dst = sourceAddress(r, dst)
	hasIP := false
	for _, v := range dst[m:] {
		hasIP = hasIP || isIP(v.S)
	}
	out = dst[:m]
	if !hasIP {
		for _, v := range dst[m:] {
			if hostName(v.S) {
				out = append(out, v)
			}
		}
	}
	dst = computerName(r, out)

	m = len(dst)
	dst = resource("ARN")(r, dst)
	out = dst[:m]
	for _, v := range dst[m:] {
		if _, id, ok := strings.Cut(v.S, ":instance/"); ok && instanceID(id) {
			out = append(out, Value{Kind: KindString, S: id})
		}
	}
	dst = out
	for _, obj := range [...]string{"requestParameters", "responseElements"} {
		v := r.get(obj)
		if v == nil {
			continue
		}
		for _, path := range [...]string{"instanceId", "target", "resourceId", "instanceIds", "instancesSet.items.instanceId"} {
			m = len(dst)
			dst = leaves(dst, v, path, "")
			out = dst[:m]
			for _, v := range dst[m:] {
				if instanceID(v.S) {
					out = append(out, v)
				}
			}
			dst = out
		}
	}
	return unique(dst, n)
}

// instanceID reports whether s reads as an EC2 instance id: "i-" and at
// least 10 characters in all.
func instanceID(s string) bool { return strings.HasPrefix(s, "i-") && len(s) >= 10 }

// hostName reports whether s looks like a DNS host name: at least two
// dot-separated labels of ASCII letters, digits and hyphens, none empty,
// longer than 63 characters or starting or ending with a hyphen, at most
// 253 characters in all, and a last label that is not all digits (so a
// malformed IPv4 address is not one). "AWS Internal" is not a host name;
// "ec2.amazonaws.com" is.
func hostName(s string) bool {
	if len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

// hasSuffixFold is strings.HasSuffix ignoring ASCII case.
func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// unique removes from dst[n:] every value whose text an earlier one of
// dst[n:] has, keeping the first, and returns the shortened dst.
func unique(dst []Value, n int) []Value {
	out := dst[:n]
next:
	for _, v := range dst[n:] {
		for _, w := range out[n:] {
			if w.S == v.S {
				continue next
			}
		}
		out = append(out, v)
	}
	return out
}
