package esdbserver

import (
	"regexp"
	"strings"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// readBatchSize is the real node's search window when a filter asks for
// none (window "count").
const readBatchSize = 32

// filter is a server-side $all filter: on stream names or on event types,
// by prefixes or by an unanchored regex, as the real node matches them.
type filter struct {
	onStream bool
	prefixes []string
	re       *regexp.Regexp
	// checkpointEvery is multiplier × search window: a subscription owes a
	// checkpoint after that many considered (matching or not) events.
	checkpointEvery uint64
}

// filterFromProto returns nil for no_filter.
func filterFromProto(o *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	f := &filter{}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	switch v := o.GetFilter().(type) {
	case *api.ReadReq_Options_FilterOptions_StreamIdentifier:
		f.onStream, expr = true, v.StreamIdentifier
	case *api.ReadReq_Options_FilterOptions_EventType:
		expr = v.EventType
	default:
		return nil, status.Error(codes.InvalidArgument, "filter needs stream_identifier or event_type")
	}
	if r := expr.GetRegex(); r != "" {
		re, err := regexp.Compile(r)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "invalid filter regex: %v", err)
		}
		f.re = re
	} else {
		f.prefixes = expr.GetPrefix()
	}
	window := uint64(readBatchSize)
	if _, ok := o.GetWindow().(*api.ReadReq_Options_FilterOptions_Max); ok {
		window = uint64(o.GetMax())
	}
	f.checkpointEvery = window * uint64(o.GetCheckpointIntervalMultiplier())
	return f, nil
}

func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	name := r.typ
	if f.onStream {
		name = r.stream
	}
	if f.re != nil {
		return f.re.MatchString(name)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
