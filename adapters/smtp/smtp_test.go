package smtp_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/adapters/smtp"
	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/test/mailserver"
)

var pdfBytes = append([]byte("%PDF-1.3\n"), bytes.Repeat([]byte{0, 1, 2, 250}, 100)...)

func testMail() domain.Mail {
	return domain.Mail{
		From: "Parley <transcripts@parley.example>", To: "Ada Lovelace <ada@example.com>",
		Subject: "Transcript — Ελληνικά", Text: "Chat transcript\n\nGrüße, Ada: שלום\n" + strings.Repeat("long line ", 30),
		MessageID:   "3d5e7f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f@parley",
		Attachments: []domain.MailAttachment{{Name: "transcript-1.pdf", ContentType: "application/pdf", Data: pdfBytes}},
	}
}

func mustMailer(t *testing.T, url string, opts smtp.Options) *smtp.Mailer {
	t.Helper()
	m, err := smtp.New(url, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// parts reads a received message: its header, text body and attachments.
func parts(t *testing.T, raw []byte) (mail.Header, string, map[string][]byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var text string
	files := map[string][]byte{}
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(p)
		if name := p.FileName(); name != "" {
			files[name] = decodeBase64(t, body)
		} else {
			text = string(body)
		}
	}
	return msg.Header, text, files
}

func TestSend_AuthPlain(t *testing.T) {
	srv := mailserver.Start(t, mailserver.Options{User: "parley", Password: "s3cret"})
	m := mustMailer(t, "smtp://parley:s3cret@"+srv.Addr, smtp.Options{})
	if err := m.Send(t.Context(), testMail()); err != nil {
		t.Fatal(err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]
	if got.User != "parley" || got.From != "transcripts@parley.example" || len(got.To) != 1 || got.To[0] != "ada@example.com" {
		t.Fatalf("envelope = %+v", got)
	}
	header, text, files := parts(t, got.Data)
	dec := new(mime.WordDecoder)
	if subject, _ := dec.DecodeHeader(header.Get("Subject")); subject != "Transcript — Ελληνικά" {
		t.Errorf("subject = %q", subject)
	}
	if header.Get("Message-Id") != "<3d5e7f90-1a2b-4c3d-8e4f-5a6b7c8d9e0f@parley>" {
		t.Errorf("message id = %q", header.Get("Message-Id"))
	}
	if want := strings.ReplaceAll(testMail().Text, "\n", "\r\n"); text != want {
		t.Errorf("text = %q, want %q", text, want)
	}
	if !bytes.Equal(files["transcript-1.pdf"], pdfBytes) {
		t.Errorf("the attachment did not arrive intact: %d bytes", len(files["transcript-1.pdf"]))
	}
}

func TestSend_STARTTLS(t *testing.T) {
	serverTLS, clientTLS := mailserver.SelfSigned(t)
	srv := mailserver.Start(t, mailserver.Options{User: "parley", Password: "pw", TLS: serverTLS})
	m := mustMailer(t, "smtp://parley:pw@"+srv.Addr, smtp.Options{TLSConfig: clientTLS})
	if err := m.Send(t.Context(), testMail()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Wait(t, 1, 5*time.Second)[0]; !got.TLS {
		t.Fatal("the message came without TLS although the server offered STARTTLS")
	}
}

func TestSend_WrongPasswordIsTemporary(t *testing.T) {
	srv := mailserver.Start(t, mailserver.Options{User: "parley", Password: "pw"})
	err := mustMailer(t, "smtp://parley:nope@"+srv.Addr, smtp.Options{}).Send(t.Context(), testMail())
	if err == nil || errors.Is(err, domain.ErrMailRejected) {
		t.Fatalf("got %v, want a login error that is worth retrying once fixed", err)
	}
}

func TestSend_RejectedRecipientIsPermanent(t *testing.T) {
	srv := mailserver.Start(t, mailserver.Options{Reject: func(string) bool { return true }})
	err := mustMailer(t, "smtp://"+srv.Addr, smtp.Options{}).Send(t.Context(), testMail())
	if !errors.Is(err, domain.ErrMailRejected) {
		t.Fatalf("got %v, want ErrMailRejected", err)
	}
}

func TestSend_ServerDown(t *testing.T) {
	srv := mailserver.Start(t, mailserver.Options{})
	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := mustMailer(t, "smtp://"+srv.Addr, smtp.Options{}).Send(ctx, testMail())
	if err == nil || errors.Is(err, domain.ErrMailRejected) {
		t.Fatalf("got %v, want a temporary error", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if err := mustMailer(t, "smtp://"+srv.Addr, smtp.Options{}).Send(ctx, testMail()); err != nil {
		t.Fatalf("after the server came back: %v", err)
	}
}

func TestNew_RefusesBadURLs(t *testing.T) {
	for _, url := range []string{"", "http://mail.example.com", "smtp://", "smtp://host:25/path", "smtp://host?tls=no", "smtp://[::1"} {
		if _, err := smtp.New(url, smtp.Options{}); err == nil {
			t.Errorf("New(%q) accepted it", url)
		}
	}
	if _, err := smtp.New("smtps://u:p@mail.example.com", smtp.Options{}); err != nil {
		t.Errorf("smtps URL refused: %v", err)
	}
}
