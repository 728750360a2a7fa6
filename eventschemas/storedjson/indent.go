package storedjson

// Indented appends JSON indented by two spaces a level, byte for byte as
// json.MarshalIndent(v, "", "  ") writes it: an empty object or array
// stays on one line ({} or []), and every member or element starts a line
// of its own. Its caller writes the members in the order of the struct's
// fields; the transcript files are written this way (see
// projections.RenderJSON, held to encoding/json by its tests).
type Indented struct {
	// B is the text so far; numbers and literals are appended to it
	// directly, after Key or Item.
	B     []byte
	depth int
	// empty is true from an opening bracket until the first member or
	// element, which decides whether the close goes on a line of its own.
	empty bool
}

// Open starts an object ('{') or an array ('[').
func (w *Indented) Open(c byte) {
	w.B = append(w.B, c)
	w.depth++
	w.empty = true
}

// Close ends what the matching Open started, with '}' or ']'.
func (w *Indented) Close(c byte) {
	w.depth--
	if !w.empty {
		w.newline()
	}
	w.B = append(w.B, c)
	w.empty = false
}

func (w *Indented) newline() {
	w.B = append(w.B, '\n')
	for range w.depth {
		w.B = append(w.B, "  "...)
	}
}

// Item starts an element of an array or a member of an object.
func (w *Indented) Item() {
	if !w.empty {
		w.B = append(w.B, ',')
	}
	w.empty = false
	w.newline()
}

// Key starts the member k; its value is appended next.
func (w *Indented) Key(k string) {
	w.Item()
	w.B = AppendString(w.B, k)
	w.B = append(w.B, ": "...)
}

// String writes the string member k: v.
func (w *Indented) String(k, v string) {
	w.Key(k)
	w.B = AppendString(w.B, v)
}

// OptionalString is a string member tagged omitempty.
func (w *Indented) OptionalString(k, v string) {
	if v != "" {
		w.String(k, v)
	}
}

// AppendArray writes items as a JSON array, or null for a nil slice, as
// encoding/json does.
func AppendArray[T any](w *Indented, items []T, write func(*Indented, T)) {
	if items == nil {
		w.B = append(w.B, "null"...)
		return
	}
	w.Open('[')
	for _, it := range items {
		w.Item()
		write(w, it)
	}
	w.Close(']')
}
