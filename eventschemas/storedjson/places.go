package storedjson

import "github.com/parley-chat/parley/domain"

// Field names a string of a message that may hold personal data.
type Field uint8

// The fields a Place names; ToName, ContentURL and ThumbnailURL are of the
// element Place.Index of To or Attachments.
const (
	FromName Field = iota
	ToName
	Text
	RefID
	ContentURL
	ThumbnailURL
)

// Place is where one string value stands in a message's data: from its
// opening quote to just after its closing quote.
type Place struct {
	Field      Field
	Index      int
	Start, End int
}

// In returns the string of m that the place names.
func (pl Place) In(m *domain.Message) *string {
	switch pl.Field {
	case FromName:
		return &m.From.Name
	case ToName:
		return &m.To[pl.Index].Name
	case Text:
		return &m.Text
	case RefID:
		return &m.RefID
	case ContentURL:
		return &m.Attachments[pl.Index].ContentURL
	default:
		return &m.Attachments[pl.Index].ThumbnailURL
	}
}

// DecodeMessagePlaces is DecodeMessage that also says where the message's
// names, text, refId and attachment URLs stand in data (appended to
// places, in the order they stand), so that a caller can replace some of
// them in the stored bytes without encoding the message again: sealing a
// customer's values does, on every message of the chat path.
func DecodeMessagePlaces(data []byte, places []Place) (domain.Message, []Place, bool) {
	m, ok := decodeMessage(data, &places)
	return m, places, ok
}

// placedStr reads a string, noting where it stands when places is not nil.
func placedStr(p *Scanner, places *[]Place, field Field, index int) string {
	start := p.i
	s := p.Str()
	if places != nil && !p.bad {
		*places = append(*places, Place{Field: field, Index: index, Start: start, End: p.i})
	}
	return s
}
