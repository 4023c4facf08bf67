package inspect

import (
	"time"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// VerifyReport is the JSON of `tlskit verify` (docs/json.md): the verdict on a chain read from
// a file, and what it was judged against. Pinned by testdata/verify.json (TestVerifyReportGolden).
type VerifyReport struct {
	File string    `json:"file"`
	At   time.Time `json:"at"`
	Host string    `json:"host,omitempty"`
	// Purpose is server, client or any: the extended key usage asked of the leaf.
	Purpose string `json:"purpose"`
	// Leaf is absent when the leaf itself is malformed.
	Leaf *Certificate `json:"leaf,omitempty"`
	// Presented counts the certificates in the file.
	Presented    int                `json:"presented"`
	Verification Verification       `json:"verification"`
	Revocation   *revocation.Report `json:"revocation"`
}
