// Package pdf renders transcripts as PDF documents with fpdf
// (github.com/go-pdf/fpdf), in an embedded Unicode font.
package pdf

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"

	"github.com/parley-chat/parley/projections"
)

const (
	family      = "dejavu"
	margin      = 18.0 // mm, left, right and bottom
	topMargin   = 16.0
	bodySize    = 10.0 // pt
	metaSize    = 8.5
	bodyLine    = 4.8 // mm
	metaLine    = 4.2
	entryGap    = 2.2
	labelColumn = 28.0
)

type rgb struct{ r, g, b int }

var (
	ink  = rgb{33, 33, 33}
	grey = rgb{115, 115, 115}
	blue = rgb{26, 84, 181}
)

// Render renders t as a PDF. The bytes depend on t alone: the document's
// dates are the conversation's end and nothing random is written, so the
// same transcript always renders to the same bytes.
func Render(t *projections.Transcript) ([]byte, error) {
	faces, err := loadFaces()
	if err != nil {
		return nil, fmt.Errorf("pdf: load fonts: %w", err)
	}
	t = t.Printable()
	doc := fpdf.New("P", "mm", "A4", "")
	r := &renderer{doc: doc, faces: faces, t: t}
	r.setup()
	r.header()
	for _, e := range t.Entries {
		r.entry(e)
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		return nil, fmt.Errorf("pdf: render transcript %s: %w", t.ConversationID, err)
	}
	return buf.Bytes(), nil
}

type renderer struct {
	doc   *fpdf.Fpdf
	faces [2]*face
	t     *projections.Transcript
	width float64
}

func (r *renderer) setup() {
	d := r.doc
	stamp, err := time.Parse(time.RFC3339Nano, r.t.EndedAt)
	if err != nil {
		stamp = time.Unix(0, 0)
	}
	d.SetCatalogSort(true) // fpdf otherwise writes some catalogs in map order
	d.SetCreationDate(stamp.UTC())
	d.SetModificationDate(stamp.UTC())
	d.SetProducer("Parley", false)
	d.SetCreator("Parley", false)
	d.SetTitle(r.clean("Chat transcript "+r.t.ConversationID, false), true)
	d.SetMargins(margin, topMargin, margin)
	d.SetAutoPageBreak(true, margin)
	d.AliasNbPages("{nb}") // before the fonts: it changes how fpdf subsets them
	d.AddUTF8FontFromBytes(family, "", r.faces[0].ttf)
	d.AddUTF8FontFromBytes(family, "B", r.faces[1].ttf)
	pageW, _ := d.GetPageSize()
	r.width = pageW - 2*margin
	d.SetHeaderFunc(func() {
		if d.PageNo() == 1 {
			return
		}
		r.style(false, metaSize, grey)
		d.CellFormat(r.width, metaLine, r.clean("Chat transcript · "+r.t.ConversationID, false), "", 1, "L", false, 0, "")
		d.Ln(2)
	})
	d.SetFooterFunc(func() {
		d.SetY(-12)
		r.style(false, metaSize, grey)
		d.CellFormat(r.width, metaLine, fmt.Sprintf("Page %d of {nb}", d.PageNo()), "", 0, "C", false, 0, "")
	})
	d.AddPage()
}

func (r *renderer) header() {
	d := r.doc
	r.style(true, 16, ink)
	d.CellFormat(r.width, 9, "Chat transcript", "", 1, "L", false, 0, "")
	d.Ln(2)
	field := func(label string, values ...string) {
		for i, v := range values {
			r.ensure(metaLine)
			if i == 0 {
				r.style(true, 9, ink)
				d.CellFormat(labelColumn, metaLine, label, "", 0, "L", false, 0, "")
			}
			r.style(false, 9, ink)
			r.lines(margin+labelColumn, r.width-labelColumn, v, false, metaLine)
		}
	}
	for _, f := range r.t.HeaderFields() {
		field(f[0], f[1])
	}
	var people []string
	for _, p := range r.t.Participants {
		people = append(people, p.Name+" ("+projections.RoleLabel(p.Role)+")")
	}
	if len(people) > 0 {
		field("Participants", people...)
	}
	d.Ln(3)
	d.SetDrawColor(200, 200, 200)
	d.Line(margin, d.GetY(), margin+r.width, d.GetY())
	d.Ln(3)
}

func (r *renderer) entry(e projections.TranscriptEntry) {
	d := r.doc
	at := r.t.EntryTime(e)
	if e.IsActivity() {
		r.ensure(metaLine)
		r.style(false, metaSize, grey)
		r.lines(margin, r.width, at+"  ·  "+projections.ActivityLine(e), false, metaLine)
	} else {
		r.ensure(metaLine + bodyLine) // keep the sender with the first line
		name := r.clean(e.From.Name, true)
		meta := "  " + projections.RoleLabel(e.From.Role) + " · " + at
		r.style(true, 9, ink)
		if w := d.GetStringWidth(name) + 2*d.GetCellMargin(); w < r.width*0.7 {
			d.CellFormat(w, metaLine, visual(name, isRTL(name)), "", 0, "L", false, 0, "")
			r.style(false, metaSize, grey)
			d.CellFormat(r.width-w, metaLine, meta, "", 1, "L", false, 0, "")
		} else {
			r.lines(margin, r.width, e.From.Name+meta, true, metaLine)
		}
		if e.Text != "" {
			r.style(false, bodySize, ink)
			r.lines(margin, r.width, e.Text, false, bodyLine)
		}
	}
	for _, a := range e.Attachments {
		r.attachment(projections.AttachmentName(a), projections.AttachmentLink(a))
	}
	d.Ln(entryGap)
}

// attachment shows an attachment by name; an http(s) one is a link.
func (r *renderer) attachment(name, link string) {
	d := r.doc
	r.ensure(metaLine)
	label := "Attachment: " + r.clean(name, false)
	if link == "" {
		r.style(false, metaSize, grey)
		r.lines(margin, r.width, "Attachment: "+name, false, metaLine)
		return
	}
	r.style(false, metaSize, blue)
	w := min(d.GetStringWidth(label)+2*d.GetCellMargin(), r.width)
	d.CellFormat(w, metaLine, visual(label, false), "", 1, "L", false, 0, link)
}

// lines draws text in a column of width w starting at x: each paragraph
// wraps in logical order, then each line is put in visual order and aligned
// to the paragraph's side (right for Arabic and Hebrew).
func (r *renderer) lines(x, w float64, text string, bold bool, h float64) {
	d := r.doc
	for _, para := range strings.Split(r.clean(text, bold), "\n") {
		rtl, align := isRTL(para), "L"
		if rtl {
			align = "R"
		}
		wrapped := d.SplitText(para, w)
		if len(wrapped) == 0 {
			wrapped = []string{""}
		}
		for _, line := range wrapped {
			d.SetX(x)
			d.CellFormat(w, h, visual(line, rtl), "", 1, align, false, 0, "")
		}
	}
}

// ensure starts a new page unless h more millimetres fit on this one.
func (r *renderer) ensure(h float64) {
	_, pageH := r.doc.GetPageSize()
	if r.doc.GetY()+h > pageH-margin {
		r.doc.AddPage()
	}
}

func (r *renderer) style(bold bool, size float64, c rgb) {
	style := ""
	if bold {
		style = "B"
	}
	r.doc.SetFont(family, style, size)
	r.doc.SetTextColor(c.r, c.g, c.b)
}

// clean prepares user text for the font: it composes characters (NFC), so
// that an accent typed as a combining mark is drawn as one glyph, drops
// control characters and the invisible format characters the font has no
// glyph for, and shows every other character the font lacks as a visible
// [U+XXXX], so that nothing is lost without a trace.
func (r *renderer) clean(s string, bold bool) string {
	f := r.faces[0]
	if bold {
		f = r.faces[1]
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, c := range s {
		switch {
		case c == '\n':
			b.WriteRune(c)
		case c == '\t':
			b.WriteString("    ")
		case f.has(c) && !unicode.IsControl(c):
			b.WriteRune(c)
		case unicode.IsControl(c) || unicode.Is(unicode.Cf, c):
		default:
			fmt.Fprintf(&b, "[U+%04X]", c)
		}
	}
	return b.String()
}
