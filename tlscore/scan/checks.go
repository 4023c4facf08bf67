package scan

// Verdict is what a vulnerability check concluded.
type Verdict string

const (
	// Vulnerable: the server behaved as the vulnerable servers of the advisory did.
	Vulnerable Verdict = "vulnerable"
	// NotVulnerable: the server gave the answer a fixed server gives.
	NotVulnerable Verdict = "not vulnerable"
	// NotApplicable: the check's precondition is missing (no heartbeat extension, no TLS 1.2,
	// no RSA key transport), so the weakness cannot be there.
	NotApplicable Verdict = "not applicable"
	// Inconclusive: the probes proved nothing either way (timeouts, resets, odd answers).
	Inconclusive Verdict = "inconclusive"
)

// Check is the outcome of one vulnerability check, with its evidence: what was sent and what
// came back, in words a reader can hold against the advisory.
type Check struct {
	// ID is stable: "heartbleed", "ccs-injection", "robot", "ticketbleed", "compression",
	// "client-renegotiation", "fallback-scsv".
	ID      string  `json:"id"`
	Verdict Verdict `json:"verdict"`
	// Sent and Received are the evidence.
	Sent     string `json:"sent"`
	Received string `json:"received"`
}
