// The agent console: sign-in, presence, the inbox, queue figures and the
// conversation pane, over one websocket that reconnects and rejoins with
// since.
import { Link, wsURL } from "../lib/link.js";
import { History } from "../lib/history.js";
import { el } from "../lib/view.js";
import { authOff, loadSession, saveSession, clearSession, headers, protocols, signInForm } from "./session.js";
import { presenceView, renderInbox, renderQueues } from "./inbox.js";
import { Pane } from "./pane.js";
import { Alerts } from "./alerts.js";

const $ = (id) => document.getElementById(id);

class Console {
  constructor() {
    this.convs = new Map();
    this.figures = new Map();
    this.selected = null;
    this.alerts = new Alerts();
    this.session = loadSession();
    if (this.session) this.start();
    else this.showSignIn();
  }

  say(text) { $("status").textContent = text; }

  showSignIn() {
    $("app").hidden = true;
    $("me").hidden = true;
    $("signin").hidden = false;
    $("signin").replaceChildren(signInForm((s) => {
      this.session = { ...s, ready: false, queues: null };
      saveSession(this.session);
      this.start();
    }));
    $("signin").querySelector("input").focus();
  }

  start() {
    $("signin").hidden = true;
    $("app").hidden = false;
    this.pane = new Pane($("pane"), this);
    this.showMe();
    this.link = new Link(wsURL(location.href), {
      protocols: protocols(this.session),
      onOpen: () => this.connected(),
      onFrame: (f) => this.frame(f),
      onState: (st) => {
        if (st !== "open") document.body.dataset.connected = "false";
        this.say(st === "offline" ? "Connection lost; reconnecting…" : st === "connecting" ? "Connecting…" : "");
      },
    });
    this.link.connect();
    this.loadQueueNames();
    this.tick = setInterval(() => this.drawInbox(), 15000);
  }

  showMe() {
    const who = this.session.name || this.session.me || "signed in";
    $("me").hidden = false;
    $("me").replaceChildren(el("span", { text: who }), " ",
      el("button", { type: "button", onclick: () => this.signOut() }, "Sign out"));
  }

  signOut() {
    clearSession();
    if (this.link) this.link.close();
    clearInterval(this.tick);
    location.reload();
  }

  async loadQueueNames() {
    const res = await fetch("/api/queues", { headers: headers(this.session) }).catch(() => null);
    const body = res && res.ok ? await res.json() : { queues: [] };
    this.queueNames = body.queues.map((q) => q.name);
    for (const q of body.queues) this.figures.set(q.name, q);
    this.drawPresence();
  }

  // connected runs after every (re)connect: it restates presence, which
  // answers with the assigned conversations, and joins each with since.
  async connected() {
    this.say("");
    await this.setPresence(this.session.ready, this.session.queues, true);
    const watch = this.link.request("watchQueues", {}).then((d) => {
      for (const q of d.queues || []) this.figures.set(q.name, q);
      this.watching = true;
      this.drawQueues();
    }, () => (this.watching = false));
    await watch;
    for (const c of this.convs.values()) if (!c.ended && !c.gone) this.join(c);
    document.body.dataset.connected = "true";
  }

  async setPresence(ready, queues, quiet) {
    if (queues && queues.length === 0) {
      this.say("Pick at least one queue.");
      return;
    }
    const data = { state: ready ? "ready" : "notReady" };
    if (queues && queues.length) data.queues = queues;
    if (authOff) data.id = this.session.id;
    try {
      const view = await this.link.request("agentState", data);
      this.session = { ...this.session, ready, queues, me: view.agentId };
      saveSession(this.session);
      this.showMe();
      for (const id of view.assigned || []) this.conv(id);
      if (!quiet) this.say(ready ? "You are ready for new chats." : "You take no new chats.");
    } catch (err) {
      this.say(`Presence not changed: ${err.message}`);
    }
    this.drawPresence();
    this.drawInbox();
  }

  // conv returns the conversation id, joining it when it is new here.
  conv(id, meta) {
    let c = this.convs.get(id);
    if (!c) {
      c = { id, history: new History(), unread: 0, meta: meta || {}, info: null, since: Date.now() };
      this.convs.set(id, c);
      this.join(c);
    } else if (meta) {
      c.meta = meta;
      c.gone = false;
    }
    return c;
  }

  async join(c) {
    const data = { conversationId: c.id, role: "agent" };
    if (authOff) Object.assign(data, { id: this.session.id, name: this.session.name });
    if (c.history.last > 0) data.since = c.history.last;
    try {
      await this.link.request("joinConversation", data);
    } catch (err) {
      // Routing joins the agent's connections itself on assignment; a
      // second join of the same connection is refused and harmless.
      if (err.code === "conversation_ended") this.ended(c);
      else if (!/joined conversation/.test(err.message)) this.say(err.message);
    }
  }

  frame(f) {
    const d = f.data || {};
    switch (f.event) {
      case "conversationAssigned": {
        this.conv(d.conversationId, d);
        this.alerts.announce(d.customer && d.customer.name);
        if (!this.selected) this.select(d.conversationId);
        break;
      }
      case "conversationUnassigned": {
        const c = this.convs.get(d.conversationId);
        if (c) c.gone = true;
        break;
      }
      case "conversationInfo": {
        const c = this.conv(d.conversation.id);
        c.info = d.conversation;
        c.participants = d.participant || d.participants;
        for (const m of d.messages || []) this.arrive(c, m, true);
        if (d.conversation.status === "ended") this.ended(c);
        break;
      }
      case "messageArrived":
        this.arrive(this.conv(d.conversationId), d, false);
        break;
      case "queueUpdated":
        this.figures.set(d.name, d);
        this.drawQueues();
        return;
      case "error":
        this.say(d.message);
        return;
    }
    this.drawInbox();
    if (this.selected) this.pane.refresh(this.convs.get(this.selected));
  }

  arrive(c, m, old) {
    if (m.activityType === "typing") {
      if (this.selected === c.id) this.pane.typing(m);
      return;
    }
    const { added, before } = c.history.add(m);
    if (!added) return;
    if (!old && this.selected !== c.id && m.type === "ChatMessage" && m.from.role === "customer") c.unread++;
    if (this.selected === c.id) this.pane.add(m, before);
    if (m.activityType === "endOfConversation") this.ended(c);
  }

  ended(c) {
    c.ended = true;
  }

  // select shows conversation id; picked by the agent (not by the first
  // assignment), it also ends the notice of a new chat.
  select(id, byAgent) {
    if (byAgent) this.alerts.seen();
    this.selected = id;
    const c = this.convs.get(id);
    c.unread = 0;
    this.pane.show(c);
    this.drawInbox();
  }

  drawPresence() {
    // Redraw only on a change, so that a tick in a queue box survives
    // until it is applied.
    const key = JSON.stringify([this.session.ready, this.session.queues, this.queueNames, this.alerts.sound]);
    if (key === this.presenceKey) return;
    this.presenceKey = key;
    $("presence").replaceChildren(presenceView(this.session, this.queueNames || [], this.alerts, (ready, queues) => this.setPresence(ready, queues)));
  }

  drawInbox() {
    renderInbox($("inbox"), [...this.convs.values()], this.selected, (id) => this.select(id, true));
    this.alerts.title([...this.convs.values()].reduce((n, c) => n + c.unread, 0));
  }

  drawQueues() {
    $("queues").hidden = !this.watching;
    if (this.watching) renderQueues($("queues"), [...this.figures.values()]);
  }
}

new Console();
