package eventschemas

// FastAccepts reports whether the compiled fast path of a schema accepts
// data, and whether that schema has a fast path at all.
func (r *Registry) FastAccepts(eventType string, version int, data []byte) (accepted, compiled bool) {
	fast := r.fast[schemaKey{eventType, version}]
	if fast == nil {
		return false, false
	}
	return fast.accepts(data), true
}

// ReferenceValid validates data with the reference validator only.
func (r *Registry) ReferenceValid(eventType string, version int, data []byte) error {
	sch, err := r.schema(eventType, version)
	if err != nil {
		return err
	}
	inst, err := unmarshalInstance(data)
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// FastPathErrors says why schemas have no fast path.
func (r *Registry) FastPathErrors() []error {
	var out []error
	for _, err := range r.fastErr {
		out = append(out, err)
	}
	return out
}
