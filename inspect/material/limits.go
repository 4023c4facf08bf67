package material

// The longest validity the platforms accept for a TLS server certificate: what certgen refuses
// or warns about when making one, and what lint reports when judging one.
const (
	// AppleMaxDays is Apple's cap for TLS server certificates from private roots.
	AppleMaxDays = 825
	// PublicMaxDays is the CA/Browser Forum and browser limit for publicly trusted certificates.
	PublicMaxDays = 398
)
