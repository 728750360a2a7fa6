// The console's sign-in. The key is kept in sessionStorage: for this tab
// only, gone when it closes, never shown again once signed in.
import { el, errorMessage } from "../lib/view.js";

const storeKey = "parley:console";

// authOff reports whether the server runs with authentication off, which
// its page says in a meta tag.
export const authOff = document.querySelector('meta[name="parley-auth"]').content === "off";

export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(storeKey) || "null");
  } catch {
    return null;
  }
}

export function saveSession(s) {
  sessionStorage.setItem(storeKey, JSON.stringify(s));
}

export function clearSession() {
  sessionStorage.removeItem(storeKey);
}

// headers are the REST headers of a session.
export function headers(s) {
  return s && s.key ? { Authorization: `Bearer ${s.key}` } : {};
}

// protocols carry the key on the websocket upgrade, where a browser cannot
// set Authorization: "parley" is the one the server picks, the other holds
// the key, base64url-encoded.
export function protocols(s) {
  if (!s || !s.key) return undefined;
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(s.key))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return ["parley", `parley.key.${b64}`];
}

// signInForm asks for a name (authentication off) or an API key, checks a
// key against the staff's REST view, and calls done with the session.
export function signInForm(done) {
  const input = authOff
    ? el("input", { id: "s-name", required: true, autocomplete: "name", maxlength: 100 })
    : el("input", { id: "s-key", type: "password", required: true, autocomplete: "off" });
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "signin-form" },
    el("h2", {}, "Sign in"),
    el("label", { for: input.id }, authOff ? "Your name" : "Your agent or supervisor API key"),
    input,
    authOff ? el("p", { class: "hint" }, "Authentication is off on this server: a name is enough.") : null,
    error,
    el("button", { type: "submit" }, "Sign in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    // The field is cleared at once: the key is never on screen after
    // sign-in, not even behind the password dots.
    input.value = "";
    if (!value) return;
    if (authOff) {
      const id = value.toLowerCase().replace(/[^a-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "agent";
      return done({ name: value, id });
    }
    const s = { key: value };
    const res = await fetch("/api/agents", { headers: headers(s) }).catch(() => null);
    if (!res) return (error.textContent = "Parley cannot be reached.");
    if (!res.ok) return (error.textContent = res.status === 401 ? "That key is not valid." : await errorMessage(res));
    done(s);
  });
  return form;
}
