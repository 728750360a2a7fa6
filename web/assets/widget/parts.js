// The widget's views: the pre-chat form, one message, the ended view.
import { el, time, attachments, notice, download } from "../lib/view.js";

// fieldLabels names the init fields a data-fields list may ask for.
const fieldLabels = { comment: "How can we help?", refId: "Customer number", lastName: "Last name", url: "Page" };

// prechatForm asks for a name, an email or phone, and opts.fields; submit
// gets the init fields and returns whether the chat started.
export function prechatForm(opts, submit) {
  const name = el("input", { id: "p-name", name: "name", required: true, autocomplete: "name", maxlength: 200 });
  const contact = el("input", { id: "p-contact", name: "contact", required: true, autocomplete: "email", maxlength: 200, "aria-describedby": "p-contact-hint" });
  const extras = opts.fields.map((spec) => {
    const [field, label] = spec.split(":");
    return { field, input: el(field === "comment" ? "textarea" : "input", { id: `p-${field}`, name: field, maxlength: 1000, dir: "auto" }), label: label || fieldLabels[field] || field };
  });
  const error = el("p", { class: "error", role: "alert" });
  const button = el("button", { type: "submit", class: "send" }, "Start chat");
  const form = el("form", { class: "prechat", novalidate: true },
    el("label", { for: "p-name" }, "Your name"), name,
    el("label", { for: "p-contact" }, "Email or phone"), contact,
    el("small", { id: "p-contact-hint" }, "So that we can send you the transcript."),
    extras.map((x) => [el("label", { for: x.input.id, text: x.label }), x.input]),
    error, button);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const who = name.value.trim();
    const reach = contact.value.trim();
    if (!who) return fail(name, "Please tell us your name.");
    const isEmail = reach.includes("@");
    if (isEmail ? !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(reach) : !/^\+?[\d\s().-]{6,}$/.test(reach)) {
      return fail(contact, "Please give an email address or a phone number.");
    }
    const [firstName, ...rest] = who.split(/\s+/);
    const fields = { firstName, lastName: rest.join(" "), [isEmail ? "email" : "phone"]: reach };
    for (const x of extras) if (x.input.value.trim()) fields[x.field] = x.input.value.trim();
    button.disabled = true;
    const ok = await submit(fields);
    button.disabled = false;
    if (!ok) button.focus();
  });
  function fail(input, message) {
    error.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
  return form;
}

// messageNode renders one stored message as the customer sees it, or null
// for what it does not show.
export function messageNode(m, selfID, locale) {
  const when = el("time", { datetime: m.timestamp, text: time(m.timestamp, locale) });
  if (m.type === "ActivityMessage") {
    const words = notice(m, selfID);
    return words ? el("li", { class: "notice", "data-activity": m.activityType }, el("span", { text: words }), " ", when) : null;
  }
  const mine = m.from && m.from.id === selfID;
  return el("li", { class: mine ? "msg mine" : "msg theirs" },
    el("div", { class: "meta" }, el("strong", { class: "who", text: mine ? "You" : (m.from && m.from.name) || "Agent" }), " ", when),
    m.text ? el("p", { class: "text", dir: "auto", text: m.text }) : null,
    attachments(m.attachments));
}

// endedView offers the transcript once the chat is over.
export function endedView(base, s, say, restart) {
  const url = (type) => new URL(`/api/customer/transcript/${encodeURIComponent(s.conversationId)}/${type}`, base).toString();
  const headers = s.token ? { Authorization: `Bearer ${s.token}` } : {};
  const pdf = el("button", { type: "button", class: "pdf", onclick: async () => {
    try {
      await download(url("pdf"), headers, `chat-${s.conversationId}.pdf`);
    } catch (err) {
      say(`The transcript could not be downloaded: ${err.message}`);
    }
  } }, "Download the transcript (PDF)");
  const mail = el("button", { type: "button", class: "mail", onclick: async () => {
    const res = await fetch(url("email"), { headers }).catch(() => null);
    say(res && res.ok ? "The transcript is on its way to your email." : "The transcript could not be emailed.");
  } }, "Email me the transcript");
  return el("div", { class: "ended" }, el("p", { text: "This chat has ended. Thank you!" }), pdf, mail,
    el("button", { type: "button", class: "again", onclick: restart }, "Start a new chat"));
}
