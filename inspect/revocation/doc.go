// Package revocation judges whether certificates are revoked: OCSP responses (stapled or
// fetched) checked as RFC 6960 says, CRLs checked as RFC 5280 says (signature, freshness,
// issuing distribution point), and the fetching of both over HTTP with caps on size, time and
// redirects. It never prints and never decides how a verdict is shown: Check returns a Report
// whose JSON is part of handshake's, verify's and scan's documents (docs/json.md).
//
// A verdict is one of good, revoked or unknown. Unknown always says why; nothing that failed a
// check (a response for another certificate, a signature by the wrong key, a stale CRL) ever
// counts as good or as revoked.
package revocation
