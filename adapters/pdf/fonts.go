package pdf

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// The fonts are DejaVu Sans 2.37 (fonts/LICENSE): one Unicode TrueType face
// that covers Latin, Greek, Cyrillic, Arabic, Hebrew and many symbols, so a
// transcript never depends on the fonts of the machine that renders it.
//
//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf
var fontFiles embed.FS

// face is an embedded font with the set of characters it has a glyph for.
type face struct {
	ttf    []byte
	covers []bool // by code point, for the Basic Multilingual Plane
}

// has reports whether the face draws r. fpdf handles the Basic
// Multilingual Plane only, so nothing beyond it is drawn.
func (f *face) has(r rune) bool { return r >= 0 && int(r) < len(f.covers) && f.covers[r] }

var loadFaces = sync.OnceValues(func() ([2]*face, error) {
	var out [2]*face
	for i, name := range []string{"fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf"} {
		ttf, err := fontFiles.ReadFile(name)
		if err != nil {
			return out, err
		}
		covers, err := coverage(ttf)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		out[i] = &face{ttf: ttf, covers: covers}
	}
	return out, nil
})

var errNoCmap = errors.New("no Unicode BMP (format 4) cmap")

// coverage reads the font's Unicode cmap (format 4, platform 3 encoding 1
// or platform 0) and returns which BMP code points map to a real glyph.
func coverage(ttf []byte) ([]bool, error) {
	u16 := func(off int) int {
		if off < 0 || off+2 > len(ttf) {
			return 0
		}
		return int(binary.BigEndian.Uint16(ttf[off:]))
	}
	u32 := func(off int) int {
		if off < 0 || off+4 > len(ttf) {
			return 0
		}
		return int(binary.BigEndian.Uint32(ttf[off:]))
	}
	cmap := -1
	for i, n := 0, u16(4); i < n; i++ {
		rec := 12 + 16*i
		if string(ttf[rec:rec+4]) == "cmap" {
			cmap = u32(rec + 8)
		}
	}
	if cmap < 0 {
		return nil, errNoCmap
	}
	sub := -1
	for i, n := 0, u16(cmap+2); i < n; i++ {
		rec := cmap + 4 + 8*i
		platform, encoding, off := u16(rec), u16(rec+2), u32(rec+4)
		if (platform == 3 && encoding == 1 || platform == 0) && u16(cmap+off) == 4 {
			sub = cmap + off
			break
		}
	}
	if sub < 0 {
		return nil, errNoCmap
	}
	covers := make([]bool, 0x10000)
	segs := u16(sub+6) / 2
	ends, starts := sub+14, sub+16+2*segs
	deltas, ranges := starts+2*segs, starts+4*segs
	for s := 0; s < segs; s++ {
		end, start := u16(ends+2*s), u16(starts+2*s)
		delta, rangeOff := u16(deltas+2*s), u16(ranges+2*s)
		for c := start; c <= end && c < 0xFFFF; c++ {
			glyph := (c + delta) & 0xFFFF
			if rangeOff != 0 {
				glyph = u16(ranges + 2*s + rangeOff + 2*(c-start))
				if glyph != 0 {
					glyph = (glyph + delta) & 0xFFFF
				}
			}
			covers[c] = glyph != 0
		}
	}
	return covers, nil
}
