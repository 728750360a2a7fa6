package diskstore

// SetRepairFailpoint makes Repair call fn at each step a crash could
// interrupt, until the test ends.
func SetRepairFailpoint(t interface{ Cleanup(func()) }, fn func(step string) error) {
	old := repairFailpoint
	repairFailpoint = fn
	t.Cleanup(func() { repairFailpoint = old })
}
