package ecs

// The objects a view reads member by member. The scanner's splitter can
// leave the members of the record's objects out of its index
// (reader.DecodeOptions.Index, which decides per object of the record: a
// path names the object it starts with); a field that then reads into that object
// parses it from the record's bytes instead (Record.Unindexed counts such
// reads), so a selection never changes a value, only what reading costs.
// A rule set compiles to its selection: the objects the fields its rules
// read walk into (IndexFields), and those of the raw paths its Sigma rules
// read (IndexRaw). A field that parses an object whole (the flattened
// objects, request_parameters as a string) needs none of its members
// indexed.

// Indexer is what the objects are added to (a *reader.IndexPaths, which
// indexes the whole object of the record a path starts in).
type Indexer interface {
	Add(path []string)
}

// Objects read member by member by some fields.
var (
	inIssuer     = []string{"userIdentity", "sessionContext", "sessionIssuer"}
	inAttributes = []string{"userIdentity", "sessionContext", "attributes"}
	inOnBehalfOf = []string{"userIdentity", "onBehalfOf"}
	inAdditional = []string{"additionalEventData"} // user.name of a UserAuthentication
	inRequest    = []string{"requestParameters"}
	inTLS        = []string{"tlsDetails"}
	inService    = []string{"serviceEventDetails"}
)

// fieldObjects names, for each field that walks into an object other than
// userIdentity and its session issuer (which every record's Malformed
// check reads, so they are always indexed), the objects it reads members
// of. A field the view computes from the record's own members, or from an
// object it parses whole, has no entry. TestIndexFields checks the table
// against the real datasets: no field reads an object left out.
var fieldObjects = map[string][][]string{
	"aws.cloudtrail.user_identity.session_context.mfa_authenticated": {inAttributes},
	"aws.cloudtrail.user_identity.session_context.creation_date":     {inAttributes},
	"user.id":                {inOnBehalfOf},
	"user.name":              {inAdditional},
	"service.name":           {inAdditional},
	"user.email":             {inAdditional},
	"related.user":           {inAdditional, inOnBehalfOf, inRequest, {"responseElements", "user"}},
	"related.ip":             {inService},
	"related.hosts":          {inTLS, inRequest},
	"user.target.name":       {inRequest},
	"user.changes.name":      {inRequest},
	"user.target.id":         {{"responseElements", "user"}},
	"group.name":             {inRequest},
	"group.id":               {{"responseElements", "group"}},
	"tls.version":            {inTLS},
	"tls.version_protocol":   {inTLS},
	"tls.cipher":             {inTLS},
	"tls.client.server_name": {inTLS},
	// The console login fields skip additionalEventData.UserName when
	// user.name took it (who), as the flattened object does.
	"aws.cloudtrail.console_login.additional_eventdata.mobile_version": {inAdditional},
	"aws.cloudtrail.console_login.additional_eventdata.mfa_used":       {inAdditional},
	"aws.cloudtrail.console_login.additional_eventdata.login_to":       {inAdditional},
	"aws.cloudtrail.additional_eventdata":                              {inAdditional},
}

// IndexFields adds to dst the objects the view reads member by member to
// compute fields, and those every record's Malformed check reads.
func IndexFields(dst Indexer, fields []Field) {
	dst.Add(inIssuer)
	for _, f := range fields {
		for _, p := range fieldObjects[f.Name] {
			dst.Add(p)
		}
		if obj, _, ok := flattenedPath(f.Name); ok && obj == objAdditional {
			dst.Add(inAdditional) // who, for the UserName it skips
		}
	}
}

// IndexRaw adds to dst the objects a read of the raw path walks through
// (Record.RawValues, Str): every object on the path but its last element,
// whose value is read whole. The empty path (the whole record) adds
// nothing: the record is parsed whole.
func IndexRaw(dst Indexer, path []string) {
	if len(path) > 1 {
		dst.Add(path[:len(path)-1])
	}
}
