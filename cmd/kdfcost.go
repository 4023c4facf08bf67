//go:build !tlskit_e2e

package cmd

import "github.com/tlskit/tlskit/inspect/material"

// defaultKDFIterations is the PBKDF2 cost of the keys and PKCS#12 files tlskit encrypts. A
// release build has no way to lower it; see kdfcost_e2e.go for the end-to-end tests' build.
func defaultKDFIterations(func(string) string) int { return material.DefaultPBKDF2Iterations }
