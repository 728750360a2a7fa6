// Drives one socket.io-client connection for the end-to-end tests.
// Commands arrive on stdin, one JSON object a line; what the client sees is
// written to stdout, one JSON object a line.
//
//   {"op":"emit","event":E,"data":D,"id":N}  emit E with a callback; its
//                                             answer comes back as {"type":"ack","id":N,"data":...}
//   {"op":"send","event":E,"data":D}          emit E without a callback
//   {"op":"cut"}                              drop the transport, as a network
//                                             failure would; the client reconnects
//   {"op":"close"}                            disconnect and exit
//
// Usage: node driver.js URL OPTIONS_JSON
const { io } = require("socket.io-client");
const readline = require("readline");

const [url, optionsJSON] = process.argv.slice(2);
const options = JSON.parse(optionsJSON || "{}");
const out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

const socket = io(url, options);
socket.on("connect", () => out({ type: "connect", transport: socket.io.engine.transport.name }));
socket.on("connect_error", (err) => out({ type: "connect_error", message: err.message, data: err.data }));
socket.on("disconnect", (reason) => out({ type: "disconnect", reason }));
socket.io.on("open", () => out({ type: "open", transport: socket.io.engine.transport.name }));
socket.io.engine.on("upgrade", (t) => out({ type: "upgrade", transport: t.name }));
socket.io.on("reconnect", () => out({ type: "reconnect", transport: socket.io.engine.transport.name }));
socket.onAny((event, data) => out({ type: "event", event, data }));

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  const cmd = JSON.parse(line);
  switch (cmd.op) {
    case "emit":
      socket.emit(cmd.event, cmd.data, (answer) => out({ type: "ack", id: cmd.id, data: answer }));
      break;
    case "send":
      socket.emit(cmd.event, cmd.data);
      break;
    case "cut":
      socket.io.engine.close();
      break;
    case "close":
      socket.disconnect();
      process.exit(0);
  }
});
rl.on("close", () => process.exit(0));
