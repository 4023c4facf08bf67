package cmd

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// durationValue is a pflag.Value for timeouts and intervals. It takes Go durations ("1m30s",
// "500ms") and, as curl and openssl users expect, a bare number of seconds ("5", "2.5").
// Negative, zero (unless allowZero) and absurdly large values are refused at parse time, so a
// typo is a usage error rather than a connection that never times out.
type durationValue struct {
	d         *time.Duration
	allowZero bool
}

// maxDuration bounds any duration flag: nothing tlskit waits for needs more than a day.
const maxDuration = 24 * time.Hour

func newDurationValue(def time.Duration, p *time.Duration, allowZero bool) *durationValue {
	*p = def
	return &durationValue{d: p, allowZero: allowZero}
}

func (v *durationValue) String() string { return v.d.String() }
func (v *durationValue) Type() string   { return "duration" }

func (v *durationValue) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	if d == 0 && !v.allowZero {
		return fmt.Errorf("must be greater than zero")
	}
	*v.d = d
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var d time.Duration
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xXpPeEnN_") {
		if f < 0 || f > maxDuration.Seconds() {
			return 0, fmt.Errorf("%q out of range (0 to 24h)", s)
		}
		d = time.Duration(f * float64(time.Second))
	} else {
		var perr error
		d, perr = time.ParseDuration(s)
		if perr != nil {
			return 0, fmt.Errorf("%q is not a duration (examples: 10s, 1m30s, 500ms, 5)", s)
		}
	}
	if d < 0 || d > maxDuration {
		return 0, fmt.Errorf("%q out of range (0 to 24h)", s)
	}
	return d, nil
}

// enumValue is a pflag.Value that accepts one of a fixed set of words.
type enumValue struct {
	value   *string
	allowed []string
}

func newEnumValue(def string, p *string, allowed ...string) *enumValue {
	*p = def
	return &enumValue{value: p, allowed: allowed}
}

func (v *enumValue) String() string { return *v.value }
func (v *enumValue) Type() string   { return strings.Join(v.allowed, "|") }

func (v *enumValue) Set(s string) error {
	for _, a := range v.allowed {
		if s == a {
			*v.value = s
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(v.allowed, ", "))
}
