package diskstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley/domain"
)

var _ domain.EventStore = (*Store)(nil)

// The files a Store keeps in its data directory.
const (
	LogFile  = "events.log" // the append-only log of every event
	LockFile = "LOCK"       // flocked while a Store has the directory open
)

// ErrLocked is wrapped by Open when another store holds the data directory.
var ErrLocked = errors.New("data directory is locked")

var errClosed = fmt.Errorf("diskstore: store is closed: %w", domain.ErrUnavailable)

// Store is an EventStore kept in one directory. It is safe for concurrent
// use; open at most one per directory.
type Store struct {
	dir  string
	opts Options
	lock *os.File
	log  *os.File

	idx    *index
	ckpt   *checkpointer
	cache  *cache
	notify *notifier

	// closeMu orders sends on reqs against Close closing it.
	closeMu sync.RWMutex
	closed  bool
	reqs    chan *appendReq
	// writerDone is closed when the writer has drained reqs; done when the
	// store is closed, to end subscriptions.
	writerDone chan struct{}
	done       chan struct{}
	isClosed   atomic.Bool

	// failed holds the sync error that stopped the writer; paused, the
	// write error that pauses appends until the writer can write again.
	failed atomic.Pointer[error]
	paused atomic.Pointer[error]
	// writeAt and sync act on the log; tests replace them to inject errors.
	writeAt func(b []byte, off int64) (int, error)
	sync    func() error

	w writerState
}

// Open opens the store in dir, creating the directory and log as needed.
// It recovers from a crash by truncating a torn tail (and says so through
// the logger), and refuses a log that is damaged anywhere else. It fails
// with an error wrapping ErrLocked when another process, or another Store in
// this process, holds dir.
func Open(dir string, opts Options) (*Store, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("diskstore: invalid options: %w", err)
	}
	opts.setDefaults()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("diskstore: create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{
		dir:        dir,
		opts:       opts,
		lock:       lock,
		idx:        newIndex(),
		cache:      newCache(opts.CacheBytes),
		notify:     newNotifier(),
		reqs:       make(chan *appendReq, 4096),
		writerDone: make(chan struct{}),
		done:       make(chan struct{}),
	}
	if err := s.openLog(); err != nil {
		_ = lock.Close()
		return nil, err
	}
	s.writeAt = s.log.WriteAt
	s.sync = func() error { return datasync(s.log) }
	s.w = writerState{nextPos: s.idx.last() + 1, end: s.idx.end, allocEnd: s.idx.end,
		pending: make(map[string]*pendingStream), retry: time.NewTimer(time.Hour)}
	s.w.retry.Stop()
	go s.runCheckpoints()
	if s.checkpointDue(s.idx.end) {
		// A long log scanned whole, or a long tail after the checkpoint:
		// the next Open should not have to scan it again.
		s.requestCheckpoint()
	}
	go s.run()
	return s, nil
}

// Dir returns the data directory the store was opened on.
func (s *Store) Dir() string { return s.dir }

// openLog opens or creates the log and rebuilds the index from it.
func (s *Store) openLog() error {
	path := filepath.Join(s.dir, LogFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("diskstore: open log: %w", err)
	}
	if err := s.recover(f); err != nil {
		_ = f.Close()
		return err
	}
	// The log's directory entry must be durable before any append is
	// acknowledged, or a crash could lose the whole file.
	if err := syncDir(s.dir); err != nil {
		_ = f.Close()
		return fmt.Errorf("diskstore: sync data directory: %w", err)
	}
	s.log = f
	return nil
}

// Close waits for the appends already submitted, syncs and closes the log,
// ends every subscription and releases the directory. Later calls return an
// error wrapping domain.ErrUnavailable; Close itself may be called again.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	s.closed = true
	s.isClosed.Store(true)
	close(s.reqs)
	s.closeMu.Unlock()

	<-s.writerDone
	close(s.done)
	var errs []error
	if s.failed.Load() != nil {
		s.stopCheckpoints(false)
	} else {
		// Drop the preallocated zeros, so a closed log ends at its last
		// record; the writer has stopped, so s.w is ours now.
		if err := s.log.Truncate(s.w.end); err != nil {
			errs = append(errs, fmt.Errorf("diskstore: trim log: %w", err))
		}
		if err := datasync(s.log); err != nil {
			errs = append(errs, fmt.Errorf("diskstore: sync log: %w", err))
		}
		// After the sync: a checkpoint must never cover bytes that a
		// crash could still lose.
		s.stopCheckpoints(len(errs) == 0)
	}
	if err := s.log.Close(); err != nil {
		errs = append(errs, fmt.Errorf("diskstore: close log: %w", err))
	}
	if err := s.lock.Close(); err != nil {
		errs = append(errs, fmt.Errorf("diskstore: release lock: %w", err))
	}
	return errors.Join(errs...)
}

// Ping reports whether the store accepts appends: not after a failed sync
// (until it is reopened), nor while a failed write pauses them (until the
// writer can preallocate again).
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.usable()
}

// usable returns the error every call gets once the store is closed or
// its writer has failed.
func (s *Store) usable() error {
	if s.isClosed.Load() {
		return errClosed
	}
	if err := s.failed.Load(); err != nil {
		return *err
	}
	if err := s.paused.Load(); err != nil {
		return *err
	}
	return nil
}

// readErr turns a failed read into the error callers see: reads racing
// Close fail as unavailable rather than with a raw file error.
func (s *Store) readErr(err error) error {
	if s.isClosed.Load() || errors.Is(err, os.ErrClosed) {
		return errClosed
	}
	return fmt.Errorf("diskstore: read log: %w", err)
}
