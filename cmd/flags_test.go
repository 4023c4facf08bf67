package cmd

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{in: "10s", want: 10 * time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "5", want: 5 * time.Second},
		{in: "2.5", want: 2500 * time.Millisecond},
		{in: " 3s ", want: 3 * time.Second},
		{in: "0", want: 0},
		{in: "24h", want: 24 * time.Hour},
		{in: "", wantErr: "empty"},
		{in: "-1s", wantErr: "out of range"},
		{in: "-5", wantErr: "out of range"},
		{in: "25h", wantErr: "out of range"},
		{in: "1e9", wantErr: "not a duration"},
		{in: "NaN", wantErr: "not a duration"},
		{in: "Inf", wantErr: "not a duration"},
		{in: "0x10", wantErr: "not a duration"},
		{in: "ten", wantErr: "not a duration"},
		{in: "10 s", wantErr: "not a duration"},
		{in: "9999999999h", wantErr: "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestDurationValueRejectsZero(t *testing.T) {
	var d time.Duration
	v := newDurationValue(10*time.Second, &d, false)
	if err := v.Set("0"); err == nil {
		t.Fatal("zero accepted for a flag that needs a positive duration")
	}
	if d != 10*time.Second {
		t.Fatalf("failed Set changed the value to %v", d)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"10s", "5", "2.5", "-1", "1e3", "1h2m3s4ms", "+5s", ".5", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && (d < 0 || d > maxDuration) {
			t.Fatalf("parseDuration(%q) = %v, outside 0..24h", s, d)
		}
	})
}
