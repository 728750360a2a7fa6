// Package keyfile keeps customers' data keys for the embedded store, in a
// file of its own beside the event log, where destroying a key overwrites
// its bytes in place (ADR 41).
//
// The file is a run of 128-byte slots, one per key id, in the order the
// keys were made:
//
//	0      state: 'K' a live key, 'X' a destroyed one
//	1      length of the id (1 to 64)
//	2-65   the id, zero-padded
//	66-97  the key (zeros once destroyed)
//	98-123 zeros
//	124    CRC-32C of bytes 0-123, little-endian
//
// A slot never straddles a 512-byte sector, so a slot write lands whole or
// not at all on the disks the embedded store supports; a slot that fails
// its checksum anyway is taken as destroyed (in the middle: a destroy cut
// short) or as never made (the last one: a create cut short, which never
// returned its key), never as a key.
package keyfile

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"sync"

	"github.com/parley-chat/parley/domain"
)

// Name is the key file's name in the data directory.
const Name = "personal-data.keys"

const (
	slotSize  = 128
	maxIDLen  = 64
	keySize   = 32
	stateLive = 'K'
	stateGone = 'X'
	keyAt     = 2 + maxIDLen
	crcAt     = slotSize - 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// File is domain.PersonalDataKeys in a file. It is safe for concurrent use
// within one process; the embedded store's lock on the data directory keeps
// other processes out.
type File struct {
	mu    sync.Mutex
	f     *os.File
	slots map[string]*slot
	n     int64 // slots in the file
	sync  groupSync
}

type slot struct {
	index int64
	key   []byte // nil once destroyed
}

var (
	_ domain.PersonalDataKeys        = (*File)(nil)
	_ domain.PersonalDataKeyImporter = (*File)(nil)
)

// Open opens the key file at path, creating it when missing.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	k := &File{f: f, slots: map[string]*slot{}}
	if err := k.load(); err != nil {
		f.Close()
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// load reads every slot, cutting off a torn last one.
func (k *File) load() error {
	buf, err := io.ReadAll(k.f)
	if err != nil {
		return err
	}
	whole := int64(len(buf) / slotSize)
	for i := int64(0); i < whole; i++ {
		b := buf[i*slotSize : (i+1)*slotSize]
		id, key, ok := parseSlot(b)
		switch {
		case !ok && i == whole-1:
			whole-- // a create cut short: its key was never handed out
		case !ok:
			if id != "" {
				k.slots[id] = &slot{index: i}
			}
			if err := k.writeSlot(i, gone(id)); err != nil {
				return err
			}
		default:
			k.slots[id] = &slot{index: i, key: key}
		}
	}
	k.n = whole
	if int64(len(buf)) != whole*slotSize {
		if err := k.f.Truncate(whole * slotSize); err != nil {
			return err
		}
		return k.f.Sync()
	}
	return nil
}

// parseSlot returns a slot's id and key (nil when destroyed); ok is false
// when its checksum fails, and id then is what the slot's id bytes say,
// if they are readable.
func parseSlot(b []byte) (id string, key []byte, ok bool) {
	if n := int(b[1]); n >= 1 && n <= maxIDLen {
		id = string(b[2 : 2+n])
	}
	if crc32.Checksum(b[:crcAt], castagnoli) != binary.LittleEndian.Uint32(b[crcAt:]) || id == "" {
		return id, nil, false
	}
	switch b[0] {
	case stateLive:
		return id, append([]byte(nil), b[keyAt:keyAt+keySize]...), true
	case stateGone:
		return id, nil, true
	}
	return id, nil, false
}

func encodeSlot(state byte, id string, key []byte) []byte {
	b := make([]byte, slotSize)
	b[0], b[1] = state, byte(len(id))
	copy(b[2:], id)
	copy(b[keyAt:], key)
	binary.LittleEndian.PutUint32(b[crcAt:], crc32.Checksum(b[:crcAt], castagnoli))
	return b
}

func gone(id string) []byte { return encodeSlot(stateGone, id, nil) }

// writeSlot overwrites slot i in place and syncs it to the disk.
func (k *File) writeSlot(i int64, b []byte) error {
	if _, err := k.f.WriteAt(b, i*slotSize); err != nil {
		return err
	}
	return k.f.Sync()
}

func checkID(id string) error {
	if len(id) < 1 || len(id) > maxIDLen {
		return domain.FieldError(domain.CodeInvalid, "customerId", "a key id is 1 to %d bytes", maxIDLen)
	}
	return nil
}

// Create implements domain.PersonalDataKeys.
func (k *File) Create(_ context.Context, id string) ([]byte, error) {
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return k.put(id, key)
}

// Import implements domain.PersonalDataKeyImporter.
func (k *File) Import(_ context.Context, id string, key []byte) error {
	if len(key) != keySize {
		return domain.Errorf(domain.CodeInvalid, "a data key is %d bytes, not %d", keySize, len(key))
	}
	got, err := k.put(id, bytes.Clone(key))
	if err == nil && !bytes.Equal(got, key) {
		return domain.Errorf(domain.CodeConflict, "customer %s has another key here", id)
	}
	return err
}

// put stores key as the key of id unless id has one, and returns the key id
// has then.
func (k *File) put(id string, key []byte) ([]byte, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	k.mu.Lock()
	s, ok := k.slots[id]
	if !ok {
		if _, err := k.f.WriteAt(encodeSlot(stateLive, id, key), k.n*slotSize); err != nil {
			k.mu.Unlock()
			return nil, fmt.Errorf("key file: create: %w", err)
		}
		s = &slot{index: k.n, key: key}
		k.slots[id] = s
		k.n++
	}
	key, f := s.key, k.f
	k.mu.Unlock()
	if key == nil {
		return nil, domain.ErrKeyErased(id)
	}
	// A key found here may have been written by a create still syncing.
	if err := k.sync.upTo(f, s.index+1, k.slotsWritten); err != nil {
		return nil, fmt.Errorf("key file: create: %w", err)
	}
	return key, nil
}

func (k *File) slotsWritten() int64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.n
}

// Get implements domain.PersonalDataKeys.
func (k *File) Get(_ context.Context, id string) ([]byte, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.slots[id]
	if !ok {
		return nil, false, domain.ErrNoKey(id)
	}
	return s.key, s.key == nil, nil
}

// Destroy implements domain.PersonalDataKeys: the key's slot is
// overwritten with zeros where the key was, and synced, before it returns.
func (k *File) Destroy(_ context.Context, id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.slots[id]
	if !ok {
		return domain.ErrNoKey(id)
	}
	if s.key == nil {
		return nil
	}
	if err := k.writeSlot(s.index, gone(id)); err != nil {
		return fmt.Errorf("key file: destroy: %w", err)
	}
	clear(s.key)
	s.key = nil
	return nil
}

// Close implements domain.PersonalDataKeys.
func (k *File) Close() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.f == nil {
		return nil
	}
	err := k.f.Close()
	k.f = nil
	return err
}
