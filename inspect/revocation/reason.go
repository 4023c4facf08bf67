package revocation

import (
	"fmt"
	"strings"
)

// reasonNames are RFC 5280 §5.3.1's CRLReason values, under the names the RFC gives them (and
// OpenSSL prints). 7 is unassigned.
var reasonNames = map[int]string{
	0:  "unspecified",
	1:  "keyCompromise",
	2:  "cACompromise",
	3:  "affiliationChanged",
	4:  "superseded",
	5:  "cessationOfOperation",
	6:  "certificateHold",
	8:  "removeFromCRL",
	9:  "privilegeWithdrawn",
	10: "aACompromise",
}

// ReasonName names a CRLReason code; an unassigned code is shown as its number.
func ReasonName(code int) string {
	if n, ok := reasonNames[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}

// ParseReason reads a reason a CA may give as RFC 5280 names it, case-insensitively and with or
// without dashes or underscores (keyCompromise, key-compromise, key_compromise), or as its
// number. removeFromCRL is refused: it un-revokes, in delta CRLs.
func ParseReason(s string) (int, error) {
	norm := strings.NewReplacer("-", "", "_", "").Replace(strings.ToLower(s))
	for code, name := range reasonNames {
		if code != removeFromCRL && (strings.ToLower(name) == norm || fmt.Sprint(code) == norm) {
			return code, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q (one of %s)", s, strings.Join(ReasonNames(), ", "))
}

// ReasonNames lists the reasons a CA may give, in code order (removeFromCRL is left out: it
// belongs to delta CRLs, which un-revoke, not to a revocation).
func ReasonNames() []string {
	var out []string
	for code := 0; code <= 10; code++ {
		if n, ok := reasonNames[code]; ok && code != 8 {
			out = append(out, n)
		}
	}
	return out
}
