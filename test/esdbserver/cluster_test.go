package esdbserver_test

import (
	"errors"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/parley-chat/parley/test/esdbserver"
)

func startCluster(t *testing.T) *esdbserver.Cluster {
	t.Helper()
	c, err := esdbserver.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func appendOne(t *testing.T, c *esdb.Client, stream string) error {
	t.Helper()
	_, err := c.AppendToStream(testCtx(t), stream, esdb.AppendToStreamOptions{}, jsonEvents("E", 1)...)
	return err
}

// A client in cluster mode reads gossip, writes to the leader, and follows a
// new leader once the old one is killed; every node reads the one log.
func TestClusterFollowsTheLeader(t *testing.T) {
	cluster := startCluster(t)
	client := mustClient(t, cluster.URL())
	if err := appendOne(t, client, "s"); err != nil {
		t.Fatalf("append through gossip: %v", err)
	}
	if got := cluster.KillLeader(); got != 1 {
		t.Fatalf("after killing node 0, node %d leads, want 1", got)
	}
	var err error
	for range 5 { // the first call after the kill finds the connection gone
		if err = appendOne(t, client, "s"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("append after the leader was killed: %v", err)
	}
	follower := mustClient(t, cluster.Nodes[2].URL())
	evs, err := follower.ReadStream(testCtx(t), "s", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer evs.Close()
	n := 0
	for {
		if _, err := evs.Recv(); err != nil {
			break
		}
		n++
	}
	if n != 2 {
		t.Fatalf("a follower reads %d events of the stream, want the 2 appended", n)
	}
}

// A follower refuses an append with "not leader" and the leader's address:
// the client reports NotLeader and its next call goes to the leader.
func TestFollowerAnswersNotLeader(t *testing.T) {
	cluster := startCluster(t)
	client := mustClient(t, cluster.Nodes[1].URL()) // one host: no gossip
	err := appendOne(t, client, "s")
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeNotLeader {
		t.Fatalf("append on a follower = %v, want NotLeader", err)
	}
	if err := appendOne(t, client, "s"); err != nil {
		t.Fatalf("the retry, redirected to the leader: %v", err)
	}
}
