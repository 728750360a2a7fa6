// The console's side bar: presence, the inbox and the queue figures.
import { el } from "../lib/view.js";

// presenceView is the ready switch, the queues to take chats from, and the
// sound switch. change gets (ready, queues).
export function presenceView(session, queueNames, alerts, change) {
  const chosen = new Set(session.queues || queueNames);
  const boxes = queueNames.map((q) => el("label", { class: "queue" },
    el("input", { type: "checkbox", value: q, checked: chosen.has(q) }), " ", q));
  // null (every queue) when the queue names could not be read.
  const picked = () => (queueNames.length ? boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value) : null);
  const ready = el("button", { type: "button", class: session.ready ? "presence ready" : "presence", "aria-pressed": String(!!session.ready),
    onclick: () => change(!session.ready, picked()) }, session.ready ? "Ready" : "Not ready");
  const sound = el("label", { class: "sound" },
    el("input", { type: "checkbox", checked: alerts.sound, onchange: (e) => alerts.setSound(e.target.checked) }), " Sound for new chats");
  return el("div", {}, el("h2", {}, "Presence"), ready,
    queueNames.length ? el("fieldset", { class: "queues" }, el("legend", {}, "Queues"), boxes,
      el("button", { type: "button", class: "apply", onclick: () => change(session.ready, picked()) }, "Apply")) : null,
    sound);
}

// waited renders a duration in minutes and seconds.
export function waited(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

// renderInbox lists the conversations assigned here: the customer, the
// channel, how long they waited or have been open, and unread messages.
export function renderInbox(list, convs, selected, select) {
  const rows = convs.filter((c) => !c.gone).sort((a, b) => (a.ended - b.ended) || (b.since - a.since)).map((c) => {
    const name = (c.info && c.info.customer && c.info.customer.name) || (c.meta.customer && c.meta.customer.name) || "Customer";
    const channel = (c.info && c.info.channel) || c.meta.channel || "";
    const started = c.info && c.info.startedAt ? Date.parse(c.info.startedAt) : c.since - (c.meta.waitedMs || 0);
    const status = c.ended ? "ended" : `open ${waited(Date.now() - started)}`;
    return el("li", {}, el("button", { type: "button", class: c.id === selected ? "conv selected" : "conv", "aria-current": c.id === selected ? "true" : null, "data-id": c.id, onclick: () => select(c.id) },
      el("span", { class: "name", text: name }),
      el("span", { class: "detail", text: `${channel} · ${c.meta.waitedMs !== undefined ? `waited ${waited(c.meta.waitedMs)} · ` : ""}${status}` }),
      c.unread ? el("span", { class: "unread", "aria-label": `${c.unread} unread` }, String(c.unread)) : null));
  });
  list.replaceChildren(...(rows.length ? rows : [el("li", { class: "empty" }, "No conversations. Get ready to receive chats.")]));
}

// renderQueues shows each queue's figures, for supervisors.
export function renderQueues(section, figures) {
  const rows = figures.sort((a, b) => a.name.localeCompare(b.name)).map((q) =>
    el("tr", {}, el("th", { scope: "row", text: q.name }), el("td", { text: String(q.waiting) }), el("td", { text: q.waiting ? waited(q.oldestWaitMs) : "–" }),
      el("td", { text: String(q.agentsReady) }), el("td", { text: String(q.agentsBusy) })));
  section.replaceChildren(el("h2", {}, "Queues"), el("table", { class: "figures" },
    el("thead", {}, el("tr", {}, ["Queue", "Waiting", "Oldest", "Ready", "Busy"].map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows)));
}
