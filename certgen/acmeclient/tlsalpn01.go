package acmeclient

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/acme"
)

// TLSALPNSolver answers tls-alpn-01 challenges (RFC 8737) from a TLS listener of its own on
// Addr: to a ClientHello offering only acme-tls/1 for a name being validated, the challenge
// certificate for that name; to anything else, nothing (the handshake fails).
type TLSALPNSolver struct {
	Addr string

	mu    sync.Mutex
	certs map[string]*tls.Certificate // by the ClientHello's server name
	ln    net.Listener
	wg    sync.WaitGroup
}

func (s *TLSALPNSolver) Type() string { return TLSALPN01 }

// Listen opens the listener before any order is placed (see HTTPSolver.Listen).
func (s *TLSALPNSolver) Listen() error {
	cfg := &tls.Config{
		NextProtos: []string{acme.ALPNProto},
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if len(hello.SupportedProtos) != 1 || hello.SupportedProtos[0] != acme.ALPNProto {
				return nil, errors.New("not a tls-alpn-01 validation")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if c := s.certs[strings.ToLower(hello.ServerName)]; c != nil {
				return c, nil
			}
			return nil, errors.New("no challenge for this name")
		},
	}
	ln, err := tls.Listen("tcp", s.Addr, cfg)
	if err != nil {
		return &ListenError{Addr: s.Addr, Err: err}
	}
	s.mu.Lock()
	s.ln, s.certs = ln, map[string]*tls.Certificate{}
	s.mu.Unlock()
	s.wg.Add(1)
	go s.accept(ln)
	return nil
}

// accept completes each handshake (the validation is the handshake) and closes it.
func (s *TLSALPNSolver) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			tc := c.(*tls.Conn)
			ctx, cancel := context.WithTimeout(context.Background(), handshakeWait)
			defer cancel()
			tc.HandshakeContext(ctx)
		}()
	}
}

// Close stops the listener.
func (s *TLSALPNSolver) Close() error {
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	if ln == nil {
		return nil
	}
	err := ln.Close()
	s.wg.Wait()
	return err
}

// serverName is the name a validation's ClientHello carries for an identifier: the name
// itself, or for an IP address its reverse-DNS form (RFC 8738 section 6: SNI has no IP form).
func serverName(id acme.AuthzID) (string, error) {
	if id.Type != "ip" {
		return strings.ToLower(id.Value), nil
	}
	name, err := reverseName(id.Value)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(name, "."), nil
}

func (s *TLSALPNSolver) Present(_ context.Context, c *acme.Client, authz *acme.Authorization, ch *acme.Challenge) error {
	cert, err := c.TLSALPN01ChallengeCert(ch.Token, authz.Identifier.Value)
	if err != nil {
		return err
	}
	name, err := serverName(authz.Identifier)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.certs == nil {
		return errors.New("the tls-alpn-01 listener is not open")
	}
	s.certs[name] = &cert
	return nil
}

func (s *TLSALPNSolver) CleanUp(_ context.Context, _ *acme.Client, authz *acme.Authorization, _ *acme.Challenge) error {
	name, err := serverName(authz.Identifier)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.certs, name)
	return nil
}
