package material

import "fmt"

// MaxKDFIterations bounds the iteration count of any password-based key derivation tlskit runs on
// a file it reads (PBKDF2 in encrypted PKCS#8 keys; PBKDF2, PBMAC1 and the PKCS#12 KDF in PKCS#12
// files). The count comes from the file, and the work is done before the password can be checked,
// so without a bound a few bytes can ask for years of hashing. At this count one derivation takes
// one to three seconds here; OpenSSL 3 writes 2048, tlskit DefaultPBKDF2Iterations.
const MaxKDFIterations = 10_000_000

// KDFLimitError says a file asks for more key-derivation work than tlskit will do. Callers test
// for it with errors.As; the message names the derivation ("MAC iteration count 4000000000
// exceeds the limit of 10000000").
type KDFLimitError struct {
	// Where names the derivation in the file: "PBKDF2", "MAC", "PBMAC1", "encrypted content 1",
	// "shrouded key bag 1 in content 2".
	Where string
	// What is the parameter over its limit: "iteration count" or "key length".
	What  string
	Value int64
	Limit int64
}

func (e *KDFLimitError) Error() string {
	return fmt.Sprintf("%s %s %d exceeds the limit of %d", e.Where, e.What, e.Value, e.Limit)
}
