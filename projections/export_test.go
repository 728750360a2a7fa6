package projections

// ObserveBarriers makes p call fn with the files of each batch before the
// barrier that makes them durable; an error from fn fails that barrier.
func ObserveBarriers(p *Transcripts, fn func(paths []string) error) { p.observeBarrier = fn }

// TranscriptPath is the file in which p keeps the transcript of id.
func TranscriptPath(p *Transcripts, id string) string { return p.files.path(id) }
