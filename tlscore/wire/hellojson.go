package wire

import "encoding/json"

// MarshalJSON writes a ClientHello with the names of its cipher suites, groups and signature
// algorithms beside their numbers (cipher_suite_names, supported_group_names,
// signature_algorithm_names, index for index), as the ServerHello has cipher_suite_name: a
// reader of `handshake -o json` should not need the IANA registries to read the offer. The
// names are made here, on output, not when a ClientHello is parsed (serve parses one per
// connection for its fingerprints and never prints it).
func (ch ClientHello) MarshalJSON() ([]byte, error) {
	type plain ClientHello // without this method
	names := func(ids []uint16, name func(uint16) string) []string {
		if ids == nil {
			return nil
		}
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = name(id)
		}
		return out
	}
	return json.Marshal(struct {
		plain
		CipherSuiteNames        []string `json:"cipher_suite_names"`
		SupportedGroupNames     []string `json:"supported_group_names,omitempty"`
		SignatureAlgorithmNames []string `json:"signature_algorithm_names,omitempty"`
	}{
		plain(ch),
		names(ch.CipherSuites, CipherSuiteName),
		names(ch.SupportedGroups, GroupName),
		names(ch.SignatureAlgorithms, SignatureSchemeName),
	})
}
