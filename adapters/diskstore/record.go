package diskstore

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// The log is a file header followed by one frame per event:
//
//	frame   = length u32 | crc u32 | payload          (little endian)
//	payload = flags u8 | position u64 | revision u64 | recorded unix ns i64 |
//	          id [16]byte | stream | type | metadata JSON | data
//
// where the four variable fields are each a uvarint length and the bytes.
// The CRC is CRC-32C of the payload. The events of one Append are written
// next to each other and only the last carries flagCommit, so recovery can
// drop an append that was cut short as a whole.
const (
	fileMagic       = "PRLYLOG\x01"
	frameHeaderSize = 8

	offFlags    = frameHeaderSize
	offPosition = offFlags + 1
	offRevision = offPosition + 8
	offRecorded = offRevision + 8
	offID       = offRecorded + 8
	offVarying  = offID + 16

	// frameOverhead is the size of a frame with four empty variable fields.
	frameOverhead = offVarying + 4

	flagCommit byte = 1
)

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	zeros      [offVarying]byte

	// errShortFrame means the buffer ends inside the frame.
	errShortFrame = errors.New("short frame")
	// errBadFrame means the bytes are not a whole, intact frame.
	errBadFrame = errors.New("bad frame")
)

// appendFrame encodes one event at the end of dst with its position,
// revision, timestamp and CRC left blank for seal, so that callers can do
// the costly encoding in parallel and the writer only patches fixed offsets.
func appendFrame(dst []byte, id [16]byte, stream, typ string, meta, data []byte) []byte {
	start := len(dst)
	dst = append(dst, zeros[:]...)
	copy(dst[start+offID:], id[:])
	dst = binary.AppendUvarint(dst, uint64(len(stream)))
	dst = append(dst, stream...)
	dst = binary.AppendUvarint(dst, uint64(len(typ)))
	dst = append(dst, typ...)
	dst = binary.AppendUvarint(dst, uint64(len(meta)))
	dst = append(dst, meta...)
	dst = binary.AppendUvarint(dst, uint64(len(data)))
	dst = append(dst, data...)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-frameHeaderSize))
	return dst
}

// seal fills in the fields the writer assigns and the checksum.
func seal(frame []byte, flags byte, pos domain.Position, rev domain.Revision, recorded int64) {
	frame[offFlags] = flags
	binary.LittleEndian.PutUint64(frame[offPosition:], pos)
	binary.LittleEndian.PutUint64(frame[offRevision:], rev)
	binary.LittleEndian.PutUint64(frame[offRecorded:], uint64(recorded))
	binary.LittleEndian.PutUint32(frame[4:], crc32.Checksum(frame[frameHeaderSize:], castagnoli))
}

// record is a decoded frame whose byte fields alias the buffer it came from.
type record struct {
	flags    byte
	pos      domain.Position
	rev      domain.Revision
	recorded int64
	id       [16]byte
	stream   []byte
	typ      []byte
	meta     []byte
	data     []byte
}

// frameLen returns the size of the frame at the start of b from its header.
func frameLen(b []byte) (int, error) {
	if len(b) < frameHeaderSize {
		return 0, errShortFrame
	}
	n := binary.LittleEndian.Uint32(b)
	if n < frameOverhead-frameHeaderSize || n > maxFrameBytes {
		return 0, errBadFrame
	}
	return frameHeaderSize + int(n), nil
}

// parseFrame checks and decodes the frame at the start of b and returns it
// with its size.
func parseFrame(b []byte) (record, int, error) {
	n, err := frameLen(b)
	if err != nil {
		return record{}, 0, err
	}
	if len(b) < n {
		return record{}, 0, errShortFrame
	}
	b = b[:n]
	if crc32.Checksum(b[frameHeaderSize:], castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return record{}, 0, errBadFrame
	}
	r := record{
		flags:    b[offFlags],
		pos:      binary.LittleEndian.Uint64(b[offPosition:]),
		rev:      binary.LittleEndian.Uint64(b[offRevision:]),
		recorded: int64(binary.LittleEndian.Uint64(b[offRecorded:])),
	}
	copy(r.id[:], b[offID:])
	rest := b[offVarying:]
	for _, field := range []*[]byte{&r.stream, &r.typ, &r.meta, &r.data} {
		l, k := binary.Uvarint(rest)
		if k <= 0 || l > uint64(len(rest)-k) {
			return record{}, 0, errBadFrame
		}
		// The full slice expression stops an append by a caller from
		// spilling into the next field.
		*field = rest[k : k+int(l) : k+int(l)]
		rest = rest[k+int(l):]
	}
	if len(rest) != 0 {
		return record{}, 0, errBadFrame
	}
	return r, n, nil
}

// event turns r into a RecordedEvent. Data keeps aliasing the read buffer,
// which belongs to this one read.
func (r record) event() (domain.RecordedEvent, error) {
	md, err := storedjson.ParseMetadata(r.meta)
	if err != nil {
		return domain.RecordedEvent{}, err
	}
	return domain.RecordedEvent{
		ID:       domain.FormatUUID(r.id),
		Stream:   string(r.stream),
		Type:     string(r.typ),
		Revision: r.rev,
		Position: r.pos,
		Data:     r.data,
		Metadata: md,
		Recorded: time.Unix(0, r.recorded).UTC(),
	}, nil
}
