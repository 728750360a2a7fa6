package eventschemas

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/domain"
)

// upcasters lift stored event data one schema version up:
// upcasters[eventType][n] turns version n into version n+1. Events are never
// rewritten in the store; old versions are lifted each time they are read.
//
// Adding version N+1 of an event type:
//
//  1. Copy schemas/<EventType>/vN.json to vN+1.json, set its $id to
//     urn:parley:event:<EventType>:vN+1 and change the copy; never edit vN.
//  2. Write the upcaster from N to N+1 in this file and add it to the table
//     below. It gets data valid against vN and must return data valid
//     against vN+1 (Upcast checks that); keep every value it does not move.
//  3. Raise domain.SchemaVersions[<EventType>] to N+1 and change the domain
//     type to the new shape.
//  4. Add a real vN event as testdata/<EventType>-vN.json and a case to
//     TestUpcast in upcast_test.go.
//
// Load refuses to start when a version below the latest has no upcaster.
var upcasters = map[string]map[int]upcaster{
	domain.EventConversationStarted: {
		1: conversationStartedV1ToV2,
		2: conversationStartedV2ToV3,
		3: sealingAllowed,
	},
	domain.EventChatMessage:     {1: sealingAllowed},
	domain.EventActivityMessage: {1: sealingAllowed},
}

// An upcaster turns the data of an event at one schema version into the
// data of the same event at the next version.
type upcaster func(data []byte) ([]byte, error)

// Upcast lifts data, valid against the schema of eventType at version, to
// the latest version by applying the registered upcasters in turn, and
// checks each result against its version's schema. Data already at the
// latest version is returned as it is, without a copy. A type or version
// without a schema is an error; so is an upcaster that fails or produces
// data its target schema refuses (a bug in the upcaster, reported with code
// domain.CodeSchema).
func (r *Registry) Upcast(eventType string, version int, data []byte) ([]byte, int, error) {
	if _, err := r.schema(eventType, version); err != nil {
		return nil, 0, err
	}
	for latest := r.latest[eventType]; version < latest; version++ {
		up := r.upcasters[eventType][version]
		next, err := up(data)
		if err != nil {
			return nil, 0, &domain.Error{
				Code:    domain.CodeSchema,
				Message: fmt.Sprintf("upcasting %s version %d to %d failed", eventType, version, version+1),
				Err:     err,
			}
		}
		if err := r.Validate(eventType, version+1, next); err != nil {
			var derr *domain.Error
			if !errors.As(err, &derr) {
				return nil, 0, err
			}
			return nil, 0, &domain.Error{
				Code:    domain.CodeSchema,
				Field:   derr.Field,
				Message: fmt.Sprintf("upcasting %s version %d to %d produced invalid data: %s", eventType, version, version+1, derr.Message),
				Err:     derr.Err,
			}
		}
		data = next
	}
	return data, version, nil
}

// conversationStartedV1ToV2 moves the customer's personal data and
// participant id, which version 1 kept among the init request's other
// fields, under customer and customer.personal.
func conversationStartedV1ToV2(data []byte) ([]byte, error) {
	v1, err := object(data)
	if err != nil {
		return nil, err
	}
	personal := map[string]json.RawMessage{}
	for _, name := range []string{"firstName", "lastName", "email", "phone", "refId"} {
		if v, ok := v1[name]; ok {
			personal[name] = v
			delete(v1, name)
		}
	}
	customer := map[string]any{"personal": personal}
	if v, ok := v1["participantId"]; ok {
		customer["participantId"] = v
		delete(v1, "participantId")
	}
	if v1["customer"], err = json.Marshal(customer); err != nil {
		return nil, err
	}
	return json.Marshal(v1)
}

// conversationStartedV2ToV3 changes nothing: version 3 only adds the
// optional fields, which a version 2 event never had.
func conversationStartedV2ToV3(data []byte) ([]byte, error) { return data, nil }

// errNotObject is returned by upcasters given data that is not a JSON object.
var errNotObject = errors.New("data is not a JSON object")

// object decodes data that must be a JSON object, keeping every value
// exactly as it was written.
func object(data []byte) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errNotObject
	}
	return obj, nil
}
