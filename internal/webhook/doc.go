// Package webhook is signed HTTP delivery of DIP publications: the DIP's
// POST of a DIPMessageEgressArray (a JSON array of {"payload": …}, at least
// one item) to a recipient's callbackURL, and the recipient's synchronous
// (L3) answer.
//
// [Poster] is the sending side. It signs each POST with the DIP's own
// certificate through the four X-DIP-Signature* headers (package
// internal/signature), sends it with a timeout ([DefaultTimeout] unless
// set), reads at most [MaxResponseBytes] of the answer and classifies it as
// an [Outcome]. It never follows redirects: a delivery is signed for the URL
// the recipient registered and goes nowhere else. It does not send X-API-Key
// (the DIP does not send the participant's key to its webhook) nor the
// optional X-DIP-MPO header.
//
// How a Poster classifies the recipient's answer:
//
//	| Answer                                 | Outcome           | Meaning for the delivery                         |
//	|----------------------------------------|-------------------|--------------------------------------------------|
//	| 201 Created                            | Delivered         | every message accepted                           |
//	| 200, 202, 204                          | Delivered         | a success status the DIP API does not name;      |
//	|                                        |                   | taken as "all accepted"                          |
//	| 207 Multi-Status                       | PartiallyRejected | some accepted: Result.PerMessage says which,     |
//	|                                        |                   | when the body is a StandardResponse with one     |
//	|                                        |                   | item per message sent (else PerMessage is nil)   |
//	| 400 Bad Request, 422 Unprocessable     | Rejected          | the recipient refused the messages: not retried  |
//	| 401, 403, 404                          | Failed            | misconfiguration (certificate, URL): retried;    |
//	|                                        |                   | repeated failures pause the recipient upstream   |
//	| 408, 429, 5xx                          | Failed            | transient: retried                               |
//	| any other status (1xx, other 2xx, 3xx, | Failed            | an answer the DIP does not understand: retried,  |
//	| other 4xx such as 405 or 413)          |                   | so that no message is dropped on it              |
//	| no answer: connection refused, DNS,    | Failed            | retried; Result.Err holds the error text and     |
//	| TLS, timeout, reset                    |                   | Result.StatusCode is 0                           |
//
// A message counts as accepted in a 207 body when its item's "message"
// starts with MSG0000.
//
// [Receiver] is the receiving side, a [net/http.Handler] for participants
// and tests. It verifies the signing headers against the full URL it was
// reached on and the exact body, checks the signing certificate's
// fingerprint against a trusted list, decodes the array, hands the messages
// to a function that returns one catalogue code per message, and answers
// 201, 207 or 400 with a StandardResponse body holding one item per message:
//
//	| Request                                | Status | Item message                          |
//	|----------------------------------------|--------|---------------------------------------|
//	| every message accepted (MSG0000)       | 201    | one per message, MSG0000              |
//	| some accepted                          | 207    | one per message, its code             |
//	| none accepted                          | 400    | one per message, its code             |
//	| any message answered MSG5001           | 500    | one per message, its code: the DIP    |
//	|                                        |        | retries the whole delivery            |
//	| missing or bad signing headers,        | 401    | one item, MSG4002                     |
//	| untrusted certificate                  |        |                                       |
//	| signature date outside the skew window | 401    | one item, MSG4003                     |
//	| body not a non-empty array of          | 400    | one item, MSG1002                     |
//	| {"payload": {…}}                       |        |                                       |
//	| body larger than MaxBodyBytes          | 413    | one item, MSG4005                     |
//	| method other than POST                 | 405    | none (plain text)                     |
//
// The package imports the standard library, internal/signature and
// internal/catalogue.
package webhook
