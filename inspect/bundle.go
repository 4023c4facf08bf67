package inspect

import (
	"context"

	"github.com/tlskit/tlskit/inspect/material"
)

// Bundle is input that decoded without error, for callers that show it an item at a time: a
// PEM bundle is decoded once to check it and count its items, and once more by Each, item by
// item, so that memory stays near the size of the input. Decode's []Item holds every parsed
// certificate at once, about 4.5 times the PEM's size (a 64 MiB bundle of 102 000 certificates:
// 63 MiB of input, then 310 MiB of items).
//
// What is not PEM is one DER structure (or one PKCS#12 file), whose items are held as Decode
// returns them.
type Bundle struct {
	data  []byte // the PEM input, decoded again by Each; nil when items holds everything
	opts  DecodeOptions
	items []Item
	// kept are the PEM blocks that needed the password, by index: a key derivation takes up to
	// seconds (material.MaxKDFIterations), so each is done once, and the decrypted key kept.
	kept   map[int]Item
	n      int
	counts map[Kind]int
}

// DecodeBundle checks data as DecodeContext does, with the same errors, and returns a Bundle
// whose Each yields the items DecodeContext would return, in the same order. The Bundle reads
// data again: it must not change while the Bundle is in use.
func DecodeBundle(ctx context.Context, data []byte, opts DecodeOptions) (*Bundle, error) {
	data = material.StripBOM(data)
	if !decodeHasPEMStart(data) {
		items, err := decodeNotPEM(ctx, data, opts)
		if err != nil {
			return nil, err
		}
		return NewBundle(items), nil
	}
	b := &Bundle{data: data, opts: opts, counts: map[Kind]int{}}
	err := walkPEM(ctx, data, opts, nil, func(it Item) error {
		b.n++
		b.counts[it.Kind]++
		if it.Encrypted {
			if b.kept == nil {
				b.kept = map[int]Item{}
			}
			b.kept[it.Index] = it
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// NewBundle holds items that are already decoded (a live server's chain).
func NewBundle(items []Item) *Bundle {
	b := &Bundle{items: items, n: len(items), counts: map[Kind]int{}}
	for _, it := range items {
		b.counts[it.Kind]++
	}
	return b
}

// Len is the number of items.
func (b *Bundle) Len() int { return b.n }

// Count is the number of items of kind k.
func (b *Bundle) Count(k Kind) int { return b.counts[k] }

// Each hands the items to yield in order and stops at the first error yield returns, which it
// returns. Decoding the PEM again cannot fail as it did not the first time, but for ctx: Each
// returns context.Cause(ctx) when ctx is done.
func (b *Bundle) Each(ctx context.Context, yield func(Item) error) error {
	if b.data == nil {
		for _, it := range b.items {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err := yield(it); err != nil {
				return err
			}
		}
		return nil
	}
	return walkPEM(ctx, b.data, b.opts, b.kept, yield)
}
