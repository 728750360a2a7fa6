// The customer widget: a launcher bubble and a chat panel in a shadow root,
// mounted by /widget.js from the script tag's data-* attributes.
import { Link, wsURL, uuid } from "../lib/link.js";
import { History } from "../lib/history.js";
import { el, direction, notice } from "../lib/view.js";
import { prechatForm, endedView, messageNode } from "./parts.js";
import { Saved } from "./saved.js";

// mount reads the script tag's options and shows the launcher.
export function mount(script, base, assets) {
  const d = script.dataset;
  const opts = {
    base,
    channel: d.channel || "web",
    subject: d.subject || "",
    language: d.language || document.documentElement.lang || navigator.language || "en",
    title: d.title || "Chat with us",
    color: d.color || "",
    fields: (d.fields || "").split(",").map((f) => f.trim()).filter(Boolean),
  };
  const host = el("div", { "data-parley-widget": "" });
  document.body.append(host);
  const root = host.attachShadow({ mode: "open" });
  return new Widget(root, opts, assets);
}

class Widget {
  constructor(root, opts, assets) {
    this.opts = opts;
    this.saved = new Saved(`parley:${opts.base}:${opts.channel}`);
    this.dir = direction(opts.language);
    root.append(el("link", { rel: "stylesheet", href: new URL(assets + "/widget/widget.css", opts.base).toString() }));
    this.frame = el("div", { class: "parley", dir: this.dir, lang: opts.language });
    if (opts.color) this.frame.style.setProperty("--parley-color", opts.color);
    this.launcher = el("button", { class: "launcher", type: "button", "aria-label": `Open chat: ${opts.title}`, "aria-expanded": "false", onclick: () => this.toggle() }, bubbleIcon());
    this.status = el("p", { class: "status", role: "status" });
    this.body = el("div", { class: "body" });
    this.panel = el("section", { class: "panel", hidden: true, role: "dialog", "aria-label": opts.title },
      el("header", {}, el("h2", { text: opts.title }), el("button", { type: "button", class: "close", "aria-label": "Close chat", onclick: () => this.toggle(false) }, "×")),
      this.status, this.body);
    this.frame.append(this.panel, this.launcher);
    root.append(this.frame);
    this.panel.addEventListener("keydown", (e) => e.key === "Escape" && this.toggle(false));
    if (this.saved.state) {
      this.resume();
      // A reload keeps the panel as it was.
      if (sessionStorage.getItem(this.saved.key + ":open") === "1") this.toggle(true);
    }
  }

  toggle(open = this.panel.hidden) {
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    try {
      sessionStorage.setItem(this.saved.key + ":open", open ? "1" : "0");
    } catch {
      // storage off: the panel starts closed after a reload
    }
    if (open && !this.link && !this.saved.state) this.showForm();
    if (open) setTimeout(() => { const f = this.body.querySelector("input, textarea, button"); if (f) f.focus(); }, 0);
    else this.launcher.focus();
  }

  say(text) { this.status.textContent = text; }

  showForm(message) {
    this.body.replaceChildren(prechatForm(this.opts, (fields) => this.start(fields)));
    this.say(message || "");
  }

  // start asks for a conversation with the form's fields, then joins it.
  async start(fields) {
    this.say("Starting the chat…");
    const body = { channel: this.opts.channel, language: this.opts.language, subject: this.opts.subject, url: location.href, requestId: uuid(), ...fields };
    let res;
    try {
      res = await fetch(new URL("/api/customer/init", this.opts.base), { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    } catch {
      this.say("Parley cannot be reached; please try again.");
      return false;
    }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      this.say(data.message || "The chat could not start.");
      return false;
    }
    this.saved.begin({ conversationId: data.conversationId, participant: data.participant, token: data.token || "" });
    this.resume();
    return true;
  }

  // resume shows the kept history and joins (again) with since.
  resume() {
    const s = this.saved.state;
    this.history = new History(this.saved.messages);
    this.showChat();
    for (const m of this.history.list()) this.render(m);
    if (s.ended) return this.showEnded();
    this.link = new Link(wsURL(this.opts.base), {
      onOpen: () => this.join(),
      onFrame: (f) => this.frameArrived(f),
      onState: (st) => {
        if (st === "offline") this.joined = false;
        this.say(st === "offline" ? "Connection lost; reconnecting…" : st === "connecting" && this.everJoined ? "Reconnecting…" : "");
      },
    });
    this.link.connect();
  }

  async join() {
    const s = this.saved.state;
    const data = { conversationId: s.conversationId, id: s.participant.id, name: s.participant.name };
    if (s.token) data.token = s.token;
    if (this.history.last > 0) data.since = this.history.last;
    try {
      await this.link.request("joinConversation", data);
      this.joined = this.everJoined = true;
      this.say("");
    } catch (err) {
      if (err.code === "unauthenticated" || err.code === "conversation_not_found" || err.code === "forbidden") {
        // The token expired (or the server forgot the chat): start afresh,
        // and say so rather than fail silently.
        this.reset("Your previous chat has expired. Please start a new one.");
      } else if (err.code === "conversation_ended") {
        this.ended();
      } else {
        this.say(err.message);
      }
    }
  }

  reset(message) {
    if (this.link) this.link.close();
    this.link = null;
    this.joined = false;
    this.saved.clear();
    this.showForm(message);
  }

  frameArrived(f) {
    if (f.event === "conversationInfo") {
      for (const m of f.data.messages || []) this.arrive(m);
      if (f.data.conversation && f.data.conversation.status === "ended") this.ended();
    } else if (f.event === "messageArrived") {
      this.arrive(f.data);
    } else if (f.event === "error") {
      this.say(f.data.message);
    }
  }

  arrive(m) {
    if (m.activityType === "typing") return this.typing(m);
    const { added, before } = this.history.add(m);
    if (!added) return;
    this.saved.keep(this.history.list());
    this.render(m, before);
    if (m.from && m.from.role !== "customer") this.typingNode.hidden = true;
    if (m.activityType === "endOfConversation") this.ended();
  }

  render(m, before) {
    const node = messageNode(m, this.saved.state.participant.id, this.opts.language);
    if (!node) return;
    node.dataset.seq = m.sequence;
    const next = before && this.log.querySelector(`[data-seq="${before.sequence}"]`);
    this.log.insertBefore(node, next || null);
    node.scrollIntoView({ block: "end" });
  }

  typing(m) {
    if (!m.from || m.from.id === this.saved.state.participant.id) return;
    this.typingNode.textContent = `${m.from.name || "The agent"} is typing…`;
    this.typingNode.hidden = false;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => (this.typingNode.hidden = true), 4000);
  }

  showChat() {
    this.log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Messages" });
    this.typingNode = el("p", { class: "typing", hidden: true, "aria-live": "polite" });
    const input = el("textarea", { rows: 2, "aria-label": "Your message", placeholder: "Type a message…", dir: "auto", maxlength: 20000 });
    let lastTyping = 0;
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send(input);
      } else if (Date.now() - lastTyping > 2000 && this.link) {
        lastTyping = Date.now();
        this.link.send("sendMessage", { type: "ActivityMessage", activityType: "typing" });
      }
    });
    this.composer = el("form", { class: "composer", onsubmit: (e) => { e.preventDefault(); this.send(input); } },
      input, el("button", { type: "submit", class: "send" }, "Send"));
    this.endButton = el("button", { type: "button", class: "end", onclick: () => this.end() }, "End chat");
    this.body.replaceChildren(this.log, this.typingNode, this.composer, this.endButton);
  }

  async send(input) {
    const text = input.value.trim();
    if (!text) return;
    const id = uuid();
    input.value = "";
    try {
      const stored = await this.link.request("sendMessage", { id, type: "ChatMessage", text });
      this.arrive(stored);
    } catch (err) {
      input.value = text;
      this.say(`Not sent: ${err.message}`);
    }
  }

  async end() {
    try {
      const stored = await this.link.request("endConversation", { conversationId: this.saved.state.conversationId });
      this.arrive(stored);
    } catch (err) {
      if (err.code === "conversation_ended") this.ended();
      else this.say(err.message);
    }
  }

  ended() {
    if (this.saved.state) this.saved.end();
    if (this.link) this.link.close();
    this.link = null;
    this.showEnded();
  }

  showEnded() {
    if (this.body.querySelector(".ended")) return;
    if (this.composer) this.composer.remove();
    if (this.endButton) this.endButton.remove();
    this.typingNode.hidden = true;
    const s = this.saved.state;
    this.body.append(endedView(this.opts.base, s, (msg) => this.say(msg), () => this.reset("")));
  }
}

// bubbleIcon is the launcher's speech bubble, drawn as SVG: an emoji would
// depend on the fonts of the visitor's machine.
function bubbleIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "28");
  svg.setAttribute("height", "28");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01zm5 0a1.5 1.5 0 1 0 0 .01z");
  svg.append(path);
  return svg;
}
