// Package signature owns the DIP request-signing scheme: the four
// X-DIP-Signature-* headers that accompany every call to the Data
// Integration Platform and every DIP → webhook delivery.
//
// A request is signed by hashing its exact body bytes, then signing the
// string
//
//	UPPER(method) + ";" + lower(full URL) + ";" + signatureDate + ";" + contentHash
//
// with RSA PKCS #1 v1.5 over SHA-256. The headers carry the date
// (layout [DateLayout], UTC with milliseconds), base64(SHA-256(body)), base64
// of the signer's certificate PEM text, and base64 of the signature.
//
// [Signer] produces the headers, [Verifier] checks them and reports each
// rejection as an [*Error] carrying a [Reason], so that the HTTP layer can
// map it to a precise DIP answer. The package checks that a request is signed
// by the certificate it carries; whether that certificate belongs to the
// claimed participant is the caller's decision, made by comparing
// [CertificateFingerprint] with the registered one.
//
// The package imports only the standard library.
package signature
