package ws

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
)

// The hub keeps at most maxOwed leaves it could not store, and tries them
// again this often, doubling the wait up to the maximum while the store
// stays down.
const (
	maxOwed       = 10000
	firstOwedWait = 100 * time.Millisecond
	maxOwedWait   = 2 * time.Second
)

// owedLeave is a participantLeft the server owes the store: the socket
// closed while the store could not take it. meta is kept, so that the
// event, once stored, carries the correlation of the close that caused it.
type owedLeave struct {
	conv string
	who  domain.Participant
	meta domain.Metadata
}

// owedLeaves holds the hub's debts in the order they arose.
type owedLeaves struct {
	mu    sync.Mutex
	items []owedLeave
	wake  chan struct{}
	// paying is held while the debts are tried, so that Close and the
	// background loop do not store the same leave twice.
	paying sync.Mutex
}

// storeLeave stores a socket's participantLeft; when the store cannot take
// it now, the hub owes it and stores it once the store is back.
func (h *Hub) storeLeave(ctx context.Context, conv string, who domain.Participant, meta domain.Metadata) {
	_, err := h.svc.Execute(ctx, conv, domain.LeaveConversation{Participant: who}, meta)
	switch {
	case err == nil, domain.ErrorCode(err) == domain.CodeEnded, domain.ErrorCode(err) == domain.CodeNotParticipant:
	case retryable(err):
		h.owe(owedLeave{conv: conv, who: who, meta: meta}, err)
	default:
		h.logger.Error("store participantLeft", "conversation", conv, "err", err)
	}
}

// retryable reports whether a leave that failed with err may succeed later
// unchanged: the store was down or too slow.
func retryable(err error) bool {
	return domain.ErrorCode(err) == domain.CodeUnavailable || errors.Is(err, context.DeadlineExceeded)
}

func (h *Hub) owe(l owedLeave, cause error) {
	o := &h.owed
	o.mu.Lock()
	full := len(o.items) >= maxOwed
	if !full {
		o.items = append(o.items, l)
	}
	n := len(o.items)
	o.mu.Unlock()
	if full {
		h.logger.Error("participantLeft dropped: too many are owed to the store already",
			"conversation", l.conv, "owed", n, "err", cause)
		return
	}
	h.logger.Warn("participantLeft owed: stored once the store is back", "conversation", l.conv, "owed", n, "err", cause)
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// payOwed stores owed leaves until stop, trying again with backoff while
// the store is down.
func (h *Hub) payOwed() {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	wait := firstOwedWait
	for {
		select {
		case <-h.stop:
			return
		case <-h.owed.wake:
			wait = firstOwedWait
		case <-timer.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.CommandTimeout)
		left := h.tryOwed(ctx)
		cancel()
		if left > 0 {
			timer.Reset(wait)
			wait = min(2*wait, maxOwedWait)
		}
	}
}

// tryOwed tries each owed leave in order, stopping at the first the store
// still cannot take, and returns how many are still owed.
func (h *Hub) tryOwed(ctx context.Context) int {
	o := &h.owed
	o.paying.Lock()
	defer o.paying.Unlock()
	for {
		o.mu.Lock()
		if len(o.items) == 0 {
			o.mu.Unlock()
			return 0
		}
		l := o.items[0]
		o.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, h.cfg.CommandTimeout)
		_, err := h.svc.Execute(cctx, l.conv, domain.LeaveConversation{Participant: l.who}, l.meta)
		cancel()
		if err != nil && retryable(err) {
			o.mu.Lock()
			n := len(o.items)
			o.mu.Unlock()
			return n
		}
		if err != nil && domain.ErrorCode(err) != domain.CodeEnded && domain.ErrorCode(err) != domain.CodeNotParticipant {
			h.logger.Error("store owed participantLeft", "conversation", l.conv, "err", err)
		} else if err == nil {
			h.logger.Info("owed participantLeft stored", "conversation", l.conv)
		}
		o.mu.Lock()
		o.items = o.items[1:]
		o.mu.Unlock()
	}
}

// payOwedBeforeClose makes a last attempt at the owed leaves while the
// store is still open, and logs those it could not store.
func (h *Hub) payOwedBeforeClose(ctx context.Context) {
	if left := h.tryOwed(ctx); left > 0 {
		h.logger.Error("participantLeft events not stored at shutdown: the store was unavailable", "count", left)
	}
}
