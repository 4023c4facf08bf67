package cmd

import "testing"

func TestShouldReturnMemory(t *testing.T) {
	for _, c := range []struct {
		name       string
		collected  bool
		live, held uint64
		want       bool
	}{
		{"quiet after a burst: 25 MB of garbage", false, 5 << 20, 30 << 20, true},
		{"under load: collections running", true, 5 << 20, 30 << 20, false},
		{"quiet and small", false, 5 << 20, 15 << 20, false},
		{"quiet, large live heap, little garbage", false, 100 << 20, 110 << 20, false},
	} {
		if got := shouldReturnMemory(c.collected, c.live, c.held); got != c.want {
			t.Errorf("%s: shouldReturnMemory = %v, want %v", c.name, got, c.want)
		}
	}
}
