// Rendering shared by the widget and the console. Everything a person typed
// goes through textContent or an attribute, never through innerHTML, so it
// is shown as text and cannot run.

// el makes an element: attrs become attributes (on* handlers as listeners),
// children are nodes or strings (strings become text nodes).
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

// rtlLanguages are the languages written right to left.
const rtlLanguages = new Set(["ar", "he", "iw", "fa", "ur", "ps", "sd", "yi", "dv", "ku", "ug"]);

// direction gives "rtl" for a right-to-left language tag, else "ltr".
export function direction(language) {
  const base = String(language || "").toLowerCase().split(/[-_]/)[0];
  return rtlLanguages.has(base) ? "rtl" : "ltr";
}

// time renders an RFC 3339 timestamp as the local hour and minute.
export function time(ts, locale) {
  const d = new Date(ts);
  if (isNaN(d)) return "";
  try {
    return d.toLocaleTimeString(locale || undefined, { hour: "2-digit", minute: "2-digit" });
  } catch {
    return d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
}

// safeURL returns url when it is http(s) (or a data: image for a
// thumbnail), else null: a javascript: link must never be clickable.
export function safeURL(url, allowDataImage) {
  // An empty URL would resolve to the page itself.
  if (!url) return null;
  try {
    const u = new URL(url, location.href);
    if (u.protocol === "http:" || u.protocol === "https:") return u.toString();
    if (allowDataImage && u.protocol === "data:" && /^data:image\/(png|gif|jpeg|webp);/i.test(url)) return url;
  } catch {
    // not a URL
  }
  return null;
}

// attachments renders a message's attachments as links, with a thumbnail
// for images.
export function attachments(list) {
  return (list || []).map((a) => {
    const href = safeURL(a.contentUrl);
    const name = a.name || a.contentUrl || "attachment";
    const thumb = safeURL(a.thumbnailUrl || (String(a.type || "").startsWith("image/") ? a.contentUrl : ""), true);
    const body = [thumb ? el("img", { src: thumb, alt: name, class: "thumb", loading: "lazy" }) : null, el("span", { text: name })];
    return href
      ? el("a", { class: "attachment", href, target: "_blank", rel: "noopener noreferrer" }, body)
      : el("span", { class: "attachment" }, body);
  });
}

// notice is the plain words for an activity the customer or agent sees, or
// "" for activities not shown (typing, one's own joins).
export function notice(m, selfID) {
  const who = (m.from && (m.from.name || m.from.id)) || "";
  const info = m.info || {};
  switch (m.activityType) {
    case "handOff":
      return "Looking for an agent…";
    case "noAgentAvailable":
      return info.position > 0
        ? `All agents are busy; you are number ${info.position} in the queue`
        : "All agents are busy; please stay, an agent will be with you soon";
    case "greetings":
      return m.text || "Welcome!";
    case "participantJoined":
      return m.from && m.from.id === selfID ? "" : `${who} joined the chat`;
    case "participantLeft":
      return m.from && m.from.id === selfID ? "" : `${who} left the chat`;
    case "participantAdded":
      return `${info.name || info.id || "Someone"} was added to the chat`;
    case "participantRemoved":
      return `${info.id || "Someone"} left the chat`;
    case "endOfConversation":
      return "The chat has ended.";
    default:
      return "";
  }
}

// download fetches url with the given headers and saves the answer as a
// file; it throws with the server's message when refused.
export async function download(url, headers, filename) {
  let res = await fetch(url, { headers });
  // The transcript is written moments after the end; wait a little for it.
  for (let i = 0; i < 10 && res.status === 404; i++) {
    await new Promise((r) => setTimeout(r, 300));
    res = await fetch(url, { headers });
  }
  if (!res.ok) throw new Error(await errorMessage(res));
  const blob = await res.blob();
  const a = el("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
}

// errorMessage reads an error answer's message ({code, message}).
export async function errorMessage(res) {
  try {
    const body = await res.json();
    return body.message || body.code || res.statusText;
  } catch {
    return res.statusText || "request failed";
  }
}
