package smtp

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"github.com/parley-chat/parley/domain"
)

// compose renders m as a MIME message (a plain-text part and the
// attachments) and returns it with the envelope's sender and recipient.
func compose(m domain.Mail, now time.Time) (msg []byte, from, to string, err error) {
	fromAddr, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, "", "", fmt.Errorf("sender %q: %w", m.From, err)
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, "", "", fmt.Errorf("recipient: %w", err)
	}
	if strings.ContainsAny(m.MessageID, "<>\r\n ") {
		return nil, "", "", errors.New("message id holds <, >, a space or a line break")
	}
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.UTC().Format(time.RFC1123Z))
	if m.MessageID != "" {
		header("Message-ID", "<"+m.MessageID+">")
	}
	header("MIME-Version", "1.0")
	header("Content-Type", `multipart/mixed; boundary="`+w.Boundary()+`"`)
	b.WriteString("\r\n")

	part, err := w.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"quoted-printable"},
	})
	if err != nil {
		return nil, "", "", err
	}
	qp := quotedprintable.NewWriter(part)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Text, "\n", "\r\n"))); err != nil {
		return nil, "", "", err
	}
	if err := qp.Close(); err != nil {
		return nil, "", "", err
	}
	for _, a := range m.Attachments {
		part, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType(a.ContentType, map[string]string{"name": a.Name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": a.Name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, "", "", err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			fmt.Fprintf(part, "%s\r\n", enc[:76])
			enc = enc[76:]
		}
		fmt.Fprintf(part, "%s\r\n", enc)
	}
	if err := w.Close(); err != nil {
		return nil, "", "", err
	}
	return b.Bytes(), fromAddr.Address, toAddr.Address, nil
}
