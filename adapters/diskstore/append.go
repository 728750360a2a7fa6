package diskstore

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
)

// Append implements domain.EventStore. It returns once the events are on
// disk (fdatasync), or with the error that kept them off it. When ctx ends
// first, the append may still commit: retry it with the same ids and
// expected revision to find out.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision,
	events []domain.EventData) (domain.AppendResult, error) {
	if err := validateAppend(stream, events); err != nil {
		return domain.AppendResult{}, err
	}
	req, err := s.newRequest(ctx, stream, expected, events)
	if err != nil {
		return domain.AppendResult{}, err
	}
	if err := s.submit(req); err != nil {
		return domain.AppendResult{}, err
	}
	select {
	case resp := <-req.done:
		return resp.res, resp.err
	case <-ctx.Done():
		return domain.AppendResult{}, ctx.Err()
	}
}

// newRequest encodes the frames on the caller's goroutine, so that
// concurrent appenders share the encoding work and the single writer only
// seals and writes.
func (s *Store) newRequest(ctx context.Context, stream string, expected domain.ExpectedRevision,
	events []domain.EventData) (*appendReq, error) {
	n := len(events)
	req := &appendReq{
		ctx:      ctx,
		stream:   stream,
		expected: expected,
		evs:      make([]reqEvent, n),
		done:     make(chan appendResp, 1),
	}
	size, extra := 0, 0
	for _, e := range events {
		size += frameOverhead + len(stream) + len(e.Type) + len(e.Data)
		// The length prefixes and the metadata JSON: with this room,
		// encoding does not grow (and so copy) the buffer.
		extra += 4*binaryVarintMax + storedjson.MetadataSize(e.Metadata)
	}
	if size > s.opts.MaxAppendBytes {
		return nil, tooLarge(s.opts.MaxAppendBytes)
	}
	req.buf = make([]byte, 0, size+extra)
	// scratch holds the metadata JSON until it is copied into the frame. A
	// chat message's, with its correlation, causation, connection, key, actor
	// and hash, is about 400 bytes: a smaller scratch was outgrown, and so
	// allocated again, on every append.
	var scratch [512]byte
	for i, e := range events {
		id, _ := parseUUID(e.ID) // validated above
		meta, err := storedjson.AppendMetadata(scratch[:0], e.Metadata)
		if err != nil {
			return nil, fmt.Errorf("diskstore: encode metadata: %w", err)
		}
		req.evs[i] = reqEvent{id: domain.FormatUUID(id), typ: e.Type, meta: e.Metadata, start: len(req.buf), dataLen: len(e.Data)}
		if !e.Recorded.IsZero() {
			req.evs[i].stamp, req.evs[i].keepStamp = e.Recorded.UnixNano(), true
		}
		req.buf = appendFrame(req.buf, id, stream, e.Type, meta, e.Data)
		if len(req.buf) > s.opts.MaxAppendBytes {
			return nil, tooLarge(s.opts.MaxAppendBytes)
		}
	}
	return req, nil
}

// binaryVarintMax is the size of a length prefix for any realistic field.
const binaryVarintMax = 5

// submit hands req to the writer unless the store is closed. The read lock
// keeps Close from closing the channel under a sender.
func (s *Store) submit(req *appendReq) error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return errClosed
	}
	if err := s.usable(); err != nil {
		return err
	}
	select {
	case s.reqs <- req:
		return nil
	case <-req.ctx.Done():
		return req.ctx.Err()
	}
}

func tooLarge(limit int) error {
	return domain.FieldError(domain.CodeTooLarge, "events", "the events take more than %d bytes", limit)
}
