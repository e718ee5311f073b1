package ecs

import (
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// staticFields maps every static ECS field name the view produces to its
// computation (ECS.md sections 2–4). Paths under aws.cloudtrail.flattened
// are resolved separately.
var staticFields = map[string]computeFunc{
	"data_stream.dataset": constant("aws.cloudtrail"),
	"event.dataset":       constant("aws.cloudtrail"),
	"event.kind":          constant("event"),
	"cloud.provider":      constant("aws"),
	"@timestamp":          date("eventTime"),
	"event.ingested": func(r *Record, dst []Value) []Value {
		if r.ingested == "" {
			return dst
		}
		return append(dst, Value{Kind: KindString, S: r.ingested})
	},
	"event.action":   keyword("eventName"),
	"event.provider": eventSource,
	"event.id":       keyword("eventID"),
	"cloud.region":   keyword("awsRegion"),
	"cloud.service.name": func(r *Record, dst []Value) []Value {
		n := len(dst)
		dst = eventSource(r, dst)
		for i := n; i < len(dst); i++ {
			dst[i].S = strings.TrimSuffix(dst[i].S, ".amazonaws.com")
		}
		return dst
	},
	"cloud.account.id": func(r *Record, dst []Value) []Value {
		n := len(dst)
		if dst = identityAccount(r, dst); len(dst) > n {
			return dst
		}
		return recipientAccount(r, dst)
	},
	"source.address": sourceAddress,
	"source.ip": func(r *Record, dst []Value) []Value {
		n := len(dst)
		dst = sourceAddress(r, dst)
		ips := dst[:n]
		for _, v := range dst[n:] {
			if a, ok := ParseAddr(v.S); ok && a.Zone() == "" {
				ips = append(ips, v)
			}
		}
		return ips
	},
	"user_agent.original":                                                      keyword("userAgent"),
	"aws.cloudtrail.error_code":                                                keyword("errorCode"),
	"aws.cloudtrail.error_message":                                             keyword("errorMessage"),
	"aws.cloudtrail.event_version":                                             keyword("eventVersion"),
	"aws.cloudtrail.event_type":                                                keyword("eventType"),
	"aws.cloudtrail.event_category":                                            keyword("eventCategory"),
	"aws.cloudtrail.api_version":                                               keyword("apiVersion"),
	"aws.cloudtrail.request_id":                                                keyword("requestID"),
	"aws.cloudtrail.recipient_account_id":                                      keyword("recipientAccountId"),
	"aws.cloudtrail.shared_event_id":                                           keyword("sharedEventID"),
	"aws.cloudtrail.vpc_endpoint_id":                                           keyword("vpcEndpointId"),
	"aws.cloudtrail.read_only":                                                 boolean("readOnly"),
	"aws.cloudtrail.management_event":                                          keyword("managementEvent"),
	"aws.cloudtrail.session_credential_from_console":                           keyword("sessionCredentialFromConsole"),
	"aws.cloudtrail.user_identity.type":                                        keyword("userIdentity", "type"),
	"aws.cloudtrail.user_identity.arn":                                         keyword("userIdentity", "arn"),
	"aws.cloudtrail.user_identity.access_key_id":                               keyword("userIdentity", "accessKeyId"),
	"aws.cloudtrail.user_identity.invoked_by":                                  keyword("userIdentity", "invokedBy"),
	"aws.cloudtrail.user_identity.session_context.mfa_authenticated":           keyword("userIdentity", "sessionContext", "attributes", "mfaAuthenticated"),
	"aws.cloudtrail.user_identity.session_context.creation_date":               date("userIdentity", "sessionContext", "attributes", "creationDate"),
	"aws.cloudtrail.user_identity.session_context.session_issuer.type":         keyword("userIdentity", "sessionContext", "sessionIssuer", "type"),
	"aws.cloudtrail.user_identity.session_context.session_issuer.principal_id": keyword("userIdentity", "sessionContext", "sessionIssuer", "principalId"),
	"aws.cloudtrail.user_identity.session_context.session_issuer.arn":          keyword("userIdentity", "sessionContext", "sessionIssuer", "arn"),
	"aws.cloudtrail.user_identity.session_context.session_issuer.account_id":   keyword("userIdentity", "sessionContext", "sessionIssuer", "accountId"),
	"aws.cloudtrail.resources.arn":                                             resource("ARN"),
	"aws.cloudtrail.resources.account_id":                                      resource("accountId"),
	"aws.cloudtrail.resources.type":                                            resource("type"),
	"tls.version_protocol": func(r *Record, dst []Value) []Value {
		if proto, _, ok := r.tlsVersion(); ok && proto != "" {
			return append(dst, Value{Kind: KindString, S: proto})
		}
		return dst
	},
	"tls.version": func(r *Record, dst []Value) []Value {
		if _, version, ok := r.tlsVersion(); ok && version != "" {
			return append(dst, Value{Kind: KindString, S: version})
		}
		return dst
	},
	"tls.cipher":             keyword("tlsDetails", "cipherSuite"),
	"tls.client.server_name": keyword("tlsDetails", "clientProvidedHostHeader"),
	"aws.cloudtrail.console_login.additional_eventdata.mobile_version": consoleLogin("MobileVersion", true),
	"aws.cloudtrail.console_login.additional_eventdata.mfa_used":       consoleLogin("MFAUsed", true),
	"aws.cloudtrail.console_login.additional_eventdata.login_to":       consoleLogin("LoginTo", false),
	"event.outcome": func(r *Record, dst []Value) []Value {
		outcome := "success"
		if r.get("errorCode") != nil || r.get("errorMessage") != nil {
			outcome = "failure"
		}
		if name, _ := r.textView("eventName"); name == "ConsoleLogin" {
			if s, ok := r.flattenedText(objResponse, "ConsoleLogin"); ok {
				outcome = strings.ToLower(s)
			}
		}
		return append(dst, Value{Kind: KindString, S: outcome})
	},
	"service.name": func(r *Record, dst []Value) []Value {
		if w := r.who(); w.service != "" {
			return append(dst, Value{Kind: KindString, S: w.service})
		}
		return dst
	},
	"user.name": userName,
	"user.id":   userID,
	// §3b: target, group and related fields (related.go).
	"user.target.name":  targetUserName,
	"user.target.id":    targetUserID,
	"user.changes.name": newUserName,
	"group.name":        keyword("requestParameters", "groupName"),
	"group.id":          keyword("responseElements", "group", "groupId"),
	"user.email":        userEmail,
	"related.user":      relatedUser,
	"related.ip":        relatedIP,
	"related.hosts":     relatedHosts,
	"event.category": func(r *Record, dst []Value) []Value {
		name, _ := r.textView("eventName")
		for _, c := range categories[name].category {
			dst = append(dst, Value{Kind: KindString, S: c})
		}
		return dst
	},
	"event.type": func(r *Record, dst []Value) []Value {
		name, _ := r.textView("eventName")
		c, ok := categories[name]
		if !ok {
			return append(dst, Value{Kind: KindString, S: "info"})
		}
		for _, t := range c.typ {
			dst = append(dst, Value{Kind: KindString, S: t})
		}
		return dst
	},
	"aws.cloudtrail.request_parameters":    objectString(objRequest),
	"aws.cloudtrail.response_elements":     objectString(objResponse),
	"aws.cloudtrail.additional_eventdata":  objectString(objAdditional),
	"aws.cloudtrail.service_event_details": objectString(objServiceEvent),
}

// The §1 keyword fields that other fields are derived from: a derived field
// has a value per element of an array, as the keyword field it comes from.
var (
	eventSource      = keyword("eventSource")
	sourceAddress    = keyword("sourceIPAddress")
	principalID      = keyword("userIdentity", "principalId")
	identityAccount  = keyword("userIdentity", "accountId")
	recipientAccount = keyword("recipientAccountId")
	onBehalfOfUser   = keyword("userIdentity", "onBehalfOf", "userId")
)

// userName computes user.name (ECS.md §3): none for a service actor.
func userName(r *Record, dst []Value) []Value {
	if w := r.who(); w.hasUser {
		return append(dst, Value{Kind: KindString, S: w.userName})
	}
	return dst
}

// userID computes user.id (ECS.md §3): userIdentity.principalId, else for
// an IdentityCenterUser onBehalfOf.userId; none for a service actor.
func userID(r *Record, dst []Value) []Value {
	if r.who().service != "" {
		return dst
	}
	n := len(dst)
	if dst = principalID(r, dst); len(dst) > n {
		return dst
	}
	if t, _ := r.textView("userIdentity", "type"); t == "IdentityCenterUser" {
		return onBehalfOfUser(r, dst)
	}
	return dst
}

// constant computes a field that always has the value s.
func constant(s string) computeFunc {
	return func(_ *Record, dst []Value) []Value { return append(dst, Value{Kind: KindString, S: s}) }
}

// keyword computes a keyword field copied from the raw path: a scalar gives
// one value, a list its scalar elements; maps and cleaned-away values none.
func keyword(path ...string) computeFunc {
	return func(r *Record, dst []Value) []Value {
		if r.lazy {
			switch s, st := r.plain(path...); st {
			case plainAbsent:
				return dst
			case plainString:
				if emptyString(bytesOf(s)) {
					return dst
				}
				return append(dst, Value{Kind: KindString, S: s})
			}
		}
		v := r.get(path...)
		if v == nil {
			return dst
		}
		if v.Type() == fastjson.TypeArray {
			return exactLeaves(dst, v)
		}
		if s, ok := scalarText(v); ok {
			dst = append(dst, Value{Kind: KindString, S: s})
		}
		return dst
	}
}

// boolean computes a boolean field from a JSON boolean (or the string
// "true"/"false") at path.
func boolean(path ...string) computeFunc {
	return func(r *Record, dst []Value) []Value {
		v := r.get(path...)
		if v == nil {
			return dst
		}
		switch s, _ := scalarText(v); s {
		case "true":
			return append(dst, Value{Kind: KindBool, B: true, S: "true"})
		case "false":
			return append(dst, Value{Kind: KindBool, B: false, S: "false"})
		}
		return dst
	}
}

// date computes a date field: the ISO 8601 string at path, normalised the
// way Elasticsearch's date processor writes it (UTC, milliseconds:
// 2024-09-11T09:29:33.000Z); absent when it does not parse.
func date(path ...string) computeFunc {
	return func(r *Record, dst []Value) []Value {
		s, ok := r.text(path...)
		if !ok {
			return dst
		}
		if _, ok := parseUTCSeconds(s); ok {
			// CloudTrail's form, whole seconds in UTC: what the Format below
			// makes of it, without parsing and formatting.
			return append(dst, Value{Kind: KindString, S: s[:19] + ".000Z"})
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return dst
		}
		return append(dst, Value{Kind: KindString, S: t.UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	}
}

// resource computes aws.cloudtrail.resources.<field> from the raw resources
// key: one value per distinct (ARN, accountId, type) resource that has it.
func resource(key string) computeFunc {
	return func(r *Record, dst []Value) []Value {
		v := r.get("resources")
		if v == nil || v.Type() != fastjson.TypeArray {
			return dst
		}
		seen := make(map[[3]string]bool)
		for _, e := range v.GetArray() {
			if e.Type() != fastjson.TypeObject || dropped(e) {
				continue
			}
			var id [3]string
			for i, k := range [3]string{"ARN", "accountId", "type"} {
				if c := e.Get(k); c != nil && !dropped(c) {
					id[i] = string(appendJSON(nil, c))
				}
			}
			if seen[id] {
				continue
			}
			seen[id] = true
			if c := e.Get(key); c != nil && !dropped(c) {
				dst = exactLeaves(dst, c)
			}
		}
		return dst
	}
}

// consoleLogin computes aws.cloudtrail.console_login.additional_eventdata.*
// for ConsoleLogin events: key as a string, or when asBool as the boolean
// "value is not No".
func consoleLogin(key string, asBool bool) computeFunc {
	return func(r *Record, dst []Value) []Value {
		if name, _ := r.textView("eventName"); name != "ConsoleLogin" {
			return dst
		}
		s, ok := r.flattenedText(objAdditional, key)
		if !ok {
			return dst
		}
		if !asBool {
			return append(dst, Value{Kind: KindString, S: s})
		}
		if s == "No" {
			return append(dst, Value{Kind: KindBool, B: false, S: "false"})
		}
		return append(dst, Value{Kind: KindBool, B: true, S: "true"})
	}
}

// objectString computes the Java HashMap string of object field i.
func objectString(i int) computeFunc {
	return func(r *Record, dst []Value) []Value {
		if s, ok := r.object(i); ok {
			dst = append(dst, Value{Kind: KindString, S: s})
		}
		return dst
	}
}

// flattenedText returns the scalar at the top-level key of the flattened
// object obj, as the pipeline reads aws.cloudtrail.flattened.<obj>.<key>.
func (r *Record) flattenedText(obj int, key string) (string, bool) {
	if _, ok := r.flattened(obj); !ok {
		return "", false
	}
	if obj == objAdditional && key == "UserName" && r.who().movedUser {
		return "", false
	}
	return r.text(objKeys[obj], key)
}

// tlsVersion splits tlsDetails.tlsVersion at its first "v" ("TLSv1.3" →
// "tls", "1.3"); ok is false when it is absent or has no "v".
func (r *Record) tlsVersion() (proto, version string, ok bool) {
	s, ok := r.text("tlsDetails", "tlsVersion")
	if !ok {
		return "", "", false
	}
	proto, version, ok = strings.Cut(s, "v")
	return strings.ToLower(proto), version, ok
}

// actor is who made the call, as the user and service fields see it.
type actor struct {
	service   string // service.name when the caller is an AWS service
	userName  string
	hasUser   bool
	movedUser bool // userName came from additionalEventData.UserName
}

// who computes the service actor and user.name of the record once.
func (r *Record) who() actor {
	if r.actorGen == r.gen {
		return actor{service: r.service, userName: r.userName, hasUser: r.hasUser, movedUser: r.movedUser}
	}
	r.actorGen = r.gen
	a := r.computeActor()
	r.service, r.userName, r.hasUser, r.movedUser = a.service, a.userName, a.hasUser, a.movedUser
	return a
}

// serviceRolePath is the path of service-linked roles in an IAM role ARN.
const serviceRolePath = ":role/aws-service-role/"

func (r *Record) computeActor() actor {
	typ, _ := r.textView("userIdentity", "type") // views: compared, never kept
	var issuerARN string
	if typ == "AssumedRole" || typ == "AWSService" { // only they read the issuer
		issuerARN, _ = r.textView("userIdentity", "sessionContext", "sessionIssuer", "arn")
	}
	if typ == "AWSService" || (typ == "AssumedRole" && strings.Contains(issuerARN, serviceRolePath)) {
		name, ok := r.text("userIdentity", "invokedBy")
		if !ok {
			name = strings.Clone(serviceFromRole(issuerARN))
		}
		if name != "" {
			return actor{service: name}
		}
	}
	var a actor
	a.userName, a.hasUser = r.text("userIdentity", "userName")
	if typ == "AssumedRole" || typ == "FederatedUser" {
		if s, ok := r.text("userIdentity", "sessionContext", "sessionIssuer", "userName"); ok {
			a.userName, a.hasUser = s, true
		}
	}
	if !a.hasUser {
		if name, _ := r.textView("eventName"); name == "UserAuthentication" {
			if s, ok := r.text("additionalEventData", "UserName"); ok {
				a.userName, a.hasUser, a.movedUser = s, true, true
			}
		}
	}
	return a
}

// serviceFromRole returns SERVICE from an ARN …:role/aws-service-role/SERVICE/…,
// "" when there is none.
func serviceFromRole(arn string) string {
	i := strings.Index(arn, serviceRolePath)
	if i < 0 {
		return ""
	}
	rest := arn[i+len(serviceRolePath):]
	service, _, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return service
}
