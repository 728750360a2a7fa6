package httpapi

import (
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/transcriptmail"
	"github.com/parley-chat/parley/projections"
)

// TranscriptConfig wires the transcript routes; without it they are not
// served. Every field is required.
type TranscriptConfig struct {
	Transcripts *projections.Transcripts
	Mailer      *projections.TranscriptMailer
	// RenderPDF renders the pdf type (the pdf adapter's Render).
	RenderPDF func(*projections.Transcript) ([]byte, error)
}

func (s *Server) routeTranscripts(api *echo.Group) {
	tc := s.cfg.Transcripts
	if tc == nil {
		return
	}
	if tc.Transcripts == nil || tc.Mailer == nil || tc.RenderPDF == nil {
		panic("httpapi: TranscriptConfig needs Transcripts, Mailer and RenderPDF") // a wiring bug
	}
	api.GET("/customer/transcript/:id/:type", s.getTranscript)
	api.GET("/conversations/:id/transcript-emails", s.getTranscriptEmails)
}

// transcriptTypes are the types of GET /api/customer/transcript/{id}/{type}:
// the document's pdf and email, and json, txt and html.
var transcriptTypes = map[string]bool{"pdf": true, "email": true, "json": true, "txt": true, "html": true}

func (s *Server) getTranscript(c echo.Context) error {
	tc, id, kind := s.cfg.Transcripts, c.Param("id"), c.Param("type")
	if !transcriptTypes[kind] {
		return domain.FieldError(domain.CodeInvalid, "type", "the transcript type must be pdf, email, json, txt or html, not %q", kind)
	}
	// The customer, with the token of this conversation, or staff.
	if err := principalOf(c).CanRead(id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if kind == "email" {
		if _, err := tc.Mailer.Request(ctx, id, s.metadata(c)); err != nil {
			return err
		}
		// The document answers an email request with an empty body; the
		// mail goes out in the background, with retries.
		return c.NoContent(http.StatusOK)
	}
	t, err := tc.Transcripts.Get(ctx, id)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("X-Content-Type-Options", "nosniff")
	switch kind {
	case "pdf":
		body, err := tc.RenderPDF(t)
		if err != nil {
			return err
		}
		h.Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": "transcript-" + id + ".pdf"}))
		return c.Blob(http.StatusOK, "application/pdf", body)
	case "json":
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, projections.RenderJSON(t))
	case "txt":
		return c.Blob(http.StatusOK, echo.MIMETextPlainCharsetUTF8, projections.RenderText(t))
	}
	body, err := projections.RenderHTML(t)
	if err != nil {
		return err
	}
	// The page needs nothing from outside and runs no script.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	return c.Blob(http.StatusOK, echo.MIMETextHTMLCharsetUTF8, body)
}

// transcriptEmails is the answer of GET /api/conversations/{id}/transcript-emails.
type transcriptEmails struct {
	ConversationID string                   `json:"conversationId"`
	Emails         []transcriptmail.Request `json:"emails"`
}

func (s *Server) getTranscriptEmails(c echo.Context) error {
	id := c.Param("id")
	if err := principalOf(c).CanRead(id); err != nil {
		return err
	}
	emails, err := s.cfg.Transcripts.Mailer.Emails(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, transcriptEmails{ConversationID: id, Emails: emails})
}
