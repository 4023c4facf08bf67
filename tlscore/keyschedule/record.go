package keyschedule

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrDecryptFailed is returned (wrapped) when a record does not authenticate under the
// decrypter's key. An AEAD cannot tell a wrong key from a corrupted record, so this is the
// signal to try another secret: the other direction, or the application secret instead of the
// handshake one. The decrypter's sequence number is left unchanged, so trying costs nothing.
var ErrDecryptFailed = errors.New("keys: record authentication failed: wrong secret or direction, or corrupted record")

// ErrMalformedRecord is returned (wrapped) for a record that breaks the TLS 1.3 record format.
// Another secret would not help with these.
var ErrMalformedRecord = errors.New("keys: malformed TLS 1.3 record")

const (
	recordHeaderLen = 5
	// recordTypeApplicationData is the outer type of every protected TLS 1.3 record
	// (RFC 8446 §5.2, opaque_type); the real type is inside the encryption.
	recordTypeApplicationData = 23
	// maxCiphertextLen is the limit on TLSCiphertext.length, RFC 8446 §5.2.
	maxCiphertextLen = 1<<14 + 256
	// maxInnerPlaintextLen is the limit on the whole TLSInnerPlaintext (content, type byte and
	// padding), RFC 8446 §5.2 and §5.4.
	maxInnerPlaintextLen = 1<<14 + 1
)

// RecordDecrypter decrypts successive TLS 1.3 records protected under one traffic secret.
//
// TLS 1.3 numbers records per key: each direction and each key phase (early data, handshake,
// application, each KeyUpdate) starts again at sequence number 0, and the number is an input to
// the nonce (RFC 8446 §5.3). So use one RecordDecrypter per traffic secret and feed it that
// secret's records in wire order; when the sender switches keys (after its Finished, or a
// KeyUpdate), switch to a new RecordDecrypter.
//
// A record that fails authentication (ErrDecryptFailed) does not advance the sequence number,
// so a caller that does not know which secret protects a record may try each candidate's
// decrypter in turn. Every other outcome of Decrypt on a record that authenticated advances it,
// including the errors about the decrypted content, because that record did use up a sequence
// number of this key.
//
// A RecordDecrypter is not safe for concurrent use. The zero value is not usable; Decrypt on it
// returns an error.
type RecordDecrypter struct {
	aead cipher.AEAD
	iv   [ivLen]byte
	seq  uint64
}

// NewRecordDecrypter returns a decrypter for records protected under secret, the traffic
// secret of one direction and phase (for example the SERVER_HANDSHAKE_TRAFFIC_SECRET of a key
// log), for the negotiated suite. It supports TLS_AES_128_GCM_SHA256,
// TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256; other suites, including the two
// AES-CCM ones, give ErrUnsupportedSuite.
func NewRecordDecrypter(suite uint16, secret []byte) (*RecordDecrypter, error) {
	p, err := lookupSuite(suite)
	if err != nil {
		return nil, err
	}
	if p.newAEAD == nil {
		return nil, fmt.Errorf("%w 0x%04x (%s): AES-CCM is not available to this package", ErrUnsupportedSuite, suite, p.name)
	}
	key, iv, err := TrafficKeys(suite, secret)
	if err != nil {
		return nil, err
	}
	aead, err := p.newAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %v", p.name, err)
	}
	if aead.NonceSize() != ivLen {
		// Cannot happen with the AEADs above; checked so a future suite cannot make the
		// nonce construction below panic.
		return nil, fmt.Errorf("keys: %s: nonce size %d, want %d", p.name, aead.NonceSize(), ivLen)
	}
	d := &RecordDecrypter{aead: aead}
	copy(d.iv[:], iv)
	return d, nil
}

// Seq returns the sequence number the next record will be decrypted with, which is the number
// of records this decrypter has authenticated.
func (d *RecordDecrypter) Seq() uint64 {
	if d == nil {
		return 0
	}
	return d.seq
}

// Decrypt takes one whole TLSCiphertext record (5-byte header + encrypted payload), uses the
// header as AAD and the per-record nonce (iv XOR sequence number), increments the sequence,
// strips the zero padding and returns the inner content type and plaintext.
//
// The record must be exactly one record: its header's length field must match the bytes that
// follow, and the outer type must be application_data (23), as for every protected TLS 1.3
// record; plaintext records (ClientHello, ServerHello, the compatibility ChangeCipherSpec) are
// ErrMalformedRecord here. The legacy version in the header is not checked: it is part of the
// AAD, so a record whose header was altered fails authentication anyway.
//
// Errors: ErrMalformedRecord for a record that cannot be a valid protected record (sequence
// number unchanged); ErrDecryptFailed when it does not authenticate (sequence number
// unchanged); and, after successful authentication (sequence number advanced), an
// ErrMalformedRecord error when the inner plaintext is longer than 2^14+1 bytes or is all zeros,
// leaving no content type (RFC 8446 §5.4). The returned plaintext is a new slice; it does not
// share memory with record.
func (d *RecordDecrypter) Decrypt(record []byte) (contentType uint8, plaintext []byte, err error) {
	if d == nil || d.aead == nil {
		return 0, nil, errors.New("keys: RecordDecrypter has no key; create it with NewRecordDecrypter")
	}
	if len(record) < recordHeaderLen {
		return 0, nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte record header", ErrMalformedRecord, len(record), recordHeaderLen)
	}
	if record[0] != recordTypeApplicationData {
		return 0, nil, fmt.Errorf("%w: outer content type %d, want application_data (23); only protected records can be decrypted", ErrMalformedRecord, record[0])
	}
	length := int(binary.BigEndian.Uint16(record[3:5]))
	if length > maxCiphertextLen {
		return 0, nil, fmt.Errorf("%w: length %d exceeds 2^14+256 (record_overflow, RFC 8446 §5.2)", ErrMalformedRecord, length)
	}
	if got := len(record) - recordHeaderLen; got != length {
		if got < length {
			return 0, nil, fmt.Errorf("%w: truncated: header says %d bytes follow, only %d do", ErrMalformedRecord, length, got)
		}
		return 0, nil, fmt.Errorf("%w: header says %d bytes follow, but %d do; pass exactly one record", ErrMalformedRecord, length, got)
	}
	// The smallest protected record holds the tag and the one-byte inner content type.
	if minLen := d.aead.Overhead() + 1; length < minLen {
		return 0, nil, fmt.Errorf("%w: %d-byte payload is shorter than the %d-byte minimum (AEAD tag and content type)", ErrMalformedRecord, length, minLen)
	}
	// RFC 8446 §5.3: the sequence number must not wrap; a sender rekeys or closes first.
	if d.seq == math.MaxUint64 {
		return 0, nil, errors.New("keys: sequence number exhausted for this traffic secret")
	}

	inner, err := d.aead.Open(nil, d.nonce(), record[recordHeaderLen:], record[:recordHeaderLen])
	if err != nil {
		return 0, nil, fmt.Errorf("%w (sequence number %d)", ErrDecryptFailed, d.seq)
	}
	d.seq++

	if len(inner) > maxInnerPlaintextLen {
		return 0, nil, fmt.Errorf("%w: inner plaintext is %d bytes, over 2^14+1 (record_overflow, RFC 8446 §5.4)", ErrMalformedRecord, len(inner))
	}
	// TLSInnerPlaintext is content || type || zeros (RFC 8446 §5.4): the type is the last
	// non-zero byte.
	i := len(inner) - 1
	for i >= 0 && inner[i] == 0 {
		i--
	}
	if i < 0 {
		return 0, nil, fmt.Errorf("%w: inner plaintext is all zeros, no content type (RFC 8446 §5.4)", ErrMalformedRecord)
	}
	// Cap the capacity so a caller appending to plaintext cannot overwrite the type byte or
	// padding behind it, which would be confusing if it ever looked at them.
	return inner[i], inner[:i:i], nil
}

// nonce is the per-record nonce of RFC 8446 §5.3: the 64-bit sequence number in network byte
// order, left-padded with zeros to the IV length, XORed with the IV.
func (d *RecordDecrypter) nonce() []byte {
	var n [ivLen]byte
	binary.BigEndian.PutUint64(n[ivLen-8:], d.seq)
	for i := range n {
		n[i] ^= d.iv[i]
	}
	return n[:]
}
