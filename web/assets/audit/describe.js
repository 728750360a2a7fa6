// Readable lines for the audit timeline: what each stored event did, with
// routing's decisions (hand-offs, assignments, removals) in words.

const who = (p) => (p ? p.name || p.id || "someone" : "someone");

// describe returns one line for an event of the events API.
export function describe(e) {
  const d = e.data || {};
  switch (e.type) {
    case "ConversationStarted":
      return `Conversation started on ${d.channel || "?"}` + (d.subject ? ` (subject: ${d.subject})` : "");
    case "ChatMessage": {
      const to = (d.to || []).length ? ` to ${d.to.map(who).join(", ")}` : "";
      const whisper = d.tag === "whisper" ? " (whisper)" : "";
      const files = (d.attachments || []).length ? ` [${d.attachments.length} attachment(s)]` : "";
      return `${who(d.from)}${to}${whisper}: ${d.text || ""}${files}`;
    }
    case "ActivityMessage":
      return activity(d);
    case "LostInRepair":
      return "An event lost in a repair of the store";
  }
  return e.type;
}

function activity(d) {
  const info = d.info || {};
  switch (d.activityType) {
    case "participantJoined":
      return `${who(d.from)} (${d.from && d.from.role}) joined`;
    case "participantLeft":
      return `${who(d.from)} left`;
    case "greetings":
      return `Greeting: ${d.text || ""}`;
    case "typing":
      return `${who(d.from)} is typing`;
    case "handOff":
      return `Routing: handed off by ${who(d.from)}, queued for an agent` + (info.queue ? ` (queue ${info.queue})` : "");
    case "noAgentAvailable":
      return `Routing: no agent available` + (d.text ? ` – ${d.text}` : "");
    case "participantAdded":
      return `Routing: assigned to ${info.name || info.id} (${info.role || "agent"}) by ${who(d.from)}`;
    case "participantRemoved":
      return `Routing: ${info.name || info.id} removed by ${who(d.from)}`;
    case "endOfConversation":
      return `Ended by ${who(d.from)}`;
  }
  return `${d.activityType || "activity"} from ${who(d.from)}`;
}

// actor renders the metadata's actor ({kind, id}) when the event has one.
export function actor(e) {
  const a = e.metadata && e.metadata.actor;
  if (!a) return "";
  return a.id ? `${a.kind} ${a.id}` : String(a.kind || "");
}

// isRouting tells the events that are routing's decisions, shown apart.
export function isRouting(e) {
  const t = e.data && e.data.activityType;
  return ["handOff", "noAgentAvailable", "participantAdded", "participantRemoved"].includes(t);
}
