// The audit page of one conversation: its stored events as a timeline, the
// conversation as it was after any of them (from the point-in-time view),
// playback through them, each event's raw JSON and the verify result. It
// is a supervisor's page: another key is turned away before anything loads.
import { el, errorMessage } from "../lib/view.js";
import { authOff, loadSession, saveSession, clearSession, headers, signInForm } from "../console/session.js";
import { describe, actor, isRouting } from "./describe.js";

const $ = (id) => document.getElementById(id);
const conv = decodeURIComponent(location.pathname.split("/").pop() || "");
const base = `/api/conversations/${encodeURIComponent(conv)}`;
// stepMillis is how long playback shows each event.
const stepMillis = 600;

class Audit {
  constructor() {
    this.session = loadSession();
    this.events = [];
    this.shown = 0; // the number of the latest state request, to drop stale answers
    if (this.session || authOff) this.start();
    else this.showSignIn();
  }

  say(text) { $("status").textContent = text; }

  get(path) { return fetch(path, { headers: headers(this.session) }).catch(() => null); }

  showSignIn() {
    $("app").hidden = true;
    $("signin").hidden = false;
    $("signin").replaceChildren(signInForm((s) => {
      this.session = s;
      saveSession(s);
      this.start();
    }));
  }

  async start() {
    $("signin").hidden = true;
    if (!conv) return this.say("No conversation: the address is /console/audit/ followed by its id.");
    $("title").textContent = `Audit of conversation ${conv}`;
    const res = await this.get("/api/me");
    if (!res) return this.say("Parley cannot be reached.");
    if (res.status === 401) {
      clearSession();
      this.session = null;
      return this.showSignIn();
    }
    const me = res.ok ? await res.json() : {};
    this.showMe(me);
    if (me.role !== "supervisor") {
      document.body.dataset.refused = "true";
      return this.say(`The audit page needs a supervisor key; this one is a${me.role === "agent" ? "n" : ""} ${me.role || "unknown"} key.`);
    }
    $("app").hidden = false;
    this.verify();
    if (await this.loadEvents()) this.wire();
  }

  showMe(me) {
    $("me").hidden = false;
    $("me").replaceChildren(el("span", { text: me.authOff ? "authentication off" : me.name || me.role || "" }), " ",
      el("button", { type: "button", onclick: () => { clearSession(); location.reload(); } }, "Sign out"));
  }

  // loadEvents reads the whole history, a page of the events API at a time.
  async loadEvents() {
    this.say("Loading the history…");
    let from = 0;
    for (;;) {
      const res = await this.get(`${base}/events?from=${from}&limit=1000`);
      if (!res) return this.say("Parley cannot be reached."), false;
      if (!res.ok) return this.say(await errorMessage(res)), false;
      const page = await res.json();
      this.events.push(...page.events);
      if (page.next === undefined || page.next === null) break;
      from = page.next;
    }
    this.say("");
    $("timeline").replaceChildren(...this.events.map((e) => this.item(e)));
    return this.events.length > 0;
  }

  item(e) {
    // The raw JSON is written when first opened: a long history stays a
    // light page.
    const raw = el("details", { class: "raw" }, el("summary", {}, "Raw JSON"));
    raw.addEventListener("toggle", () => {
      if (raw.open && !raw.querySelector("pre")) raw.append(el("pre", { text: JSON.stringify(e, null, 2) }));
    });
    const li = el("li", { class: "event" + (isRouting(e) ? " routing" : ""), "data-seq": e.sequence, "data-type": e.type },
      el("button", { type: "button", class: "pick", onclick: () => this.pick(e.sequence) },
        el("span", { class: "seq", text: `#${e.sequence}` }),
        el("span", { class: "type", text: e.type }),
        el("time", { datetime: e.recorded, text: new Date(e.recorded).toLocaleString() }),
        el("span", { class: "actor", text: actor(e) || "–", title: "actor" })),
      el("p", { class: "what", text: describe(e), dir: "auto" }),
      raw);
    return li;
  }

  wire() {
    const last = this.events[this.events.length - 1].sequence;
    const slider = $("slider");
    slider.max = String(last);
    slider.disabled = false;
    slider.addEventListener("input", () => this.pick(Number(slider.value)));
    $("play").disabled = false;
    $("play").addEventListener("click", () => (this.timer ? this.pause() : this.play()));
    this.pick(last);
  }

  play() {
    const slider = $("slider");
    if (Number(slider.value) >= Number(slider.max)) this.pick(0);
    $("play").textContent = "Pause";
    document.body.dataset.playing = "true";
    this.timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      if (next > Number(slider.max)) return this.pause();
      this.pick(next);
    }, stepMillis);
  }

  pause() {
    clearInterval(this.timer);
    this.timer = null;
    $("play").textContent = "Play";
    delete document.body.dataset.playing;
  }

  // pick shows the conversation as it was right after event seq.
  async pick(seq) {
    $("slider").value = String(seq);
    $("at").textContent = String(seq);
    for (const li of $("timeline").children) {
      const on = Number(li.dataset.seq) === seq;
      li.classList.toggle("current", on);
      if (on) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    }
    const n = ++this.shown;
    const res = await this.get(`${base}?at=${seq}`);
    if (n !== this.shown) return; // a later pick is on its way
    if (!res || !res.ok) return this.say(res ? await errorMessage(res) : "Parley cannot be reached.");
    this.render(await res.json());
  }

  render(v) {
    const c = v.conversation;
    $("asof").textContent = `After event ${v.asOf.sequence}, recorded ${new Date(v.asOf.recorded).toLocaleString()}`;
    const rows = [["Status", c.status], ["Channel", c.channel], ["Customer", c.customer && c.customer.name], ["Subject", c.subject],
      ["Started", c.startedAt], ["Ended", c.endedAt], ["Lost in repair", (v.lostInRepair || []).join(", ")]];
    $("summary").replaceChildren(...rows.filter(([, x]) => x).flatMap(([k, x]) =>
      [el("dt", { text: k }), el("dd", { text: x, dir: "auto", "data-field": k.toLowerCase() })]));
    $("participants").replaceChildren(...v.participants.map((p) =>
      el("li", { "data-id": p.id, "data-state": p.state }, `${p.name || p.id} (${p.role}) – ${p.state}`)));
    const more = v.more ? [el("li", { class: "notice", text: "Older messages are not shown: the newest page only." })] : [];
    $("messages").replaceChildren(...more, ...v.messages.map((m) => el("li", { class: "msg" + (m.tag === "whisper" ? " whisper" : ""), "data-id": m.id, "data-seq": m.sequence },
      el("span", { class: "meta", text: `#${m.sequence} ${m.from ? m.from.name || m.from.id : ""}` }),
      el("p", { class: "text", text: m.type === "ChatMessage" ? m.text || "" : `(${m.activityType})`, dir: "auto" }))));
    $("state").dataset.sequence = String(v.asOf.sequence);
  }

  async verify() {
    const out = $("verify");
    const res = await this.get(`${base}/verify`);
    if (!res) return (out.textContent = "Parley cannot be reached.");
    if (res.status === 404) {
      const body = await res.json().catch(() => ({}));
      if (body.code !== "conversation_not_found") {
        out.dataset.state = "unavailable";
        return (out.textContent = "Verification not available on this server.");
      }
    }
    if (!res.ok) {
      out.dataset.state = "error";
      return (out.textContent = await errorMessage(res));
    }
    const r = await res.json();
    out.dataset.state = r.valid ? "valid" : "broken";
    out.textContent = r.valid
      ? `Valid: ${r.events} events chained, head ${r.head}.`
      : `Broken at event ${r.firstBadSequence}: the history was altered (${r.events} events, head ${r.head}).`;
  }
}

new Audit();
