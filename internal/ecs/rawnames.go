package ecs

import "strings"

// rawNames maps raw CloudTrail field paths to the ECS fields the view
// builds from them (ECS.md §2–§3b), for people who write a query with the
// names of the raw record.
var rawNames = map[string][]string{
	"eventTime":                    {"@timestamp"},
	"eventName":                    {"event.action"},
	"eventSource":                  {"event.provider", "cloud.service.name"},
	"eventID":                      {"event.id"},
	"awsRegion":                    {"cloud.region"},
	"sourceIPAddress":              {"source.address", "source.ip"},
	"userAgent":                    {"user_agent.original"},
	"errorCode":                    {"aws.cloudtrail.error_code"},
	"errorMessage":                 {"aws.cloudtrail.error_message"},
	"eventVersion":                 {"aws.cloudtrail.event_version"},
	"eventType":                    {"aws.cloudtrail.event_type"},
	"eventCategory":                {"aws.cloudtrail.event_category"},
	"apiVersion":                   {"aws.cloudtrail.api_version"},
	"requestID":                    {"aws.cloudtrail.request_id"},
	"recipientAccountId":           {"aws.cloudtrail.recipient_account_id", "cloud.account.id"},
	"sharedEventID":                {"aws.cloudtrail.shared_event_id"},
	"vpcEndpointId":                {"aws.cloudtrail.vpc_endpoint_id"},
	"readOnly":                     {"aws.cloudtrail.read_only"},
	"managementEvent":              {"aws.cloudtrail.management_event"},
	"sessionCredentialFromConsole": {"aws.cloudtrail.session_credential_from_console"},
	"userIdentity.type":            {"aws.cloudtrail.user_identity.type"},
	"userIdentity.arn":             {"aws.cloudtrail.user_identity.arn"},
	"userIdentity.accessKeyId":     {"aws.cloudtrail.user_identity.access_key_id"},
	"userIdentity.invokedBy":       {"aws.cloudtrail.user_identity.invoked_by"},
	"userIdentity.accountId":       {"cloud.account.id"},
	"userIdentity.principalId":     {"user.id"},
	"userIdentity.userName":        {"user.name"},
	"userIdentity.sessionContext.attributes.mfaAuthenticated": {"aws.cloudtrail.user_identity.session_context.mfa_authenticated"},
	"userIdentity.sessionContext.attributes.creationDate":     {"aws.cloudtrail.user_identity.session_context.creation_date"},
	"userIdentity.sessionContext.sessionIssuer.type":          {"aws.cloudtrail.user_identity.session_context.session_issuer.type"},
	"userIdentity.sessionContext.sessionIssuer.principalId":   {"aws.cloudtrail.user_identity.session_context.session_issuer.principal_id"},
	"userIdentity.sessionContext.sessionIssuer.arn":           {"aws.cloudtrail.user_identity.session_context.session_issuer.arn"},
	"userIdentity.sessionContext.sessionIssuer.accountId":     {"aws.cloudtrail.user_identity.session_context.session_issuer.account_id"},
	"userIdentity.sessionContext.sessionIssuer.userName":      {"user.name"},
	"resources.ARN":                       {"aws.cloudtrail.resources.arn"},
	"resources.accountId":                 {"aws.cloudtrail.resources.account_id"},
	"resources.type":                      {"aws.cloudtrail.resources.type"},
	"tlsDetails.tlsVersion":               {"tls.version", "tls.version_protocol"},
	"tlsDetails.cipherSuite":              {"tls.cipher"},
	"tlsDetails.clientProvidedHostHeader": {"tls.client.server_name"},
	"requestParameters":                   {"aws.cloudtrail.request_parameters"},
	"responseElements":                    {"aws.cloudtrail.response_elements"},
	"additionalEventData":                 {"aws.cloudtrail.additional_eventdata"},
	"serviceEventDetails":                 {"aws.cloudtrail.service_event_details"},
}

// rawObjects are the raw objects whose paths the view keeps under
// aws.cloudtrail.flattened.
var rawObjects = map[string]string{
	"requestParameters":   "aws.cloudtrail.flattened.request_parameters",
	"responseElements":    "aws.cloudtrail.flattened.response_elements",
	"additionalEventData": "aws.cloudtrail.flattened.additional_eventdata",
	"serviceEventDetails": "aws.cloudtrail.flattened.service_event_details",
}

// ForRaw returns the ECS fields the view builds from a raw CloudTrail
// field path (sourceIPAddress → source.address, source.ip;
// requestParameters.userName → aws.cloudtrail.flattened.request_parameters.userName),
// or nil when it knows none. Raw names are case-sensitive, as in the record.
func ForRaw(raw string) []string {
	if ecs, ok := rawNames[raw]; ok {
		return ecs
	}
	if obj, rest, ok := strings.Cut(raw, "."); ok && rest != "" {
		if root, ok := rawObjects[obj]; ok {
			return []string{root + "." + rest}
		}
	}
	return nil
}
