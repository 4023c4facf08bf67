// Command bench-handshake is the helper that scripts/bench-handshake.sh builds once:
//
//	bench-handshake floor -addr 127.0.0.1:PORT -ca ca.pem -servername localhost
//	bench-handshake serve -addr 127.0.0.1:PORT -cert leaf.pem -key leaf-key.pem [-hold]
//
// floor is the least a Go program can do for a verified TLS handshake: one crypto/tls dial with
// the given roots, then close; no recording, no decoding. It is the baseline `tlskit handshake`
// is measured against. serve is a TLS server that handles connections concurrently (openssl
// s_server takes them one at a time), for the many-targets test: it completes each handshake
// and closes, or with -hold waits for the client to close first, as a server waiting for a
// request does.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"
)

func main() {
	var err error
	switch {
	case len(os.Args) > 1 && os.Args[1] == "floor":
		err = floor(os.Args[2:])
	case len(os.Args) > 1 && os.Args[1] == "serve":
		err = serve(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: bench-handshake floor|serve [flags] (see -h of each)")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-handshake:", err)
		os.Exit(1)
	}
}

func floor(args []string) error {
	fs := flag.NewFlagSet("floor", flag.ExitOnError)
	addr := fs.String("addr", "", "HOST:PORT to dial")
	caFile := fs.String("ca", "", "PEM file of the roots to verify against")
	name := fs.String("servername", "", "name to send as SNI and to verify")
	fs.Parse(args)
	pem, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("%s: no certificates", *caFile)
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", *addr, &tls.Config{RootCAs: roots, ServerName: *name})
	if err != nil {
		return err
	}
	return c.Close()
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "HOST:PORT to listen on")
	certFile := fs.String("cert", "", "certificate PEM file")
	keyFile := fs.String("key", "", "private key PEM file")
	hold := fs.Bool("hold", false, "after the handshake, wait for the client to close (at most 10s)")
	fs.Parse(args)
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", *addr, &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return err
	}
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return err
		} else if err != nil {
			time.Sleep(5 * time.Millisecond) // e.g. out of file descriptors: try again
			continue
		}
		go func(c *tls.Conn) {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if c.Handshake() == nil && *hold {
				io.Copy(io.Discard, c)
			}
		}(c.(*tls.Conn))
	}
}
