package domain

import "strings"

// Roles that only API keys carry: they are not conversation participants.
const (
	RoleConnector Role = "connector" // carries messages to customers on a channel
	RoleSender    Role = "sender"    // a third party (a campaign system) sending to customers
)

// Principal is who a request or a connection speaks for, as its credentials
// prove. The zero Principal is anonymous.
type Principal struct {
	// Name is the API key's name, or the customer participant id of a
	// customer token.
	Name string
	Role Role
	// ConversationID and ParticipantID bind a customer token to one
	// conversation and one participant.
	ConversationID string
	ParticipantID  string
	// Unchecked is set when authentication is off: every action is allowed
	// and roles come from the request.
	Unchecked bool
}

// IsStaff reports whether the principal is an agent, bot or supervisor.
func (p Principal) IsStaff() bool {
	return p.Role == RoleAgent || p.Role == RoleBot || p.Role == RoleSupervisor
}

// CanJoin decides whether p may join conversation conv as participant who,
// and returns the participant to join as (with its role settled).
func (p Principal) CanJoin(conv string, who Participant) (Participant, error) {
	switch {
	case p.Unchecked:
		return who, nil
	case p.Role == RoleCustomer:
		if conv != p.ConversationID {
			return who, Errorf(CodeForbidden, "this token is for another conversation")
		}
		if who.ID != "" && who.ID != p.ParticipantID {
			return who, FieldError(CodeForbidden, "id", "this token is for participant %s", p.ParticipantID)
		}
		if who.Role != "" && who.Role != RoleCustomer {
			return who, FieldError(CodeForbidden, "role", "a customer token joins as customer")
		}
		who.ID, who.Role = p.ParticipantID, RoleCustomer
		return who, nil
	case p.IsStaff():
		if who.Role != "" && who.Role != p.Role {
			return who, FieldError(CodeForbidden, "role", "this key joins as %s, not %s", p.Role, who.Role)
		}
		if who.ID == "" {
			who.ID = p.Name
		}
		who.Role = p.Role
		return who, nil
	case p.Role == "":
		return who, Errorf(CodeUnauthenticated, "joining needs credentials: a customer token or an API key")
	}
	return who, Errorf(CodeForbidden, "a %s key cannot join conversations", p.Role)
}

// CanRead decides whether p may read conversation conv (its view and
// transcripts). Customers read only their own conversation.
func (p Principal) CanRead(conv string) error {
	switch {
	case p.Unchecked, p.IsStaff():
		return nil
	case p.Role == RoleCustomer && p.ConversationID == conv:
		return nil
	case p.Role == "":
		return Errorf(CodeUnauthenticated, "this needs credentials: a customer token or an API key")
	}
	return Errorf(CodeForbidden, "you may not read conversation %s", conv)
}

// CanAudit decides whether p may read the raw event history.
func (p Principal) CanAudit() error {
	switch {
	case p.Unchecked, p.IsStaff():
		return nil
	case p.Role == "":
		return Errorf(CodeUnauthenticated, "the event history needs an API key")
	}
	return Errorf(CodeForbidden, "only staff may read the event history")
}

// CanServeChannel decides whether p may register as the connector of channel.
func (p Principal) CanServeChannel(channel string) error {
	switch {
	case p.Unchecked:
		return nil
	case p.Role == RoleConnector && p.Name == channel:
		return nil
	case p.Role == RoleConnector:
		return Errorf(CodeForbidden, "this connector key serves channel %q, not %q", p.Name, channel)
	case p.Role == "":
		return Errorf(CodeUnauthenticated, "registering a connector needs its API key")
	}
	return Errorf(CodeForbidden, "only connector keys may register connectors")
}

// CanSendToCustomers decides whether p may send to customers by channel and
// refId, as third-party senders and connectors do.
func (p Principal) CanSendToCustomers(channel string) error {
	switch {
	case p.Unchecked, p.Role == RoleSender, p.IsStaff():
		return nil
	case p.Role == RoleConnector && p.Name == channel:
		return nil
	case p.Role == "":
		return Errorf(CodeUnauthenticated, "sending to customers needs an API key")
	}
	return Errorf(CodeForbidden, "a %s key may not send to customers on channel %q", p.Role, channel)
}

// Credentials checks credentials and issues customer tokens.
type Credentials interface {
	// Authenticate returns the principal a bearer credential proves, or a
	// *Error with CodeUnauthenticated.
	Authenticate(credential string) (Principal, error)
	// IssueCustomerToken returns a token for the customer participant of
	// one conversation.
	IssueCustomerToken(conversationID, participantID string) (string, error)
}

// OpenAccess is the Credentials of a server run with authentication off,
// for local development: everyone may do anything, and no token is issued.
type OpenAccess struct{}

// Authenticate implements Credentials.
func (OpenAccess) Authenticate(string) (Principal, error) { return Principal{Unchecked: true}, nil }

// IssueCustomerToken implements Credentials.
func (OpenAccess) IssueCustomerToken(string, string) (string, error) { return "", nil }

// BearerCredential returns the credential of an "Authorization: Bearer …"
// header value, or "" when it holds none.
func BearerCredential(header string) string {
	const prefix = "bearer "
	if len(header) > len(prefix) && strings.EqualFold(header[:len(prefix)], prefix) {
		return strings.TrimSpace(header[len(prefix):])
	}
	return ""
}
