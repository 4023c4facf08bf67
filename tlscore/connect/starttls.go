package connect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"
)

// StartTLSProtocols are the plaintext protocols tlskit can upgrade before the handshake: the
// distinct STARTTLS protocols of Schemes, in its order.
var StartTLSProtocols = startTLSProtocols()

func startTLSProtocols() []string {
	var protos []string
	for _, s := range Schemes {
		if s.StartTLS != "" && !slices.Contains(protos, s.StartTLS) {
			protos = append(protos, s.StartTLS)
		}
	}
	return protos
}

// StartTLSForPort guesses the STARTTLS protocol from a well-known port: that of the scheme
// whose default port it is ("" when none applies).
func StartTLSForPort(port int) string {
	for _, s := range Schemes {
		if s.StartTLS != "" && s.DefaultPort == port {
			return s.StartTLS
		}
	}
	return ""
}

// Bounds on what a plaintext server may send before TLS: enough for any real greeting and
// capability list, small enough that a hostile one cannot make us buffer much.
const (
	maxStartTLSLine  = 4096
	maxStartTLSLines = 200
)

// StartTLS runs a protocol's plaintext upgrade on conn so the TLS handshake can follow. name is
// the server's name, for protocols that send it (XMPP).
func StartTLS(ctx context.Context, conn net.Conn, protocol, name string) error {
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	// One byte at a time: nothing the server sends after its "go ahead" may be buffered away
	// from crypto/tls.
	r := bufio.NewReader(&oneByteReader{conn})
	s := &plainSession{conn: conn, r: r}
	switch protocol {
	case "smtp":
		return s.smtp()
	case "imap":
		return s.imap()
	case "pop3":
		return s.pop3()
	case "ftp":
		return s.ftp()
	case "xmpp":
		return s.xmpp(name)
	case "postgres":
		return s.postgres()
	case "ldap":
		return s.ldap()
	}
	return fmt.Errorf("unknown STARTTLS protocol %q (choose %s)", protocol, strings.Join(StartTLSProtocols, ", "))
}

type plainSession struct {
	conn  net.Conn
	r     *bufio.Reader
	lines int
}

func (s *plainSession) send(line string) error {
	_, err := io.WriteString(s.conn, line)
	return err
}

func (s *plainSession) line() (string, error) {
	s.lines++
	if s.lines > maxStartTLSLines {
		return "", errors.New("server sent too many lines")
	}
	var b []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return "", errors.New("server closed the connection")
			}
			return "", err
		}
		if c == '\n' {
			return strings.TrimRight(string(b), "\r"), nil
		}
		if len(b) >= maxStartTLSLine {
			return "", errors.New("server sent an over-long line")
		}
		b = append(b, c)
	}
}

// reply reads an SMTP/FTP-style reply ("250-..." continuation lines, then "250 ...") and returns
// its code and lines.
func (s *plainSession) reply() (string, []string, error) {
	var lines []string
	for {
		l, err := s.line()
		if err != nil {
			return "", lines, err
		}
		lines = append(lines, l)
		if len(l) < 3 {
			return "", lines, fmt.Errorf("unexpected reply %q", quoteShort(l))
		}
		if len(l) == 3 || l[3] == ' ' {
			return l[:3], lines, nil
		}
		if l[3] != '-' {
			return "", lines, fmt.Errorf("unexpected reply %q", quoteShort(l))
		}
	}
}

func (s *plainSession) expectCode(want string, what string) ([]string, error) {
	code, lines, err := s.reply()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if code != want {
		last := ""
		if len(lines) > 0 {
			last = lines[len(lines)-1]
		}
		return nil, fmt.Errorf("%s: server answered %q", what, quoteShort(last))
	}
	return lines, nil
}

func (s *plainSession) smtp() error {
	if _, err := s.expectCode("220", "greeting"); err != nil {
		return err
	}
	if err := s.send("EHLO tlskit.invalid\r\n"); err != nil {
		return err
	}
	lines, err := s.expectCode("250", "EHLO")
	if err != nil {
		return err
	}
	offered := false
	for _, l := range lines {
		if len(l) > 4 && strings.EqualFold(strings.TrimSpace(l[4:]), "STARTTLS") {
			offered = true
		}
	}
	if !offered {
		return errors.New("server does not offer STARTTLS")
	}
	if err := s.send("STARTTLS\r\n"); err != nil {
		return err
	}
	_, err = s.expectCode("220", "STARTTLS")
	return err
}

func (s *plainSession) ftp() error {
	if _, err := s.expectCode("220", "greeting"); err != nil {
		return err
	}
	if err := s.send("AUTH TLS\r\n"); err != nil {
		return err
	}
	_, err := s.expectCode("234", "AUTH TLS")
	return err
}

func (s *plainSession) imap() error {
	l, err := s.line()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(l, "* OK") {
		return fmt.Errorf("greeting: server said %q", quoteShort(l))
	}
	if err := s.send("a1 STARTTLS\r\n"); err != nil {
		return err
	}
	for {
		l, err := s.line()
		if err != nil {
			return fmt.Errorf("STARTTLS: %w", err)
		}
		if strings.HasPrefix(l, "* ") {
			continue // untagged data before the tagged answer
		}
		if strings.HasPrefix(l, "a1 OK") {
			return nil
		}
		return fmt.Errorf("STARTTLS: server answered %q", quoteShort(l))
	}
}

func (s *plainSession) pop3() error {
	l, err := s.line()
	if err != nil {
		return fmt.Errorf("greeting: %w", err)
	}
	if !strings.HasPrefix(l, "+OK") {
		return fmt.Errorf("greeting: server said %q", quoteShort(l))
	}
	if err := s.send("STLS\r\n"); err != nil {
		return err
	}
	l, err = s.line()
	if err != nil {
		return fmt.Errorf("STLS: %w", err)
	}
	if !strings.HasPrefix(l, "+OK") {
		return fmt.Errorf("STLS: server answered %q", quoteShort(l))
	}
	return nil
}

func (s *plainSession) xmpp(name string) error {
	header := fmt.Sprintf("<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", xmlEscape(name))
	if err := s.send(header); err != nil {
		return err
	}
	if err := s.readUntil("</stream:features>"); err != nil {
		return fmt.Errorf("stream features: %w", err)
	}
	if err := s.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"); err != nil {
		return err
	}
	buf, err := s.readUntilAny("<proceed", "<failure")
	if err != nil {
		return fmt.Errorf("starttls: %w", err)
	}
	if strings.Contains(buf, "<failure") {
		return errors.New("server refused STARTTLS")
	}
	// Consume the rest of the <proceed .../> element.
	return s.readUntil(">")
}

func (s *plainSession) readUntil(marker string) error {
	_, err := s.readUntilAny(marker)
	return err
}

func (s *plainSession) readUntilAny(markers ...string) (string, error) {
	var b []byte
	for len(b) < maxStartTLSLine*4 {
		c, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return "", errors.New("server closed the connection")
			}
			return "", err
		}
		b = append(b, c)
		for _, m := range markers {
			if bytes.HasSuffix(b, []byte(m)) {
				return string(b), nil
			}
		}
	}
	return "", errors.New("server sent too much before answering")
}

// postgres sends the SSLRequest message and expects 'S'.
func (s *plainSession) postgres() error {
	msg := make([]byte, 8)
	binary.BigEndian.PutUint32(msg[0:4], 8)
	binary.BigEndian.PutUint32(msg[4:8], 80877103)
	if _, err := s.conn.Write(msg); err != nil {
		return err
	}
	c, err := s.r.ReadByte()
	if err != nil {
		return fmt.Errorf("SSLRequest: %w", err)
	}
	switch c {
	case 'S':
		return nil
	case 'N':
		return errors.New("server does not support TLS (answered N to SSLRequest)")
	}
	return fmt.Errorf("SSLRequest: unexpected answer 0x%02x", c)
}

// ldap sends the StartTLS extended operation (RFC 4511 §4.14) and checks for resultCode success.
func (s *plainSession) ldap() error {
	const oid = "1.3.6.1.4.1.1466.20037"
	req := []byte{0x30, byte(5 + 2 + len(oid)), 0x02, 0x01, 0x01, 0x77, byte(2 + len(oid)), 0x80, byte(len(oid))}
	req = append(req, oid...)
	if _, err := s.conn.Write(req); err != nil {
		return err
	}
	// ExtendedResponse: SEQUENCE { messageID, [APPLICATION 24] { resultCode ENUMERATED, ... } }
	tag, err := s.r.ReadByte()
	if err != nil {
		return fmt.Errorf("extended response: %w", err)
	}
	if tag != 0x30 {
		return fmt.Errorf("extended response: unexpected tag 0x%02x", tag)
	}
	n, err := s.berLength()
	if err != nil {
		return err
	}
	if n > maxStartTLSLine {
		return errors.New("extended response too long")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(s.r, body); err != nil {
		return fmt.Errorf("extended response: %w", err)
	}
	// messageID INTEGER, then [APPLICATION 24] (0x78), its length, then ENUMERATED resultCode.
	i := 0
	if len(body) < 2 || body[0] != 0x02 {
		return errors.New("extended response: malformed")
	}
	i = 2 + int(body[1])
	if i+2 > len(body) || body[i] != 0x78 {
		return errors.New("extended response: not an ExtendedResponse")
	}
	i += 2
	if body[i-1]&0x80 != 0 {
		i += int(body[i-1] & 0x7f)
	}
	if i+3 > len(body) || body[i] != 0x0a || body[i+1] != 1 {
		return errors.New("extended response: malformed result code")
	}
	if code := body[i+2]; code != 0 {
		return fmt.Errorf("server refused StartTLS (LDAP result code %d)", code)
	}
	return nil
}

func (s *plainSession) berLength() (int, error) {
	b, err := s.r.ReadByte()
	if err != nil {
		return 0, err
	}
	if b < 0x80 {
		return int(b), nil
	}
	n := int(b & 0x7f)
	if n == 0 || n > 3 {
		return 0, errors.New("extended response: bad length")
	}
	v := 0
	for i := 0; i < n; i++ {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		v = v<<8 | int(c)
	}
	return v, nil
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&apos;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// quoteShort trims what a server said to a length fit for an error line.
func quoteShort(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
