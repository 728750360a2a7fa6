// Link is one websocket to Parley that reconnects by itself, with backoff,
// and matches each answer to its request by `ack`.
export class Link {
  // url: the ws(s):// URL of /ws. onOpen runs after every (re)connect, to
  // join again; onFrame gets every frame that is not an answer; onState gets
  // "connecting", "open" or "offline".
  constructor(url, { onOpen, onFrame, onState, protocols }) {
    this.url = url;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.protocols = protocols;
    this.pending = new Map();
    this.nextAck = 1;
    this.attempt = 0;
    this.closed = false;
    this.ws = null;
  }

  connect() {
    if (this.closed) return;
    this.onState("connecting");
    const ws = this.protocols ? new WebSocket(this.url, this.protocols) : new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = async () => {
      this.attempt = 0;
      this.onState("open");
      try {
        await this.onOpen();
      } catch (err) {
        // A failed rejoin is reported by onOpen itself; the link stays.
      }
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending();
      if (this.closed) return;
      this.onState("offline");
      // Backoff: 0.5 s, 1 s, 2 s, ... at most 10 s, with jitter so that a
      // restarted server is not met by every client at once.
      const delay = Math.min(10000, 500 * 2 ** this.attempt++) * (0.75 + Math.random() / 2);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  receive(text) {
    let f;
    try {
      f = JSON.parse(text);
    } catch {
      return;
    }
    if (f.ack !== undefined && this.pending.has(f.ack)) {
      const p = this.pending.get(f.ack);
      this.pending.delete(f.ack);
      if (f.event === "error") p.reject(new LinkError(f.data));
      else p.resolve(f.data);
      return;
    }
    this.onFrame(f);
  }

  failPending() {
    for (const p of this.pending.values()) p.reject(new LinkError({ code: "offline", message: "The connection was lost." }));
    this.pending.clear();
  }

  // request sends a frame and resolves with the answer's data, or rejects
  // with a LinkError carrying the server's code and message.
  request(event, data) {
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new LinkError({ code: "offline", message: "Not connected; trying again…" }));
        return;
      }
      const ack = "a" + this.nextAck++;
      this.pending.set(ack, { resolve, reject });
      this.ws.send(JSON.stringify({ event, data, ack }));
    });
  }

  // send sends a frame whose answer nobody waits for (typing).
  send(event, data) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ event, data }));
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }
}

// LinkError is a refusal from the server ({code, message, field}).
export class LinkError extends Error {
  constructor(data) {
    super((data && data.message) || "error");
    this.code = (data && data.code) || "internal";
    this.field = data && data.field;
  }
}

// wsURL turns an http(s) base URL into the ws(s) URL of /ws.
export function wsURL(base) {
  const u = new URL("/ws", base);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

// uuid returns a random UUID for message ids, which makes a resend after a
// lost connection idempotent.
export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
