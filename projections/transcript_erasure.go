package projections

import "github.com/parley-chat/parley/domain"

// erased reports whether rec erases the personal data of a conversation
// whose transcript is stored: Run then writes the transcript again at once,
// folded from the store, which now reads the customer's values as erased.
// A conversation still going on has no transcript to rewrite; its end will
// write one.
func (p *Transcripts) erased(rec domain.RecordedEvent) bool {
	if rec.Type != domain.EventPersonalDataErased {
		return false
	}
	id, ok := domain.ConversationIDOf(rec.Stream)
	if !ok {
		return false
	}
	_, err := p.files.Load(id)
	return err == nil
}
