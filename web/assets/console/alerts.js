// Alerts announce new assignments: in the tab's title, and with a short
// tone (made with Web Audio, so no sound file is needed) unless turned off.
export class Alerts {
  constructor() {
    this.sound = localStorage.getItem("parley:console:sound") !== "off";
    this.base = document.title;
    this.fresh = 0;
  }

  setSound(on) {
    this.sound = on;
    localStorage.setItem("parley:console:sound", on ? "on" : "off");
  }

  announce(name) {
    this.fresh++;
    this.newChat = `New chat${name ? ` from ${name}` : ""}`;
    document.title = `${this.newChat} · ${this.base}`;
    if (!this.sound) return;
    try {
      this.audio = this.audio || new AudioContext();
      const osc = this.audio.createOscillator();
      const gain = this.audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, this.audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, this.audio.currentTime + 0.4);
      osc.connect(gain).connect(this.audio.destination);
      osc.start();
      osc.stop(this.audio.currentTime + 0.4);
    } catch {
      // No audio (autoplay refused before any click): the title still says it.
    }
  }

  // seen ends the notice of a new chat: the agent picked a conversation.
  seen() {
    this.newChat = "";
  }

  // title shows the unread count and the notice of a new chat, until seen.
  title(unread) {
    const prefix = unread ? `(${unread}) ` : "";
    document.title = prefix + (this.newChat ? `${this.newChat} · ` : "") + this.base;
  }
}
