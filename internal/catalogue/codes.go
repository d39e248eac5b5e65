package catalogue

// Code is a DIP message code as participants see it in the "message" of a
// StandardResponse ("MSG1001 - Schema Failure"). Codes are an API: never
// renumber one. The DIP API spec publishes only MSG0000 and MSG1001; the
// others are ours, documented in docs/codes.md.
type Code string

// Message codes. 0xxx success; 1xxx L1 (synchronous schema checks);
// 2xxx L2 checks that need no state; 3xxx L2 checks against DIP state;
// 4xxx transport, authentication and signature; 5xxx DIP faults.
const (
	MSG0000 Code = "MSG0000" // Success
	MSG1001 Code = "MSG1001" // Schema Failure
	MSG1002 Code = "MSG1002" // Invalid JSON
	MSG1003 Code = "MSG1003" // Channel Mismatch
	MSG1004 Code = "MSG1004" // Unsupported Media Type
	MSG2001 Code = "MSG2001" // Invalid MPAN Check Digit
	MSG2002 Code = "MSG2002" // Sender Role Not Permitted
	MSG2003 Code = "MSG2003" // Sender Unique Reference Inconsistent
	MSG2004 Code = "MSG2004" // Invalid Date Or Time
	MSG2005 Code = "MSG2005" // Invalid Response
	MSG3001 Code = "MSG3001" // Duplicate Sender Unique Reference
	MSG3002 Code = "MSG3002" // Unknown Recipient
	MSG3003 Code = "MSG3003" // No Recipient
	MSG4001 Code = "MSG4001" // Authentication Failure
	MSG4002 Code = "MSG4002" // Signature Failure
	MSG4003 Code = "MSG4003" // Stale Signature Date
	MSG4004 Code = "MSG4004" // Sender Not Permitted
	MSG4005 Code = "MSG4005" // Request Too Large
	MSG4006 Code = "MSG4006" // Request Timeout
	MSG5001 Code = "MSG5001" // Internal Server Error
	MSG5002 Code = "MSG5002" // DIP Busy
)

var codeText = map[Code]string{
	MSG0000: "Success",
	MSG1001: "Schema Failure",
	MSG1002: "Invalid JSON",
	MSG1003: "Channel Mismatch",
	MSG1004: "Unsupported Media Type",
	MSG2001: "Invalid MPAN Check Digit",
	MSG2002: "Sender Role Not Permitted",
	MSG2003: "Sender Unique Reference Inconsistent",
	MSG2004: "Invalid Date Or Time",
	MSG2005: "Invalid Response",
	MSG3001: "Duplicate Sender Unique Reference",
	MSG3002: "Unknown Recipient",
	MSG3003: "No Recipient",
	MSG4001: "Authentication Failure",
	MSG4002: "Signature Failure",
	MSG4003: "Stale Signature Date",
	MSG4004: "Sender Not Permitted",
	MSG4005: "Request Too Large",
	MSG4006: "Request Timeout",
	MSG5001: "Internal Server Error",
	MSG5002: "DIP Busy",
}

// Codes returns every code in order.
func Codes() []Code {
	return []Code{MSG0000, MSG1001, MSG1002, MSG1003, MSG1004, MSG2001, MSG2002, MSG2003, MSG2004, MSG2005,
		MSG3001, MSG3002, MSG3003, MSG4001, MSG4002, MSG4003, MSG4004, MSG4005, MSG4006, MSG5001, MSG5002}
}

// Text returns the code's short text ("Schema Failure").
func (c Code) Text() string { return codeText[c] }

// Message returns the StandardResponse message form: "MSG1001 - Schema Failure".
func (c Code) Message() string { return string(c) + " - " + codeText[c] }

// Rule names the rule a finding breaks. Rules are stable strings.
type Rule string

// Rules of L1 (the schema) and of the stateless L2 checks.
const (
	RuleJSON                  Rule = "json"
	RuleType                  Rule = "type"
	RuleNullable              Rule = "nullable"
	RuleRequired              Rule = "required"
	RuleAdditional            Rule = "additionalProperties"
	RuleDuplicateKey          Rule = "duplicateKey"
	RuleEnum                  Rule = "enum"
	RuleMinLength             Rule = "minLength"
	RuleMaxLength             Rule = "maxLength"
	RulePattern               Rule = "pattern"
	RuleFormat                Rule = "format"
	RuleMinimum               Rule = "minimum"
	RuleMaximum               Rule = "maximum"
	RuleMultipleOf            Rule = "multipleOf"
	RuleMinItems              Rule = "minItems"
	RuleMaxItems              Rule = "maxItems"
	RuleVariant               Rule = "variant"
	RuleChannel               Rule = "channel"
	RuleMPANCheckDigit        Rule = "mpanCheckDigit"
	RuleSenderRole            Rule = "senderRole"
	RuleSenderUniqueReference Rule = "senderUniqueReference"
	RuleDateTime              Rule = "dateTime"
	RuleResponse              Rule = "response"
)
