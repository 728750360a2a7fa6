package domain

// EventLostInRepair is the type of the placeholder a store repair writes in
// place of an event whose record was damaged beyond reading.
const EventLostInRepair = "EventLostInRepair"

// LostInRepairStreamPrefix starts the stream that holds the placeholders of
// one repair whose stream could not be told from their neighbours.
const LostInRepairStreamPrefix = "lost-in-repair-"

// LostInRepair stands in for an event that a repair of the embedded store
// moved to a quarantine file because its record was damaged. It sits at the
// lost event's position, and at its stream and revision where those could
// be told from the neighbouring records, so that no stream has a hole and
// checkpoints stay meaningful. Folds show it as "lost in repair".
type LostInRepair struct {
	// Position is the global position of the lost event.
	Position Position `json:"position"`
	// StreamKnown is set when this placeholder sits on the lost event's own
	// stream at its own revision.
	StreamKnown bool `json:"streamKnown"`
	// Quarantine is the name of the file, beside the log, that holds the
	// damaged bytes; DamagedOffset and DamagedBytes locate them in the log
	// as it was before the repair.
	Quarantine    string `json:"quarantine"`
	DamagedOffset int64  `json:"damagedOffset"`
	DamagedBytes  int64  `json:"damagedBytes"`
}

// EventType implements Event.
func (LostInRepair) EventType() string { return EventLostInRepair }
