package projections_test

import (
	"testing"

	"github.com/parley-chat/parley/projections"
)

func TestConnectorBacklogListsRegisteredChannels(t *testing.T) {
	x := projections.NewConnectors()
	if got := x.Backlog(); len(got) != 0 {
		t.Fatalf("backlog of no channel = %+v", got)
	}
	x.Register("sms")
	x.Register("fb")
	got := x.Backlog()
	if len(got) != 2 || got[0].Channel != "fb" || got[1].Channel != "sms" || got[0].Pending != 0 || got[1].InFlight != 0 {
		t.Fatalf("backlog = %+v", got)
	}
}
