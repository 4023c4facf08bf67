// Package hostname validates and normalises DNS host names, the one rule every part of tlskit
// (targets, SNI, certificate SANs) shares. It depends on nothing else in tlskit.
package hostname

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Normalize validates a DNS host name and returns it in the form used on the wire:
// lower case, internationalized labels converted to punycode (IDNA 2008 lookup rules), and no
// trailing dot. Underscores are allowed, since internal names use them; everything else must
// follow the letter-digit-hyphen rule. A name made only of digits and dots must be an IPv4
// address, so "1.2.3" and "256.0.0.1" are refused rather than sent to DNS.
func Normalize(name string) (string, error) {
	if name == "" {
		return "", errors.New("missing host")
	}
	ascii := name
	if !isASCII(name) {
		var err error
		ascii, err = idna.Lookup.ToASCII(name)
		if err != nil {
			return "", fmt.Errorf("invalid internationalized host name: %v", err)
		}
	}
	ascii = strings.ToLower(strings.TrimSuffix(ascii, "."))
	if ascii == "" {
		return "", errors.New("missing host")
	}
	if len(ascii) > 253 {
		return "", errors.New("host name longer than 253 characters")
	}
	allDigits := true
	for _, label := range strings.Split(ascii, ".") {
		if label == "" {
			return "", errors.New("host name has an empty label")
		}
		if len(label) > 63 {
			return "", fmt.Errorf("host name label %q longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "", fmt.Errorf("host name label %q starts or ends with '-'", label)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c == '-', c == '_':
				allDigits = false
			default:
				return "", fmt.Errorf("invalid character %q in host name", c)
			}
		}
	}
	if allDigits {
		return "", fmt.Errorf("%q is not a valid IP address", name)
	}
	return ascii, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
