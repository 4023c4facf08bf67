package inspect

import (
	"testing"
	"time"

	"github.com/tlskit/tlskit/inspect/revocation"
)

// TestReportGolden pins the JSON of `tlskit inspect` for one input (inspect.Report,
// docs/json.md), one item of each kind, every key set at least once (an ECHConfigList's config
// of an unknown version has no contents: its keys are absent).
func TestReportGolden(t *testing.T) {
	goldenJSON(t, "report.json", fixtureReport())
}

// TestVerifyReportGolden pins the JSON of `tlskit verify` (inspect.VerifyReport): a chain of
// two that verifies, with its revocation verdict. The malformed verdict's key is pinned by
// verify-malformed.json: a file whose leaf Go refuses has no leaf, and a malformed verdict.
func TestVerifyReportGolden(t *testing.T) {
	goldenJSON(t, "verify.json", fixtureVerifyReport())
	goldenJSON(t, "verify-malformed.json", VerifyReport{
		File: "ip5.pem", At: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC), Purpose: "server", Presented: 2,
		Verification: Verification{Reason: ReasonMalformed,
			Error:     `certificate 1 of 2 is malformed: "CN=ip5.example.test": Go refuses its subject_alt_name extension (2.5.29.17): cannot parse IP address of length 5`,
			Malformed: &Malformed{Index: 0, Subject: "CN=ip5.example.test", Field: "subject_alt_name extension (2.5.29.17)", Detail: "cannot parse IP address of length 5"}},
		Revocation: &revocation.Report{Mode: revocation.ModeStaple, Status: revocation.StatusNotChecked},
	})
}

var (
	fixtureNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	fixtureNB  = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
)

func fixtureAt(d time.Duration) *time.Time {
	t := fixtureNow.Add(d)
	return &t
}

func fixtureLeaf() Certificate {
	return Certificate{
		Subject: "CN=svc.example.test", Issuer: "CN=Example Issuing CA,O=Example", Serial: "0a1b2c",
		NotBefore: fixtureNB, NotAfter: fixtureNB.Add(120 * 24 * time.Hour), DaysLeft: 33,
		DNSNames: []string{"svc.example.test"}, IPAddresses: []string{"192.0.2.1"},
		EmailAddresses: []string{"ops@example.test"}, URIs: []string{"spiffe://example.test/svc"},
		Key: "ECDSA P-256", SignatureAlgorithm: "ECDSA-SHA256", SHA256: "AA:BB:CC",
	}
}

func fixtureIssuer() Certificate {
	return Certificate{
		Subject: "CN=Example Issuing CA,O=Example", Issuer: "CN=Example Root,O=Example", Serial: "02",
		NotBefore: fixtureNB, NotAfter: fixtureNB.Add(1825 * 24 * time.Hour), DaysLeft: 1738,
		DNSNames: []string{}, IPAddresses: []string{}, Key: "ECDSA P-384", SignatureAlgorithm: "ECDSA-SHA384",
		IsCA: true, SHA256: "DD:EE:FF",
	}
}

func fixtureReport() Report {
	pathLen := 0
	yes := true
	leaf := fixtureLeaf()
	leaf.Revocation = &revocation.CertStatus{Status: revocation.StatusUnknown, Source: "crl", File: "issuing.crl",
		ThisUpdate: fixtureAt(-2 * time.Hour), NextUpdate: fixtureAt(22 * time.Hour), Error: "pinned here only for its keys"}
	cert := CertificateDetails{
		Certificate:    leaf,
		Version:        3,
		EmailAddresses: []string{"ops@example.test"},
		URIs:           []string{"spiffe://example.test/svc"},
		PublicKey: PublicKeyInfo{Type: "ECDSA", Bits: 256, Curve: "P-256", SPKISHA256: "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
			FingerprintSHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		KeyUsage:              []string{"digital_signature"},
		ExtKeyUsage:           []string{"server_auth", "client_auth"},
		BasicConstraints:      &BasicConstraints{CA: false, PathLen: &pathLen, Critical: true},
		SubjectKeyID:          "AB:CD:EF",
		AuthorityKeyID:        "12:34:56",
		OCSPServers:           []string{"http://ocsp.example.test/"},
		CAIssuers:             []string{"http://ca.example.test/issuing.der"},
		CRLDistributionPoints: []string{"http://crl.example.test/issuing.crl"},
		Policies:              []string{"2.23.140.1.2.1"},
		SCTs: []SCT{{Version: 1, LogID: "7s3QZNXbGs7FXLedtM0TojKHRny87N7DUUhZRnEftZs=", Timestamp: fixtureNB,
			Extensions: "", HashAlgorithm: "sha256", SignatureAlgorithm: "ecdsa", Signature: "MEUCIQ=="}},
		SCTError: "pinned here only for its key",
		NameConstraints: &NameConstraints{Critical: true,
			PermittedDNS: []string{"example.test"}, ExcludedDNS: []string{"forbidden.example.test"},
			PermittedIPRanges: []string{"192.0.2.0/24"}, ExcludedIPRanges: []string{"198.51.100.0/24"},
			PermittedEmails: []string{"example.test"}, ExcludedEmails: []string{"forbidden.example.test"},
			PermittedURIDomain: []string{"example.test"}, ExcludedURIDomain: []string{"forbidden.example.test"}},
		SHA1: "65:84:A1",
		Extensions: []ExtensionInfo{
			{OID: "2.5.29.17", Name: "subject_alt_name"},
			{OID: "1.2.3.4", Critical: true, Unhandled: true},
		},
	}
	key := KeyDetails{Type: "ECDSA", Bits: 256, Curve: "P-256", SPKISHA256: "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}
	priv := key
	priv.Private = true
	return Report{
		Source: "bundle.p12",
		Items: []ItemReport{
			{Index: 0, Kind: KindCertificate, FromPKCS12: true, Certificate: &cert,
				Lint:       []Finding{{ID: "expires-soon", Severity: SeverityWarning, Message: "expires in 33 days"}},
				KeyMatches: &yes},
			{Index: 1, Kind: KindPrivateKey, FromPKCS12: true, Encrypted: true, Key: &priv},
			{Index: 2, Kind: KindPublicKey, PEMType: "PUBLIC KEY", Key: &key},
			{Index: 3, Kind: KindCertificateRequest, PEMType: "CERTIFICATE REQUEST", Request: &RequestDetails{
				Subject: "CN=svc.example.test", SANs: []string{"DNS:svc.example.test", "IP:192.0.2.1"}, Key: key,
				SignatureAlgorithm: "ECDSA-SHA256", SignatureValid: true, RequestedExtensions: []string{"subjectAltName", "basicConstraints (CA:FALSE)"}}},
			{Index: 4, Kind: KindCRL, PEMType: "X509 CRL", CRL: &CRLDetails{Issuer: "CN=Example Issuing CA,O=Example", Number: "2a",
				ThisUpdate: fixtureNow.Add(-2 * time.Hour), NextUpdate: fixtureNow.Add(7 * 24 * time.Hour), RevokedCount: 3}},
			{Index: 5, Kind: KindECHConfigList, ECHConfigList: &ECHConfigListDetails{Form: ECHFormDNS, Owner: "svc.example.test.", Length: 85,
				Configs: []ECHConfigDetails{
					{Version: "0xfe0d", Supported: true, Length: 76, ECHConfigContents: &ECHConfigContents{ConfigID: 7, KEMID: 0x0020,
						KEM: "DHKEM(X25519, HKDF-SHA256)", PublicKey: "3cc1537606db1c3a5def4217e4cc778891598a222c9d5210c2962038b224110b",
						CipherSuites:      []ECHCipherSuite{{KDFID: 1, KDF: "HKDF-SHA256", AEADID: 1, AEAD: "AES-128-GCM"}},
						MaximumNameLength: 0, PublicName: "public.example.test",
						Extensions: []ECHExtension{{Type: 0xfe01, Length: 2, Mandatory: true, Data: "0102"}}}},
					{Version: "0xfe0e", Supported: false, Length: 7},
				}}},
		},
	}
}

func fixtureVerifyReport() VerifyReport {
	leaf, issuer := fixtureLeaf(), fixtureIssuer()
	leaf.Revocation = &revocation.CertStatus{Status: revocation.StatusRevoked, Source: "ocsp", URL: "http://ocsp.example.test/",
		ThisUpdate: fixtureAt(-time.Hour), NextUpdate: fixtureAt(time.Hour), RevokedAt: fixtureAt(-50 * time.Hour), RevocationReason: "keyCompromise"}
	issuer.Revocation = &revocation.CertStatus{Status: revocation.StatusGood, Source: "crl", URL: "http://crl.example.test/root.crl",
		ThisUpdate: fixtureAt(-24 * time.Hour), NextUpdate: fixtureAt(6 * 24 * time.Hour)}
	shown := fixtureLeaf()
	return VerifyReport{
		File: "svc.pem", At: fixtureNow, Host: "svc.example.test", Purpose: "server",
		Leaf: &shown, Presented: 2,
		Verification: Verification{Reason: ReasonRevoked, HostnameOK: true,
			Error:  `"CN=svc.example.test" is revoked since 2026-11-25T10:00:00Z (keyCompromise), says the OCSP responder http://ocsp.example.test/`,
			Chain:  []string{"CN=svc.example.test", "CN=Example Issuing CA,O=Example"},
			Chains: [][]Certificate{{leaf, issuer}}},
		Revocation: &revocation.Report{Mode: revocation.ModeAuto, Status: revocation.StatusRevoked, Source: "ocsp,crl",
			Error: `"CN=svc.example.test" is revoked since 2026-11-25T10:00:00Z (keyCompromise), says the OCSP responder http://ocsp.example.test/`},
	}
}
