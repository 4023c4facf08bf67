package peertest

import (
	"bufio"
	"crypto/tls"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNginx starts nginx with a server block of the test's, gets its page over TLS, and
// finds everything nginx wrote inside the prefix; after the test nginx is gone.
func TestNginx(t *testing.T) {
	t.Parallel()
	var srv *NginxServer
	t.Run("serve", func(t *testing.T) {
		dir := certFiles(t)
		srv = Nginx(t, NginxConfig{
			Server: "ssl_certificate " + filepath.Join(dir, "cert.pem") + ";\n" +
				"ssl_certificate_key " + filepath.Join(dir, "key.pem") + ";\n" +
				`add_header X-Test "peertest" always;`,
			Files: map[string][]byte{"html/index.html": []byte("<p>hello</p>\n")},
		})
		c, err := tls.Dial("tcp", srv.Addr(), &tls.Config{RootCAs: Roots(t), ServerName: "localhost"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || string(body) != "<p>hello</p>\n" || resp.Header.Get("X-Test") != "peertest" ||
			resp.Header.Get("Content-Type") != "text/html" {
			t.Errorf("got %s %q %v", resp.Status, body, resp.Header)
		}
		for _, name := range []string{"nginx.conf", "nginx.pid", "error.log", "access.log", "client_body_temp"} {
			if _, err := os.Stat(filepath.Join(srv.Prefix, name)); err != nil {
				t.Errorf("nothing at %s in the prefix: %v", name, err)
			}
		}
	})
	if srv == nil {
		return
	}
	if c, err := tls.Dial("tcp", srv.Addr(), &tls.Config{InsecureSkipVerify: true}); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after the test that started it ended", srv.Addr())
	}
}

// TestNginxConf: the user directive only for root, the listen parameters defaulting to ssl,
// every file nginx writes in the prefix.
func TestNginxConf(t *testing.T) {
	t.Parallel()
	conf := nginxConf("/p", "20443", NginxConfig{Server: "ssl_stapling_file ocsp.der;", HTTP: "gzip on;"}, false)
	for _, want := range []string{"listen 127.0.0.1:20443 ssl;", "ssl_stapling_file ocsp.der;", "gzip on;", "pid /p/nginx.pid;",
		"error_log /p/error.log", "access_log /p/access.log;", "client_body_temp_path /p/client_body_temp;", "lock_file /p/nginx.lock;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Contains(conf, "user ") {
		t.Errorf("a user directive for a non-root nginx:\n%s", conf)
	}
	if conf := nginxConf("/p", "1", NginxConfig{Listen: "ssl http2"}, true); !strings.HasPrefix(conf, "user root;\n") ||
		!strings.Contains(conf, "listen 127.0.0.1:1 ssl http2;") {
		t.Errorf("root's config:\n%s", conf)
	}
}
