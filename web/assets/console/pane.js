// The conversation pane: the customer's details, the history (whispers shown
// apart), the composer with its whisper switch, transfer, end and, once
// ended, the transcript links.
import { el, time, attachments, notice, download } from "../lib/view.js";
import { uuid } from "../lib/link.js";
import { headers } from "./session.js";

export class Pane {
  constructor(root, app) {
    this.root = root;
    this.app = app;
    this.current = null;
    this.root.replaceChildren(el("p", { class: "empty" }, "Pick a conversation from the inbox."));
  }

  show(c) {
    this.current = c;
    this.log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages" });
    this.typingNode = el("p", { class: "typing", hidden: true });
    this.details = el("dl", { class: "details" });
    this.actions = el("div", { class: "actions" });
    this.root.replaceChildren(this.details, this.log, this.typingNode, this.actions);
    for (const m of c.history.list()) this.add(m);
    this.refresh(c);
  }

  // refresh redraws the details and the actions (they change with the
  // conversation's state), not the history.
  refresh(c) {
    if (!c || c !== this.current) return;
    const info = c.info || {};
    const rows = [["Customer", info.customer && info.customer.name], ["Channel", info.channel], ["Subject", info.subject],
      ["Language", info.language], ["Page", info.url], ["Comment", info.comment], ["Queue", c.meta.queue], ["Status", status(c)]];
    this.details.replaceChildren(...rows.filter(([, v]) => v).flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v, dir: "auto" })]));
    // The audit page is a supervisor's; it tells other keys so itself.
    this.details.append(el("dt", { text: "Audit" }),
      el("dd", {}, el("a", { class: "audit-link", href: `/console/audit/${encodeURIComponent(c.id)}` }, "History and past states")));
    const key = c.ended ? "ended" : "open";
    if (this.actions.dataset.state === key) return;
    this.actions.dataset.state = key;
    this.actions.replaceChildren(...(c.ended ? this.endedActions(c) : this.openActions(c)));
  }

  add(m, before) {
    const node = this.node(m);
    if (!node) return;
    node.dataset.seq = m.sequence;
    const next = before && this.log.querySelector(`[data-seq="${before.sequence}"]`);
    this.log.insertBefore(node, next || null);
    node.scrollIntoView({ block: "end" });
    if (m.from && m.from.role === "customer") this.typingNode.hidden = true;
  }

  node(m) {
    const when = el("time", { datetime: m.timestamp, text: time(m.timestamp) });
    if (m.type === "ActivityMessage") {
      const words = m.activityType === "handOff" && m.info && (m.info.queue || m.info.agentId)
        ? `Handed off to ${m.info.queue ? `queue ${m.info.queue}` : m.info.agentId}` : notice(m, "");
      return words ? el("li", { class: "notice" }, el("span", { text: words }), " ", when) : null;
    }
    const whisper = m.tag === "whisper";
    const role = (m.from && m.from.role) || "";
    return el("li", { class: `msg ${role === "customer" ? "theirs" : "mine"}${whisper ? " whisper" : ""}` },
      el("div", { class: "meta" }, el("strong", { text: (m.from && (m.from.name || m.from.id)) || "?" }), ` · ${role}`, whisper ? " · whisper (staff only)" : "", " ", when),
      m.text ? el("p", { class: "text", dir: "auto", text: m.text }) : null,
      attachments(m.attachments));
  }

  typing(m) {
    if (!m.from || m.from.role !== "customer") return;
    this.typingNode.textContent = `${m.from.name || "The customer"} is typing…`;
    this.typingNode.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => (this.typingNode.hidden = true), 4000);
  }

  openActions(c) {
    const input = el("textarea", { rows: 3, "aria-label": "Reply", placeholder: "Reply… (Enter sends, Shift+Enter for a new line)", dir: "auto" });
    const whisper = el("input", { type: "checkbox", id: "whisper" });
    const send = async () => {
      const text = input.value.trim();
      if (!text) return;
      const data = { id: uuid(), conversationId: c.id, type: "ChatMessage", text };
      if (whisper.checked) data.tag = "whisper";
      input.value = "";
      try {
        this.app.arrive(c, await this.app.link.request("sendMessage", data), true);
      } catch (err) {
        input.value = text;
        this.app.say(`Not sent: ${err.message}`);
      }
    };
    let lastTyping = 0;
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        send();
      } else if (!whisper.checked && Date.now() - lastTyping > 2000) {
        lastTyping = Date.now();
        this.app.link.send("sendMessage", { conversationId: c.id, type: "ActivityMessage", activityType: "typing" });
      }
    });
    const target = el("input", { id: "transfer-to", placeholder: "queue or agent id", list: "queue-names" });
    const queues = el("datalist", { id: "queue-names" }, (this.app.queueNames || []).map((q) => el("option", { value: q })));
    const transfer = async () => {
      const to = target.value.trim();
      const info = (this.app.queueNames || []).includes(to) ? { queue: to } : to ? { agentId: to } : {};
      try {
        await this.app.link.request("sendMessage", { id: uuid(), conversationId: c.id, type: "ActivityMessage", activityType: "handOff", info });
        this.app.say(`Transferred to ${to || "its queue"}.`);
      } catch (err) {
        this.app.say(`Not transferred: ${err.message}`);
      }
    };
    const end = async () => {
      try {
        this.app.arrive(c, await this.app.link.request("endConversation", { conversationId: c.id }), false);
        this.app.frame({ event: "refresh" });
      } catch (err) {
        this.app.say(err.message);
      }
    };
    return [
      el("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); send(); } }, input,
        el("div", { class: "row" }, el("label", { for: "whisper", class: "whisper-switch" }, whisper, " Whisper (staff only)"),
          el("button", { type: "submit" }, "Send"))),
      el("div", { class: "row" }, el("label", { for: "transfer-to" }, "Transfer to"), target, queues,
        el("button", { type: "button", onclick: transfer }, "Transfer"),
        el("button", { type: "button", class: "end", onclick: end }, "End conversation")),
    ];
  }

  endedActions(c) {
    const base = `/api/customer/transcript/${encodeURIComponent(c.id)}/`;
    const get = (type) => async () => {
      try {
        await download(base + type, headers(this.app.session), `chat-${c.id}.${type}`);
      } catch (err) {
        this.app.say(`No transcript: ${err.message}`);
      }
    };
    return [el("p", {}, "This conversation has ended. Transcript: "),
      el("div", { class: "row" }, ["pdf", "html", "txt", "json"].map((t) => el("button", { type: "button", class: `transcript-${t}`, onclick: get(t) }, t.toUpperCase())))];
  }
}

// status is the conversation's status as of the last message seen: the
// conversationInfo of an assignment says "queued", the agent's join makes it
// active.
function status(c) {
  if (c.ended) return "ended";
  const joined = c.history.list().some((m) => m.activityType === "participantJoined" && m.from && m.from.role !== "customer");
  return joined ? "active" : (c.info && c.info.status) || "";
}
