package projections

import (
	"bytes"
	"fmt"
	"html/template"
)

// transcriptPage is the HTML page of a transcript. html/template escapes
// every value for its context (text, attribute, URL), so user text cannot
// inject markup; dir="auto" lets the browser lay out Arabic and Hebrew.
var transcriptPage = template.Must(template.New("transcript").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<title>Chat transcript {{.ID}}</title>
<style>
body{font-family:"DejaVu Sans","Noto Sans",sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
table.header td{padding:.1rem 1rem .1rem 0;vertical-align:top}
.entry{margin:.6rem 0}
.who{font-weight:bold}
.role,.time{color:#777;font-size:.85em}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:.2rem 0 0 0}
.activity{color:#777;font-size:.9em}
</style>
</head>
<body>
<h1>Chat transcript</h1>
<table class="header">
{{range .Header}}<tr><td>{{index . 0}}</td><td dir="auto">{{index . 1}}</td></tr>
{{end}}<tr><td>Participants</td><td>{{range .Participants}}<div dir="auto">{{.Name}} <span class="role">({{.Role}})</span></div>{{end}}</td></tr>
</table>
<hr>
{{range .Entries}}<div class="entry{{if .Activity}} activity{{end}}" id="m{{.Sequence}}">
{{- if .Activity}}<span class="time">{{.Time}}</span> <span dir="auto">{{.Text}}</span>
{{- else}}<span class="who" dir="auto">{{.Name}}</span> <span class="role">({{.Role}})</span> <span class="time">{{.Time}}</span>
{{- if .Text}}<p class="text" dir="auto">{{.Text}}</p>{{end}}{{end}}
{{- range .Attachments}}<div class="attachment">Attachment: {{if .Link}}<a href="{{.Link}}" rel="noopener noreferrer">{{.Name}}</a>{{else}}{{.Name}}{{end}}</div>{{end}}</div>
{{end}}</body>
</html>
`))

type htmlPage struct {
	ID, Lang     string
	Header       [][2]string
	Participants []htmlParticipant
	Entries      []htmlEntry
}

type htmlParticipant struct{ Name, Role string }

type htmlEntry struct {
	Sequence               uint64
	Activity               bool
	Time, Name, Role, Text string
	Attachments            []htmlAttachment
}

type htmlAttachment struct{ Name, Link string }

// RenderHTML renders the transcript as a standalone HTML page.
func RenderHTML(t *Transcript) ([]byte, error) {
	t = t.Printable()
	page := htmlPage{ID: t.ConversationID, Lang: t.Language, Header: t.HeaderFields()}
	if page.Lang == "" {
		page.Lang = "en"
	}
	for _, p := range t.Participants {
		page.Participants = append(page.Participants, htmlParticipant{p.Name, RoleLabel(p.Role)})
	}
	for _, e := range t.Entries {
		v := htmlEntry{Sequence: e.Sequence, Activity: e.IsActivity(), Time: t.EntryTime(e), Name: e.From.Name, Role: RoleLabel(e.From.Role), Text: e.Text}
		if v.Activity {
			v.Text = ActivityLine(e)
		}
		for _, a := range e.Attachments {
			v.Attachments = append(v.Attachments, htmlAttachment{AttachmentName(a), AttachmentLink(a)})
		}
		page.Entries = append(page.Entries, v)
	}
	var b bytes.Buffer
	if err := transcriptPage.Execute(&b, page); err != nil {
		return nil, fmt.Errorf("render transcript %s as HTML: %w", t.ConversationID, err)
	}
	return b.Bytes(), nil
}
