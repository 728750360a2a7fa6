package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/eventschemas/storedjson"
	"github.com/parley-chat/parley/projections"
)

// getConversation answers a page of the live view of a conversation: without
// since the newest messages, with since the oldest after it, at most
// MaxInfoMessages either way; with at or asOf, of the view as it was then.
func (s *Server) getConversation(c echo.Context) error {
	p := principalOf(c)
	id := c.Param("id")
	if err := p.CanRead(id); err != nil {
		return err
	}
	if asksForPast(c) {
		return s.getConversationAt(c, p, id)
	}
	q, err := s.pageQuery(c)
	if err != nil {
		return err
	}
	if p.Role == domain.RoleCustomer {
		q.Viewer = &domain.Participant{ID: p.ParticipantID, Role: domain.RoleCustomer}
	}
	pg, err := s.infos.Select(c.Request().Context(), id, q)
	if err != nil {
		return err
	}
	return s.writePage(c, id, pg)
}

// pageQuery reads since, before and limit; each is optional.
func (s *Server) pageQuery(c echo.Context) (projections.Query, error) {
	q := projections.Query{Since: -1, Before: -1}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"since", &q.Since}, {"before", &q.Before}} {
		name, dst := f.name, f.dst
		if c.QueryParam(name) == "" {
			continue
		}
		v, err := queryUint(c, name, 0)
		if err != nil {
			return q, err
		}
		if v > 1<<62 {
			return q, domain.FieldError(domain.CodeInvalid, name, "%s is not a sequence of this conversation", name)
		}
		*dst = int64(v)
	}
	limit, err := queryUint(c, "limit", uint64(s.cfg.MaxInfoMessages))
	if err != nil {
		return q, err
	}
	if limit == 0 || limit > uint64(s.cfg.MaxInfoMessages) {
		return q, domain.FieldError(domain.CodeInvalid, "limit", "limit must be between 1 and %d", s.cfg.MaxInfoMessages)
	}
	q.Limit = int(limit)
	return q, nil
}

// writePage sends the page as JSON, reading its messages from the store a
// span at a time as it writes them, so that a page of long messages is never
// all in memory. The status is sent with the first message: a store failure
// before it is an ordinary error answer; after it, the connection is cut, so
// that the client sees a broken answer rather than a short one.
func (s *Server) writePage(c echo.Context, id string, pg *projections.Page) error {
	view := pg.Info
	view.Messages = []domain.Message{} // last, so the head ends in "messages":[]}
	head, err := json.Marshal(&view)
	if err != nil {
		return err
	}
	head, ok := bytes.CutSuffix(head, []byte("]}"))
	if !ok {
		return fmt.Errorf("the view of %s does not end with its messages: %s", id, head)
	}
	w := c.Response()
	started := false
	start := func() error {
		started = true
		w.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
		w.WriteHeader(http.StatusOK)
		_, err := w.Write(head)
		return err
	}
	var buf []byte
	err = projections.EachMessage(c.Request().Context(), s.store, id, pg.Sequences(), func(m domain.Message) error {
		buf = buf[:0]
		if !started {
			if err := start(); err != nil {
				return err
			}
		} else {
			buf = append(buf, ',')
		}
		buf, err = storedjson.AppendMessage(buf, &m)
		if err != nil {
			return err
		}
		_, err = w.Write(buf)
		return err
	})
	if err == nil && !started {
		err = start()
	}
	if err == nil {
		_, err = w.Write([]byte("]}\n"))
	}
	if err != nil && started {
		s.logger.Warn("conversation page cut short", "conversation", id, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}
