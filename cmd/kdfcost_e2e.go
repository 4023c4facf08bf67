//go:build tlskit_e2e

package cmd

import (
	"strconv"

	"github.com/tlskit/tlskit/inspect/material"
)

// e2eKDFIterationsEnv lowers the PBKDF2 cost in the binary the end-to-end tests build (with
// -tags tlskit_e2e; cmd/internal/e2etest), which set it for every run but the one that checks
// the release cost with OpenSSL: at 600 000 rounds, writing and reading encrypted keys and
// PKCS#12 files took 10 of the suite's CPU seconds. Release builds do not compile this file.
const e2eKDFIterationsEnv = "TLSKIT_E2E_KDF_ITERATIONS"

func defaultKDFIterations(getenv func(string) string) int {
	if n, err := strconv.Atoi(getenv(e2eKDFIterationsEnv)); err == nil && n >= 1000 {
		return n
	}
	return material.DefaultPBKDF2Iterations
}
