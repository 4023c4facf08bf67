package certgen

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tlskit/tlskit/inspect/revocation"
	"github.com/tlskit/tlskit/tlscore/names/dn"
)

// RevocationReason is an RFC 5280 CRLReason code (§5.3.1).
type RevocationReason int

// The reasons RFC 5280 defines. 7 is unused and removeFromCRL (8) belongs to delta CRLs only.
const (
	ReasonUnspecified          RevocationReason = 0
	ReasonKeyCompromise        RevocationReason = 1
	ReasonCACompromise         RevocationReason = 2
	ReasonAffiliationChanged   RevocationReason = 3
	ReasonSuperseded           RevocationReason = 4
	ReasonCessationOfOperation RevocationReason = 5
	ReasonCertificateHold      RevocationReason = 6
	ReasonPrivilegeWithdrawn   RevocationReason = 9
	ReasonAACompromise         RevocationReason = 10
)

// The names live with the judging of revocation, in one table for making and reading CRLs.

func (r RevocationReason) String() string { return revocation.ReasonName(int(r)) }

// ReasonNames lists the reason names a CA may give, for help and error messages.
func ReasonNames() []string { return revocation.ReasonNames() }

// ParseRevocationReason reads a reason name in RFC 5280's spelling or any case with hyphens or
// underscores between words: keyCompromise, key-compromise, KEY_COMPROMISE, ca-compromise.
func ParseRevocationReason(s string) (RevocationReason, error) {
	code, err := revocation.ParseReason(s)
	return RevocationReason(code), err
}

// maxSerialOctets is RFC 5280's limit on a serial number's length.
const maxSerialOctets = 20

// ParseSerial reads a certificate serial number written in hexadecimal, as tlskit and
// `openssl x509 -serial` print it: optionally with a 0x or "serial=" prefix and colons between
// bytes, in either case.
func ParseSerial(s string) (*big.Int, error) {
	h := strings.TrimSpace(s)
	h = strings.TrimPrefix(h, "serial=")
	if len(h) > 2 && (h[:2] == "0x" || h[:2] == "0X") {
		h = h[2:]
	}
	h = strings.ReplaceAll(h, ":", "")
	if h == "" {
		return nil, fmt.Errorf("%q is not a hexadecimal serial number", s)
	}
	n, ok := new(big.Int).SetString(h, 16)
	if !ok {
		return nil, fmt.Errorf("%q is not a hexadecimal serial number", s)
	}
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("serial number %q is not positive", s)
	}
	if len(n.Bytes()) > maxSerialOctets {
		return nil, fmt.Errorf("serial number %q is longer than RFC 5280's %d octets", s, maxSerialOctets)
	}
	return n, nil
}

// FormatSerial writes a serial as tlskit shows it everywhere: lower-case hex, no separators.
func FormatSerial(n *big.Int) string { return hex.EncodeToString(n.Bytes()) }

// CheckIssuedBy says whether ca issued cert: cert names ca as its issuer, byte for byte, and
// ca's key verifies its signature. The CA's own certificate is refused: a CA is revoked by the
// CA above it, not by itself.
func CheckIssuedBy(cert, ca *x509.Certificate) error {
	if bytes.Equal(cert.Raw, ca.Raw) {
		return profileErrorf("that is the CA's own certificate; revoke it with the CA that issued it")
	}
	if !bytes.Equal(cert.RawIssuer, ca.RawSubject) {
		return profileErrorf("the certificate %q was issued by %q, not by this CA (%q)", dn.Subject(cert), dn.Issuer(cert), dn.Subject(ca))
	}
	if err := cert.CheckSignatureFrom(ca); err != nil {
		return profileErrorf("the certificate %q names this CA as its issuer but its signature does not verify with the CA's key: %v", dn.Subject(cert), err)
	}
	return nil
}

// Revocation is one entry of a CA's revocation database.
type Revocation struct {
	Serial    string    `json:"serial"`
	RevokedAt time.Time `json:"revoked_at"`
	Reason    string    `json:"reason"`
	// Subject and NotAfter are known when the certificate itself was given; they are for people
	// reading the database, and not part of the CRL.
	Subject  string     `json:"subject,omitempty"`
	NotAfter *time.Time `json:"not_after,omitempty"`
}

// RevocationFor builds the entry that revokes a certificate.
func RevocationFor(cert *x509.Certificate, reason RevocationReason, now time.Time) Revocation {
	na := cert.NotAfter.UTC()
	return Revocation{
		Serial:    FormatSerial(cert.SerialNumber),
		RevokedAt: now.UTC().Truncate(time.Second),
		Reason:    reason.String(),
		Subject:   dn.Subject(cert),
		NotAfter:  &na,
	}
}

// RevokeSummary is what `tlskit ca revoke` reports (docs/json.md): the entry that stands in
// the database (the first one, when the serial was revoked before), whether it was already
// there, and the database file. Pinned by testdata/revoke.json (TestDocumentsGolden).
type RevokeSummary struct {
	Revocation
	AlreadyRevoked bool   `json:"already_revoked"`
	Database       string `json:"database"`
}

// RevocationDB is a CA directory's revoked.json: every certificate it has revoked, and the
// number of the last CRL it signed (CRL numbers only ever increase, RFC 5280 §5.2.3).
type RevocationDB struct {
	Version   int          `json:"version"`
	CRLNumber int64        `json:"crl_number"`
	Revoked   []Revocation `json:"revoked"`
}

const revocationDBVersion = 1

// Add records a revocation. Revoking a serial again changes nothing: the first entry (its time
// and reason) stands, and is returned with added false.
func (db *RevocationDB) Add(r Revocation) (entry Revocation, added bool) {
	for _, e := range db.Revoked {
		if e.Serial == r.Serial {
			return e, false
		}
	}
	db.Revoked = append(db.Revoked, r)
	return r, true
}

// ParseRevocationDB reads revoked.json, checking every entry so that a hand-edited file with a
// bad serial or reason fails here, not in the middle of signing a CRL.
func ParseRevocationDB(data []byte) (RevocationDB, error) {
	var db RevocationDB
	if err := decodeCAFile(data, &db, "a tlskit revocation database"); err != nil {
		return RevocationDB{}, err
	}
	if db.Version != revocationDBVersion {
		return RevocationDB{}, versionError("revocation database", db.Version, revocationDBVersion)
	}
	if db.CRLNumber < 0 {
		return RevocationDB{}, fmt.Errorf("negative crl_number %d", db.CRLNumber)
	}
	seen := map[string]bool{}
	for i, e := range db.Revoked {
		n, err := ParseSerial(e.Serial)
		if err != nil || FormatSerial(n) != e.Serial {
			return RevocationDB{}, fmt.Errorf("entry %d: serial %q is not lower-case hex as tlskit writes it", i+1, e.Serial)
		}
		if seen[e.Serial] {
			return RevocationDB{}, fmt.Errorf("entry %d: serial %s is listed twice", i+1, e.Serial)
		}
		seen[e.Serial] = true
		if _, err := ParseRevocationReason(e.Reason); err != nil {
			return RevocationDB{}, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if e.RevokedAt.IsZero() {
			return RevocationDB{}, fmt.Errorf("entry %d: no revoked_at time", i+1)
		}
	}
	return db, nil
}

// Encode writes the database as revoked.json holds it.
func (db RevocationDB) Encode() []byte {
	if db.Revoked == nil {
		db.Revoked = []Revocation{}
	}
	db.Version = revocationDBVersion
	out, _ := json.MarshalIndent(db, "", "  ") // plain strings, numbers and times: cannot fail
	return append(out, '\n')
}

// EmptyRevocationDB is the database of a new CA.
func EmptyRevocationDB() RevocationDB {
	return RevocationDB{Version: revocationDBVersion, Revoked: []Revocation{}}
}

// ReadRevocationDB reads a CA directory's revocation database; a CA that has revoked nothing
// and signed no CRL yet may have none, which reads as empty.
func ReadRevocationDB(dir string) (RevocationDB, error) {
	path := filepath.Join(dir, RevocationsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return EmptyRevocationDB(), nil
	}
	if err != nil {
		return RevocationDB{}, fmt.Errorf("reading %s: %w", path, unwrapPath(err))
	}
	db, err := ParseRevocationDB(data)
	if err != nil {
		return RevocationDB{}, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

// LockedError says another process holds the CA directory's lock.
type LockedError struct{ Path string }

func (e *LockedError) Error() string {
	return fmt.Sprintf("the CA directory is locked by another tlskit (%s exists)", e.Path)
}

// lockRetry is how often a held lock is tried again.
const lockRetry = 20 * time.Millisecond

// UpdateRevocationDB changes the revocation database under the CA directory's lock: it reads
// the database, lets update change it, and writes it back with a temporary file and a rename,
// so that a crash leaves the old file or the new one and two runs at once never lose an entry.
// A held lock is waited for until ctx ends. Nothing is written if update fails.
func UpdateRevocationDB(ctx context.Context, dir string, update func(*RevocationDB) error) error {
	unlock, err := lockCADir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	db, err := ReadRevocationDB(dir)
	if err != nil {
		return err
	}
	if err := update(&db); err != nil {
		return err
	}
	return WriteFiles([]OutputFile{{Path: filepath.Join(dir, RevocationsFile), Data: db.Encode(), Mode: 0o644, Kind: "revocations"}}, true)
}

// lockCADir takes the CA directory's lock: a file made with O_EXCL, which works the same on
// every platform and filesystem tlskit writes to. A lock left by a crashed run must be removed
// by hand; the error names it.
func lockCADir(ctx context.Context, dir string) (unlock func(), err error) {
	path := filepath.Join(dir, LockFile)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
			_ = f.Close()
			return func() { _ = os.Remove(path) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("locking the CA directory: %w", err)
		}
		t := time.NewTimer(lockRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, &LockedError{Path: path}
			}
			return nil, context.Cause(ctx)
		case <-t.C:
		}
	}
}
