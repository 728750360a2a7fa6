// History is one conversation's messages as a client saw them: kept in
// sequence order, each sequence once, whether it came in conversationInfo,
// as messageArrived, or again after a reconnect.
export class History {
  constructor(messages = []) {
    this.bySeq = new Map();
    this.ids = new Set();
    for (const m of messages) this.add(m);
  }

  // add keeps m and reports whether it was new, and the message it goes
  // before (null: at the end). Messages without a sequence (typing) are not
  // kept.
  add(m) {
    if (typeof m.sequence !== "number" || this.bySeq.has(m.sequence) || (m.id && this.ids.has(m.id))) return { added: false };
    this.bySeq.set(m.sequence, m);
    if (m.id) this.ids.add(m.id);
    let before = null;
    for (const [seq, other] of this.bySeq) if (seq > m.sequence && (!before || seq < before.sequence)) before = other;
    return { added: true, before };
  }

  // last is the highest sequence seen, the `since` of the next join.
  get last() {
    let max = 0;
    for (const seq of this.bySeq.keys()) if (seq > max) max = seq;
    return max;
  }

  list() {
    return [...this.bySeq.values()].sort((a, b) => a.sequence - b.sequence);
  }
}
