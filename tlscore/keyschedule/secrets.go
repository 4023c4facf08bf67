package keyschedule

import (
	"fmt"

	"golang.org/x/crypto/hkdf"
)

// The key schedule of RFC 8446 §7.1 up to the handshake traffic secrets, for a client that
// holds its own (EC)DHE private key (a scanner's hand-built handshake) rather than a key log.
// No PSK: the early secret is HKDF-Extract(0, 0).

// Extract is HKDF-Extract(salt, ikm) with the suite's hash. A nil salt or ikm stands for the
// string of Hash.length zero bytes, as RFC 8446 §7.1 writes "0".
func Extract(suite uint16, salt, ikm []byte) ([]byte, error) {
	p, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	size := p.hash().Size()
	if salt == nil {
		salt = make([]byte, size)
	}
	if ikm == nil {
		ikm = make([]byte, size)
	}
	return hkdf.Extract(p.hash, ikm, salt), nil
}

// TranscriptHash is Transcript-Hash(messages) with the suite's hash: the hash of the
// handshake messages (4-byte headers included) concatenated in order.
func TranscriptHash(suite uint16, messages ...[]byte) ([]byte, error) {
	p, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	h := p.hash()
	for _, m := range messages {
		h.Write(m)
	}
	return h.Sum(nil), nil
}

// MessageHash is the synthetic message_hash handshake message (RFC 8446 §4.4.1) that replaces
// the first ClientHello in the transcript after a HelloRetryRequest:
//
//	Transcript-Hash(ClientHello1, HelloRetryRequest, ... Mn) =
//	    Hash(message_hash || 00 00 Hash.length || Hash(ClientHello1) ||
//	         HelloRetryRequest || ... || Mn)
func MessageHash(suite uint16, clientHello1 []byte) ([]byte, error) {
	sum, err := TranscriptHash(suite, clientHello1)
	if err != nil {
		return nil, err
	}
	return append([]byte{254, 0, 0, byte(len(sum))}, sum...), nil
}

// DeriveSecret is Derive-Secret(secret, label, messages) of RFC 8446 §7.1, given
// transcriptHash = Transcript-Hash(messages):
//
//	HKDF-Expand-Label(secret, label, transcriptHash, Hash.length)
func DeriveSecret(suite uint16, secret []byte, label string, transcriptHash []byte) ([]byte, error) {
	p, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	size := p.hash().Size()
	if len(transcriptHash) != size {
		return nil, fmt.Errorf("keys: Derive-Secret %q: transcript hash is %d bytes, %s needs %d", label, len(transcriptHash), p.name, size)
	}
	return expandLabel(p.hash, secret, label, transcriptHash, size)
}

// HandshakeTrafficSecrets derives the client and server handshake traffic secrets of a
// handshake without a PSK (RFC 8446 §7.1):
//
//	early     = HKDF-Extract(0, 0)
//	handshake = HKDF-Extract(Derive-Secret(early, "derived", ""), sharedSecret)
//	client    = Derive-Secret(handshake, "c hs traffic", ClientHello...ServerHello)
//	server    = Derive-Secret(handshake, "s hs traffic", ClientHello...ServerHello)
//
// sharedSecret is the (EC)DHE shared secret; transcriptHash is Transcript-Hash(ClientHello
// ... ServerHello), with MessageHash standing for the first ClientHello after a
// HelloRetryRequest.
func HandshakeTrafficSecrets(suite uint16, sharedSecret, transcriptHash []byte) (client, server []byte, err error) {
	if len(sharedSecret) == 0 {
		return nil, nil, fmt.Errorf("keys: empty (EC)DHE shared secret")
	}
	early, err := Extract(suite, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	empty, err := TranscriptHash(suite)
	if err != nil {
		return nil, nil, err
	}
	derived, err := DeriveSecret(suite, early, "derived", empty)
	if err != nil {
		return nil, nil, err
	}
	hs, err := Extract(suite, derived, sharedSecret)
	if err != nil {
		return nil, nil, err
	}
	if client, err = DeriveSecret(suite, hs, "c hs traffic", transcriptHash); err != nil {
		return nil, nil, err
	}
	if server, err = DeriveSecret(suite, hs, "s hs traffic", transcriptHash); err != nil {
		return nil, nil, err
	}
	return client, server, nil
}
