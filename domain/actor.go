package domain

// ActorKind says what kind of credential or part of Parley acted.
type ActorKind string

// The kinds of actor an event's metadata names.
const (
	ActorCustomer  ActorKind = "customer"  // a customer, by their participant id
	ActorStaff     ActorKind = "staff"     // an agent, bot or supervisor, by key name or participant id
	ActorConnector ActorKind = "connector" // a channel's connector, by its key name or id
	ActorSender    ActorKind = "sender"    // a third party sending to customers, by its key name
	ActorSystem    ActorKind = "system"    // Parley itself: routing, timers, workers
)

// Actor is who did what an event records: the participant id or the API
// key's name, never a secret. The zero Actor means "not recorded" (events
// stored before actors were).
type Actor struct {
	Kind ActorKind `json:"kind"`
	ID   string    `json:"id"`
}

// IsZero reports whether no actor is recorded.
func (a Actor) IsZero() bool { return a == Actor{} }

// SystemActor is Parley acting on its own: the named part (router,
// timers, mailer) is the id.
func SystemActor(part string) Actor { return Actor{Kind: ActorSystem, ID: part} }

// ActorOf returns the actor of a request by p acting as who. An API key
// is named by its key name; a customer token by its participant id. With
// authentication off nothing is proven, so the participant the request
// names (who), by its role, is recorded; the zero Participant then gives the
// zero Actor.
func ActorOf(p Principal, who Participant) Actor {
	switch {
	case p.Role == RoleCustomer:
		return Actor{Kind: ActorCustomer, ID: p.ParticipantID}
	case p.IsStaff():
		return Actor{Kind: ActorStaff, ID: p.Name}
	case p.Role == RoleConnector:
		return Actor{Kind: ActorConnector, ID: p.Name}
	case p.Role == RoleSender:
		return Actor{Kind: ActorSender, ID: p.Name}
	}
	return ParticipantActor(who)
}

// ParticipantActor names a conversation participant as an actor, by role.
func ParticipantActor(who Participant) Actor {
	switch who.Role {
	case "":
		if who.ID == "" {
			return Actor{}
		}
		return Actor{Kind: ActorCustomer, ID: who.ID}
	case RoleCustomer:
		return Actor{Kind: ActorCustomer, ID: who.ID}
	case RoleConnector:
		return Actor{Kind: ActorConnector, ID: who.ID}
	case RoleSender:
		return Actor{Kind: ActorSender, ID: who.ID}
	case RoleSystem:
		return Actor{Kind: ActorSystem, ID: who.ID}
	}
	return Actor{Kind: ActorStaff, ID: who.ID}
}
