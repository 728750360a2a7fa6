// Saved keeps the customer's chat in the browser's storage, so that it
// survives a reload: the ids, the token, whether it ended, and the messages
// seen (the last of which is the `since` of the next join).
const keepAtMost = 500;

export class Saved {
  constructor(key) {
    this.key = key;
    this.state = null;
    this.messages = [];
    try {
      const v = JSON.parse(localStorage.getItem(key) || "null");
      if (v && v.conversationId && v.participant) {
        this.state = v;
        this.messages = Array.isArray(v.messages) ? v.messages : [];
      }
    } catch {
      // Unreadable storage: start afresh.
    }
  }

  begin({ conversationId, participant, token }) {
    this.state = { conversationId, participant, token, ended: false };
    this.messages = [];
    this.write();
  }

  keep(messages) {
    this.messages = messages.slice(-keepAtMost);
    this.write();
  }

  end() {
    this.state.ended = true;
    this.write();
  }

  clear() {
    this.state = null;
    this.messages = [];
    try {
      localStorage.removeItem(this.key);
    } catch {
      // storage may be off; nothing was kept then
    }
  }

  write() {
    try {
      localStorage.setItem(this.key, JSON.stringify({ ...this.state, messages: this.messages }));
    } catch {
      // Storage full or off (private mode): the chat still works, it only
      // does not survive a reload.
    }
  }
}
