package peertest

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NginxConfig is what a test gives an nginx peer: the directives of its one server block and of
// the http block around it. The harness writes the rest: the listen directive on 127.0.0.1 and
// the port it chose, and every file nginx writes (pid, error_log, access_log, lock and temp
// paths) inside the prefix directory, a temporary directory of the test.
type NginxConfig struct {
	// Server holds the server block's directives after listen: the certificate
	// (ssl_certificate, ssl_certificate_key), ssl_protocols, ssl_ciphers, add_header,
	// server_tokens, ssl_stapling_file, locations. The document root is html/ in the prefix
	// (nginx's default) unless Server sets root.
	Server string
	// HTTP holds directives of the http block outside the server block (gzip and its
	// settings, maps, further types).
	HTTP string
	// Listen is what follows the address in the listen directive; "ssl" when empty.
	Listen string
	// Files are written into the prefix directory before nginx starts, by relative name
	// ("html/index.html", "cert.pem"). Relative paths in the directives are relative to the
	// prefix, where the configuration file is too.
	Files map[string][]byte
}

// NginxServer is an nginx listening on 127.0.0.1:Port.
type NginxServer struct {
	*Server
	// Prefix is nginx's prefix directory: its configuration (nginx.conf), the Files, its
	// logs (error.log, access.log) and pid file.
	Prefix string
}

// nginxTypes maps the extensions of the pages a test serves to their types, instead of
// Debian's /etc/nginx/mime.types, so nothing outside the prefix is read.
const nginxTypes = `types {
        text/html html htm;
        text/plain txt;
        application/json json;
    }`

// Nginx starts the nginx on PATH (Debian's /usr/sbin/nginx is found also where /usr/sbin is
// not on PATH) with cfg, in the foreground (-g 'daemon off;') with one worker, and returns once
// it listens: its pid file is written, which nginx does only after it bound its port, and the
// port accepts a connection. A port taken meanwhile is retried on another, as Start does; the
// master and its worker are killed at the end of the test. As root its worker runs as root (a
// worker as nobody could not read the test's files); as any other user the user directive is
// left out, and nginx runs as that user.
func Nginx(t testing.TB, cfg NginxConfig) *NginxServer {
	t.Helper()
	prefix := t.TempDir()
	for name, data := range cfg.Files {
		path := filepath.Join(prefix, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(prefix, "nginx.conf")
	pid := filepath.Join(prefix, "nginx.pid")
	srv := Start(t, Program{
		Name: "nginx",
		Args: func(port string) []string {
			// Each attempt gets the configuration for its port, and no pid file of the last.
			os.Remove(pid)
			if err := os.WriteFile(conf, []byte(nginxConf(prefix, port, cfg, os.Geteuid() == 0)), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"-p", prefix + string(filepath.Separator), "-c", conf, "-e", "stderr", "-g", "daemon off;"}
		},
		Ready: func(port, out string) bool {
			if _, err := os.Stat(pid); err != nil {
				return false
			}
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err != nil {
				return false
			}
			c.Close()
			return true
		},
	})
	return &NginxServer{Server: srv, Prefix: prefix}
}

// nginxConf is the whole configuration file for cfg on port; root adds `user root;`.
func nginxConf(prefix, port string, cfg NginxConfig, root bool) string {
	listen := cfg.Listen
	if listen == "" {
		listen = "ssl"
	}
	p := func(name string) string { return filepath.Join(prefix, name) }
	var b strings.Builder
	if root {
		b.WriteString("user root;\n")
	}
	b.WriteString("worker_processes 1;\n")
	b.WriteString("pid " + p("nginx.pid") + ";\n")
	b.WriteString("lock_file " + p("nginx.lock") + ";\n")
	// The log file for the test to read, and stderr for the output Start reports when nginx
	// never listens.
	b.WriteString("error_log " + p("error.log") + " info;\n")
	b.WriteString("error_log stderr warn;\n")
	b.WriteString("events { worker_connections 256; }\n")
	b.WriteString("http {\n")
	b.WriteString("    access_log " + p("access.log") + ";\n")
	for _, temp := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		b.WriteString("    " + temp + "_temp_path " + p(temp+"_temp") + ";\n")
	}
	b.WriteString("    " + nginxTypes + "\n")
	b.WriteString("    default_type application/octet-stream;\n")
	if cfg.HTTP != "" {
		b.WriteString(cfg.HTTP + "\n")
	}
	b.WriteString("    server {\n")
	b.WriteString("        listen 127.0.0.1:" + port + " " + listen + ";\n")
	b.WriteString(cfg.Server + "\n")
	b.WriteString("    }\n")
	b.WriteString("}\n")
	return b.String()
}
