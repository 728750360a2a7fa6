package conversations_test

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley/domain"
	"github.com/parley-chat/parley/domain/conversations"
)

func TestNewRefusesLimitsAboveTheSchemaCaps(t *testing.T) {
	_, err := conversations.New(conversations.Config{Store: nil, Now: nil, NewID: nil, Limits: domain.Limits{MaxTextLength: domain.MaxTextLengthCap + 1}})
	if err == nil || !strings.Contains(err.Error(), "text limit") || !strings.Contains(err.Error(), "Store is required") {
		t.Fatalf("New = %v, want every problem named", err)
	}
}
