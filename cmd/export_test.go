package cmd

// TestKDFIterations is the PBKDF2 cost of keys encrypted by in-process test runs: enough rounds
// to be a real PBKDF2 (OpenSSL reads the result), 600 times cheaper than the default. The full
// cost is checked where it matters: material's TestEncryptPKCS8DefaultIterations and the
// end-to-end test that OpenSSL reads a key the binary wrote (asn1parse shows 600000).
const TestKDFIterations = 1000

// MainForTest is Main as in-process tests outside this package run it (testscript): with keys
// encrypted at TestKDFIterations.
func MainForTest(args []string, streams *IOStreams, getenv func(string) string, build BuildInfo) int {
	return mainWith(args, streams, getenv, build, func(a *app) { a.kdfIterations = TestKDFIterations })
}
