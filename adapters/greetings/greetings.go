// Package greetings holds the greetings texts Parley sends a participant on
// their first join, by language: the templates shipped with Parley, and
// those of a --greetings-file over them.
package greetings

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"golang.org/x/text/language"
)

//go:embed templates.json
var shipped []byte

// Fallback is the language used when neither the language asked for nor
// its base has a template.
const Fallback = "en"

// Templates are greetings texts by canonical BCP 47 tag; "{name}" in a text
// is replaced by the participant's name.
type Templates struct {
	byTag map[string]string
}

// Default returns the templates shipped with Parley.
func Default() *Templates {
	t, err := parse(shipped, &Templates{byTag: map[string]string{}})
	if err != nil {
		panic("greetings: the shipped templates: " + err.Error()) // a build bug
	}
	return t
}

// Load returns the shipped templates with those of the JSON file at path
// (an object of language tag to text) over them.
func Load(path string) (*Templates, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("greetings file: %w", err)
	}
	t, err := parse(data, Default())
	if err != nil {
		return nil, fmt.Errorf("greetings file %s: %w", path, err)
	}
	return t, nil
}

func parse(data []byte, into *Templates) (*Templates, error) {
	var texts map[string]string
	if err := json.Unmarshal(data, &texts); err != nil {
		return nil, fmt.Errorf("want a JSON object of language tag to text: %w", err)
	}
	for key, text := range texts {
		tag, err := language.Parse(key)
		if err != nil {
			return nil, fmt.Errorf("%q is not a BCP 47 language tag", key)
		}
		if strings.TrimSpace(text) == "" {
			return nil, fmt.Errorf("the text of %q is empty", key)
		}
		into.byTag[tag.String()] = text
	}
	return into, nil
}

// Greeting returns the greetings text for name in lang: the template of
// lang, else of its base language (pt-BR: pt), else English.
func (t *Templates) Greeting(lang, name string) string {
	text := t.byTag[Fallback]
	if tag, err := language.Parse(lang); err == nil && lang != "" {
		base, _ := tag.Base()
		if s, ok := t.byTag[tag.String()]; ok {
			text = s
		} else if s, ok := t.byTag[base.String()]; ok {
			text = s
		}
	}
	return strings.ReplaceAll(text, "{name}", name)
}
