//go:build !unix

package server

// openNonBlock: there are no FIFOs to open by name outside Unix.
const openNonBlock = 0
