package peertest

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"time"
)

// ReadLine reads one line (up to '\n', without the line ending) a byte at a time, so nothing
// the client sends after it is taken from the TLS server.
func ReadLine(c net.Conn) (string, error) {
	line, err := ReadUntil(c, "\n")
	if err != nil {
		return line, err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// ReadUntil reads a byte at a time until what was read ends with marker.
func ReadUntil(c net.Conn, marker string) (string, error) {
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	var b []byte
	one := make([]byte, 1)
	for len(b) < 1<<16 {
		if _, err := io.ReadFull(c, one); err != nil {
			return string(b), err
		}
		b = append(b, one[0])
		if bytes.HasSuffix(b, []byte(marker)) {
			return string(b), nil
		}
	}
	return string(b), errors.New("too much before " + marker)
}
