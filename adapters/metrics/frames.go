package metrics

// frameCounter counts the websocket data frames in the bytes a server
// writes to one connection (RFC 6455, section 5.2: unmasked frames), across
// however the writes split them, so that frames sent are counted without a
// hook in the websocket adapter. Writes to one connection are serialised
// by the websocket library, so it needs no lock.
type frameCounter struct {
	// upgraded is set once the HTTP 101 answer, which the upgrade writes
	// on the same connection, has passed: it ends with matched = 4 bytes
	// of "\r\n\r\n".
	upgraded bool
	matched  int
	skip     uint64 // payload bytes of the current frame still to pass
	hdr      [14]byte
	n        int // header bytes gathered
}

// feed passes p through the counter and returns the data frames (text,
// binary; not continuations or control frames) whose header it completed.
func (f *frameCounter) feed(p []byte) (frames int) {
	for len(p) > 0 {
		if !f.upgraded {
			switch {
			case p[0] == "\r\n\r\n"[f.matched]:
				f.matched++
			case p[0] == '\r':
				f.matched = 1
			default:
				f.matched = 0
			}
			f.upgraded = f.matched == 4
			p = p[1:]
			continue
		}
		if f.skip > 0 {
			k := uint64(len(p))
			if k > f.skip {
				k = f.skip
			}
			f.skip -= k
			p = p[k:]
			continue
		}
		f.hdr[f.n] = p[0]
		f.n++
		p = p[1:]
		_, payload, done := f.header()
		if !done {
			continue
		}
		if op := f.hdr[0] & 0x0f; op == 1 || op == 2 {
			frames++
		}
		f.n, f.skip = 0, payload
	}
	return frames
}

// header reports whether the gathered bytes hold a whole frame header, and
// if so its size and the frame's payload length.
func (f *frameCounter) header() (size int, payload uint64, done bool) {
	if f.n < 2 {
		return 0, 0, false
	}
	size = 2
	switch l := f.hdr[1] & 0x7f; l {
	case 126:
		size += 2
	case 127:
		size += 8
	default:
		payload = uint64(l)
	}
	if f.hdr[1]&0x80 != 0 {
		size += 4 // a mask: only clients send one, but it costs nothing to follow
	}
	if f.n < size {
		return size, 0, false
	}
	switch size - int(f.hdr[1]>>7)*4 {
	case 4:
		payload = uint64(f.hdr[2])<<8 | uint64(f.hdr[3])
	case 10:
		for _, b := range f.hdr[2:10] {
			payload = payload<<8 | uint64(b)
		}
	}
	return size, payload, true
}
