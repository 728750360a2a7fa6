package diskspace

import "time"

// SetClock replaces the guard's clock, so that tests need not wait minutes.
func SetClock(g *Guard, now func() time.Time) { g.now = now }
