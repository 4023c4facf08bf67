// Package tlscore is tlskit's shared TLS core: targets, configuration from options, dialing,
// the recording connection and handshake tracer, the TLS wire codec, name tables, the server
// and the scanner. It never prints, reads flags or exits; callers get result structs (whose JSON
// tags are tlskit's documented schema) and typed errors.
package tlscore
