//go:build unix

package e2etest

import (
	"strings"
	"testing"
)

// OpenSSL runs openssl in dir and fails the test unless it exits 0; it returns stdout and
// stderr together, since OpenSSL prints its verdicts on either.
func OpenSSL(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return OpenSSLIn(t, dir, "", args...)
}

// OpenSSLIn is OpenSSL with input on stdin.
func OpenSSLIn(t testing.TB, dir, stdin string, args ...string) string {
	t.Helper()
	r := Exec(t, dir, stdin, nil, "openssl", args...)
	if r.Code != 0 {
		t.Fatalf("openssl %s: exit %d\n%s%s", strings.Join(args, " "), r.Code, r.Stdout, r.Stderr)
	}
	return r.Stdout + r.Stderr
}

// X509Text is `openssl x509 -noout -text` of the first certificate in a file.
func X509Text(t testing.TB, dir, file string) string {
	t.Helper()
	return OpenSSL(t, dir, "x509", "-in", file, "-noout", "-text")
}

// ExtValue returns the first line after an extension's header in openssl's text, trimmed, with
// a "keyid:" prefix (some OpenSSL versions print it for the AKI) removed.
func ExtValue(text, header string) string {
	i := strings.Index(text, header)
	if i < 0 {
		return ""
	}
	rest := text[i+len(header):]
	j := strings.IndexByte(rest, '\n')
	if j < 0 {
		return ""
	}
	rest = rest[j+1:]
	if k := strings.IndexByte(rest, '\n'); k >= 0 {
		rest = rest[:k]
	}
	return strings.TrimPrefix(strings.TrimSpace(rest), "keyid:")
}

// CRLNumber reads a CRL's number as OpenSSL prints it.
func CRLNumber(t testing.TB, dir, file string, extra ...string) string {
	t.Helper()
	text := OpenSSL(t, dir, append([]string{"crl", "-in", file, "-noout", "-text"}, extra...)...)
	return ExtValue(text, "X509v3 CRL Number:")
}

// OpenSSLCert has OpenSSL make NAME.pem (and NAME.key) for subj, signed by issuer (a name made
// the same way) with the extensions in ext, one per line as in an -extfile: OpenSSL writes
// what crypto/x509 refuses to, which is the point.
func OpenSSLCert(t testing.TB, dir, name, subj, issuer, ext string) {
	t.Helper()
	OpenSSL(t, dir, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", name+".key", "-subj", subj, "-out", name+".csr")
	WriteFile(t, dir, name+".ext", "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n"+ext)
	OpenSSL(t, dir, "x509", "-req", "-in", name+".csr", "-CA", issuer+".pem", "-CAkey", issuer+".key", "-days", "30",
		"-extfile", name+".ext", "-out", name+".pem")
}

// OpenSSLLeafExt and OpenSSLCAExt are the usual extensions of a TLS server leaf and of an
// intermediate CA for OpenSSLCert, to which a case adds its own.
const (
	OpenSSLLeafExt = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
	OpenSSLCAExt   = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n"
)
