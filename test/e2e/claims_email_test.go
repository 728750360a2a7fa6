package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley/test/mailserver"
)

// requestEmail asks for chat's transcript by email on s, waiting while the
// transcript is not folded yet.
func requestEmail(t *testing.T, s *server, chat initAnswer) {
	t.Helper()
	path := "/api/customer/transcript/" + chat.ConversationID + "/email"
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		status, _, body := s.get(t, chat.Token, path)
		if status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s = %d %s", path, status, body)
		}
	}
}

// Two nodes run with a mail server: each transcript email is sent once,
// not once per node, claimed through the store; when one node is killed
// midway, the other sends the rest.
//
// The claim timeout is short for a test but not too short: a node that takes
// longer than it to hand one mail to the server (a busy machine) loses its
// claim, and the other node sends the mail too; that is the documented price
// of a lease, not what this test is about.
func TestTranscriptEmailsOnceAcrossNodes(t *testing.T) {
	const emails = 100
	mails := mailserver.Start(t, mailserver.Options{User: "parley", Password: "pw"})
	_, nodes := startNodes(t, 2, append(loadLimits, "--claim-timeout", "6s", "--smtp-url", "smtp://parley:pw@"+mails.Addr,
		"--mail-from", "Parley <transcripts@parley.test>")...)
	a, b := nodes[0], nodes[1]
	var chats []initAnswer
	for i := range emails {
		chats = append(chats, endedChat(t, a, fmt.Sprintf("customer-%d@example.com", i)))
	}
	for i, chat := range chats[:emails/2] {
		requestEmail(t, nodes[i%2], chat)
	}
	mails.Wait(t, emails/4, 60*time.Second)
	b.kill()
	for _, chat := range chats[emails/2:] {
		requestEmail(t, a, chat)
	}
	mails.Wait(t, emails, 90*time.Second)
	time.Sleep(8 * time.Second) // past the claim timeout: any resend shows
	count := map[string]int{}
	for _, m := range mails.Messages() {
		for _, to := range m.To {
			count[to]++
		}
	}
	twice := 0
	for i := range emails {
		to := fmt.Sprintf("customer-%d@example.com", i)
		switch n := count[to]; {
		case n == 0:
			t.Errorf("no transcript email to %s", to)
		case n == 2:
			twice++ // sent by B, which died before storing that it was
		case n > 2:
			t.Errorf("%d transcript emails to %s", n, to)
		}
	}
	// Only a mail B was sending when it was killed can go twice: one at most
	// per node's mail worker, which sends one at a time.
	if twice > 1 {
		t.Errorf("%d transcript emails went twice; at most the one in flight on the killed node may", twice)
	}
	t.Logf("%d emails, %d sent twice, %d mails in all", emails, twice, len(mails.Messages()))
}
