package handshake

import (
	"context"
	"slices"
	"time"

	"github.com/tlskit/tlskit/tlscore/wire"
)

// Resumed is what a second handshake offering the first one's session did (Options.Resume):
// `openssl s_client -reconnect`, explained.
type Resumed struct {
	// Offered is what its ClientHello offered: "psk" (TLS 1.3 pre_shared_key), "ticket" (a TLS
	// 1.2 session ticket), "session_id" (a TLS 1.2 session by its ID, offered by a hand-built
	// hello), or "none", Why then saying why.
	Offered string `json:"offered"`
	// Accepted: the server resumed the session (TLS 1.3: its ServerHello selected the PSK; TLS
	// 1.2: it went straight to ChangeCipherSpec).
	Accepted bool `json:"accepted"`
	// SelectedIdentity is the PSK the ServerHello selected (TLS 1.3).
	SelectedIdentity *uint16 `json:"selected_identity,omitempty"`
	// KeyExchangeMode is how a resumed TLS 1.3 session's keys were made: "psk_dhe_ke" (the PSK
	// and a fresh (EC)DHE share: forward secret) or "psk_ke" (the PSK alone).
	KeyExchangeMode string `json:"key_exchange_mode,omitempty"`
	// TicketAgeMs is how old the ticket (or session) was when the second ClientHello offered it.
	TicketAgeMs float64 `json:"ticket_age_ms"`
	// Skipped are the messages of the first handshake the second did without (Certificate,
	// CertificateVerify, ...), in the first one's order.
	Skipped []string `json:"skipped"`
	// SavedMs is the first handshake's time less the second's (negative when it took longer).
	SavedMs float64 `json:"saved_ms"`
	// Handshake is the second handshake, its steps and timing as the first one's.
	Handshake *Result `json:"handshake"`
	Why       string  `json:"why,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// resumeWith runs the second handshake of Options.Resume with the session watch kept, and puts
// what it did on first.Resumption.
func resumeWith(ctx context.Context, opts Options, first *Result, watch *ticketWatch) {
	if first.Resumption == nil {
		first.Resumption = &Resumption{}
	}
	session, putAt := watch.kept()
	r := &Resumed{Offered: "none", Skipped: []string{}}
	first.Resumption.Resumed = r
	if session == nil {
		if opts.ResumeTicketOnly {
			r.Why = "the first handshake got no ticket"
			return
		}
		// No ticket: a TLS 1.2 server may still resume by session ID, which tlskit offers by
		// hand (crypto/tls's client does not).
		sess, why := sessionIDOf(first)
		if sess == nil {
			r.Why = why
			return
		}
		start := time.Now()
		second, resumed, err := resume12(ctx, opts, sess)
		r.Offered, r.Accepted, r.Handshake = "session_id", resumed, second
		if second == nil {
			r.Error = err.Error()
			return
		}
		// The session's age runs from the end of the first handshake.
		r.TicketAgeMs = ms(start.Sub(first.doneAt))
		if len(second.Steps) > 0 {
			r.TicketAgeMs += second.Steps[0].AtMs
		}
		switch {
		case err != nil:
			r.Error = err.Error()
		case !resumed:
			r.Why = "the server made a full handshake: it did not take the session ID"
		default:
			// Only a completed resumption spared anything: one abandoned after the
			// ServerHello, or failed, did not.
			r.Skipped = skippedMessages(first.Steps, second.Steps)
			r.SavedMs = first.Timing.HandshakeMs - second.Timing.HandshakeMs
		}
		return
	}
	// Once resumption is shown, ECH's retry (if any) has had its turn: the second handshake
	// offers what the first one ended with.
	again := opts
	again.ECHRetry = false
	if first.ECH != nil && first.ECH.Retried {
		again.ECHConfigList = first.ECH.FirstRejected.RetryConfigList
	}
	start := time.Now()
	second, err := runOnce(ctx, again, watch)
	r.Handshake = second
	if err != nil {
		r.Error = err.Error()
	}
	if second == nil {
		return
	}
	for _, s := range second.Steps {
		if ch, ok := s.Details.(*wire.ClientHello); ok && s.Direction == Sent {
			r.TicketAgeMs = ms(start.Sub(putAt)) + s.AtMs
			switch {
			case ch.PSKIdentities > 0:
				r.Offered = "psk"
			case ch.SessionTicketLength > 0:
				r.Offered = "ticket"
			default:
				r.Why = "crypto/tls offered nothing from the session (expired, or for another version)"
			}
			break
		}
	}
	for _, s := range second.Steps {
		if sh, ok := s.Details.(*wire.ServerHello); ok && s.Direction == Received && !sh.IsHelloRetryRequest {
			r.SelectedIdentity = sh.PreSharedKey
			if sh.PreSharedKey != nil {
				r.KeyExchangeMode = "psk_ke"
				if sh.KeyShare != nil {
					r.KeyExchangeMode = "psk_dhe_ke"
				}
			}
		}
	}
	if r.Offered == "none" && (r.SelectedIdentity != nil || first.Version == "TLS 1.3" && second.ECH != nil && second.ECH.Accepted) {
		// With ECH the PSK goes in the encrypted inner hello: the wire's outer one shows none,
		// but the server selected it, or decrypted the hello that carried it.
		r.Offered, r.Why = "psk", ""
	}
	r.Accepted = err == nil && second.didResume
	if !r.Accepted && r.Why == "" && err == nil {
		r.Why = "the server made a full handshake: it did not take the session offered"
	}
	r.Skipped = skippedMessages(first.Steps, second.Steps)
	r.SavedMs = first.Timing.HandshakeMs - second.Timing.HandshakeMs
}

// skippedMessages are the messages of first (each name once, in its order) that second has
// not: what resumption spared.
func skippedMessages(first, second []Step) []string {
	in := func(steps []Step, s Step) bool {
		return slices.ContainsFunc(steps, func(o Step) bool { return o.Message == s.Message && o.Direction == s.Direction })
	}
	out := []string{}
	for _, s := range first {
		if s.Message == "NewSessionTicket" || s.Message == "Alert" {
			continue // not part of the handshake proper
		}
		if !in(second, s) && !slices.Contains(out, s.Message) {
			out = append(out, s.Message)
		}
	}
	return out
}
