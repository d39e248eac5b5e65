// Package archtest holds the tests that keep the architecture readable
// across every package: package and exported doc comments, and the import
// graph (domain packages import only the standard library and the domain
// packages below them; adapters and cmd wire them). It has no code of its own.
package archtest
