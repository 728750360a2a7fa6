package eventschemas

// sealingAllowed lifts ConversationStarted v3 and the messages' v1 to the
// versions that also allow sealed personal values (ADR 41). It changes
// nothing: every plain value of the old version is valid in the new one,
// and an event written before encryption simply holds plain values, which
// readers pass on as they are.
func sealingAllowed(data []byte) ([]byte, error) { return data, nil }
