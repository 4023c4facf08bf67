// Package wire is tlskit's TLS wire codec: it splits a raw byte stream into records, reassembles
// handshake messages from record payloads, decodes every handshake message into a struct whose
// JSON tags are part of tlskit's documented schema, builds ClientHellos by hand for the scanner,
// and holds the name tables (versions, cipher suites, groups, signature schemes, extensions,
// alerts, message types) that all of tlskit shares.
//
// Everything here parses untrusted bytes from the network. Parsers never panic, reject trailing
// bytes and inconsistent lengths, and bound memory: a record is at most [MaxRecordLength] bytes
// and the [Assembler] refuses a handshake message longer than its limit before buffering it.
// Decoded structs keep raw bytes (certificates, signatures, public keys) in fields tagged
// json:"-" so callers can verify or re-encode them, and report their lengths in JSON instead.
// Slices in returned structs may alias the input; callers that reuse a buffer must copy first.
//
// Names for identifiers the tables do not know render as "unknown (0x1234)": the word unknown,
// a space and the value in lower-case hex in parentheses, four digits for 16-bit identifiers
// and two for 8-bit ones. GREASE values (RFC 8701) render as "GREASE".
//
// The package never prints, reads flags or exits; errors carry context and the record-level
// ones are typed so a caller can say what the peer did.
package wire
