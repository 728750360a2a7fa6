package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"sync"
	"time"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
)

// Retry defaults of transcript email delivery: attempts follow each other
// after 2s, 4s, 8s, ... up to 5 minutes apart, and the tenth failure is final,
// so a request is given up about 14 minutes after its first attempt.
const (
	DefaultEmailAttempts   = 10
	DefaultEmailBackoff    = 2 * time.Second
	DefaultEmailMaxBackoff = 5 * time.Minute
	emailAttemptTimeout    = time.Minute
)

// TranscriptMailerConfig wires a TranscriptMailer.
type TranscriptMailerConfig struct {
	Store       domain.EventStore
	Transcripts *Transcripts
	// Mailer sends the mail; nil stores requests without sending them, for
	// a node without a mail server (another node, or a later start, sends).
	Mailer domain.Mailer
	// RenderPDF renders the attached transcript.
	RenderPDF func(*Transcript) ([]byte, error)
	From      string
	Now       func() time.Time
	NewID     func() string
	Logger    *slog.Logger
	// MaxAttempts, Backoff and MaxBackoff bound the retries; zero values
	// take the defaults above.
	MaxAttempts int
	Backoff     time.Duration
	MaxBackoff  time.Duration
	// ClaimTimeout, when positive, makes each attempt claimed through the
	// store by Node for that long before it is made, so that of several
	// nodes with a mail server one sends each email.
	ClaimTimeout time.Duration
	Node         string
}

// TranscriptMailer is the transcript email outbox. Request stores a request
// as an event; Run, a background worker, folds every transcript email stream
// to find pending requests (so a restart loses none), sends each with
// retries and capped exponential backoff, and stores every outcome.
type TranscriptMailer struct {
	cfg  TranscriptMailerConfig
	wake chan struct{}

	mu     sync.Mutex
	outbox *transcriptmail.Outbox
	// heldElsewhere holds, per request, until when another node holds the
	// claim on its next attempt; pick skips it until then.
	heldElsewhere map[string]time.Time
}

// NewTranscriptMailer returns the outbox, or an error naming what cfg lacks.
func NewTranscriptMailer(cfg TranscriptMailerConfig) (*TranscriptMailer, error) {
	var errs []error
	if cfg.Store == nil || cfg.Transcripts == nil || cfg.Now == nil || cfg.NewID == nil {
		errs = append(errs, errors.New("transcript mailer: Store, Transcripts, Now and NewID are required"))
	}
	if cfg.Mailer != nil && (cfg.RenderPDF == nil || cfg.From == "") {
		errs = append(errs, errors.New("transcript mailer: RenderPDF and From are required to send"))
	}
	if cfg.From != "" {
		if _, err := mail.ParseAddress(cfg.From); err != nil {
			errs = append(errs, fmt.Errorf("transcript mailer: sender %q is not an address: %w", cfg.From, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultEmailAttempts
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultEmailBackoff
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = DefaultEmailMaxBackoff
	}
	return &TranscriptMailer{cfg: cfg, wake: make(chan struct{}, 1), outbox: transcriptmail.NewOutbox()}, nil
}

// Request stores a request to email the transcript of conversation id to
// the address the customer gave, and returns it; the mail goes out in the
// background. While an earlier request is still pending, asking again
// stores nothing and returns that one, so a double click sends one mail.
// Errors: those of Transcripts.Get, and CodeNoEmail when the customer gave
// no address.
func (m *TranscriptMailer) Request(ctx context.Context, id string, meta domain.Metadata) (transcriptmail.Request, error) {
	if _, err := m.cfg.Transcripts.Get(ctx, id); err != nil {
		return transcriptmail.Request{}, err
	}
	if _, err := CustomerEmail(ctx, m.cfg.Store, id); err != nil {
		return transcriptmail.Request{}, err
	}
	for attempt := 0; ; attempt++ {
		outbox, expected, err := m.read(ctx, id)
		if err != nil {
			return transcriptmail.Request{}, err
		}
		for _, r := range outbox.List() {
			if r.Status == transcriptmail.Pending {
				return r, nil
			}
		}
		req := domain.TranscriptEmailRequested{RequestID: m.cfg.NewID(), ConversationID: id, RequestedAt: domain.FormatTime(m.cfg.Now())}
		err = m.append(ctx, req, expected, meta)
		var wev *domain.WrongExpectedVersionError
		if errors.As(err, &wev) && attempt < 3 {
			continue // another request raced this one: look again
		}
		if err != nil {
			return transcriptmail.Request{}, err
		}
		return *outbox.Apply(req), nil
	}
}

// Emails returns every transcript email request of conversation id, with
// its status, folded from the conversation's transcript email stream.
func (m *TranscriptMailer) Emails(ctx context.Context, id string) ([]transcriptmail.Request, error) {
	outbox, _, err := m.read(ctx, id)
	if err != nil {
		return nil, err
	}
	return outbox.List(), nil
}

// read folds the transcript email stream of conversation id and returns the
// condition under which an append keeps what was read.
func (m *TranscriptMailer) read(ctx context.Context, id string) (*transcriptmail.Outbox, domain.ExpectedRevision, error) {
	const page = 1000
	outbox, expected := transcriptmail.NewOutbox(), domain.NoStream()
	var from domain.Revision
	for {
		recs, err := m.cfg.Store.ReadStream(ctx, domain.TranscriptEmailStream(id), from, page)
		if errors.Is(err, domain.ErrStreamNotFound) {
			return outbox, expected, nil
		}
		if err != nil {
			return nil, expected, fmt.Errorf("read transcript emails of %s: %w", id, err)
		}
		for _, rec := range recs {
			e, err := domain.DecodeEvent(rec)
			if err != nil {
				return nil, expected, err
			}
			outbox.Apply(e)
			from, expected = rec.Revision+1, domain.Exact(rec.Revision)
		}
		if len(recs) < page {
			return outbox, expected, nil
		}
	}
}

// CustomerEmail returns the address the customer of conversation id gave at
// init, without any display name. Errors: CodeNotFound for no such
// conversation, CodeNoEmail when the customer gave no usable address.
func CustomerEmail(ctx context.Context, store domain.EventStore, id string) (string, error) {
	recs, err := store.ReadStream(ctx, domain.StreamName(id), 0, 1)
	if errors.Is(err, domain.ErrStreamNotFound) || err == nil && len(recs) == 0 {
		return "", domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	if err != nil {
		return "", fmt.Errorf("read conversation %s: %w", id, err)
	}
	e, err := domain.DecodeEvent(recs[0])
	if err != nil {
		return "", err
	}
	started, ok := e.(domain.ConversationStarted)
	if !ok {
		return "", domain.Errorf(domain.CodeNotFound, "conversation %s does not exist", id)
	}
	if started.Customer.Personal.Email == "" {
		return "", domain.Errorf(domain.CodeNoEmail, "the customer of conversation %s gave no email address at init", id)
	}
	addr, err := mail.ParseAddress(started.Customer.Personal.Email)
	if err != nil {
		return "", domain.Errorf(domain.CodeNoEmail, "the customer of conversation %s gave no usable email address", id)
	}
	return addr.Address, nil
}

// compose builds the mail of a request: the plain-text transcript as the
// body and the PDF attached.
func (m *TranscriptMailer) compose(ctx context.Context, r transcriptmail.Request) (domain.Mail, error) {
	t, err := m.cfg.Transcripts.Get(ctx, r.ConversationID)
	if err != nil {
		return domain.Mail{}, err
	}
	to, err := CustomerEmail(ctx, m.cfg.Store, r.ConversationID)
	if err != nil {
		return domain.Mail{}, err
	}
	pdf, err := m.cfg.RenderPDF(t)
	if err != nil {
		return domain.Mail{}, err
	}
	return domain.Mail{
		From:      m.cfg.From,
		To:        to,
		Subject:   "Transcript of your conversation of " + FormatStamp(t.StartedAt),
		Text:      string(RenderText(t)),
		MessageID: r.RequestID + "@parley",
		Attachments: []domain.MailAttachment{
			{Name: "transcript-" + t.ConversationID + ".pdf", ContentType: "application/pdf", Data: pdf},
		},
	}, nil
}

// append stores an outbox event on its conversation's stream.
func (m *TranscriptMailer) append(ctx context.Context, e domain.Event, expected domain.ExpectedRevision, meta domain.Metadata) error {
	var conv string
	switch e := e.(type) {
	case domain.TranscriptEmailRequested:
		conv = e.ConversationID
	case domain.TranscriptEmailSent:
		conv = e.ConversationID
	case domain.TranscriptEmailFailed:
		conv = e.ConversationID
	}
	data, err := domain.EncodeEvent(m.cfg.NewID(), e, meta)
	if err != nil {
		return err
	}
	_, err = m.cfg.Store.Append(ctx, domain.TranscriptEmailStream(conv), expected, []domain.EventData{data})
	return err
}
