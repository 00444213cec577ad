// The explorer's WebSocket client for GraphQL subscriptions: the graphql-transport-ws
// protocol spoken directly (it is six message types), reconnecting every RETRY_MS after a
// dropped connection and subscribing again to what was open. Used by live mode
// (explore-live.js).

const PROTOCOL = "graphql-transport-ws";
const RETRY_MS = 2000;

// A minimal graphql-transport-ws client: connection_init/connection_ack, subscribe, next,
// error, complete, ping/pong. `subscribe` returns a function that completes the operation.
export function transportClient(url, { onState, onReconnect } = {}) {
  let socket = null;
  let acked = false;
  let connectedBefore = false;
  let nextId = 1;
  const operations = new Map(); // id -> { payload, sink }
  let closedByUs = false;

  const send = (message) => socket.send(JSON.stringify(message));

  function open() {
    acked = false;
    socket = new WebSocket(url, PROTOCOL);
    onState && onState("connecting");
    socket.onopen = () => send({ type: "connection_init", payload: {} });
    socket.onmessage = (ev) => {
      const message = JSON.parse(ev.data);
      const op = message.id != null ? operations.get(message.id) : null;
      switch (message.type) {
        case "connection_ack":
          acked = true;
          onState && onState("connected");
          for (const [id, o] of operations) send({ id, type: "subscribe", payload: o.payload });
          if (connectedBefore && onReconnect) onReconnect();
          connectedBefore = true;
          break;
        case "ping":
          send({ type: "pong" });
          break;
        case "next":
          if (op) op.sink.next(message.payload);
          break;
        case "error":
          if (op) { operations.delete(message.id); op.sink.error(message.payload); }
          break;
        case "complete":
          if (op) { operations.delete(message.id); op.sink.complete && op.sink.complete(); }
          break;
        default:
          break;
      }
    };
    socket.onclose = (ev) => {
      acked = false;
      if (closedByUs) { onState && onState("closed"); return; }
      onState && onState(`disconnected (${ev.code}${ev.reason ? ": " + ev.reason : ""}); retrying`);
      setTimeout(() => { if (!closedByUs) open(); }, RETRY_MS);
    };
  }

  function subscribe(payload, sink) {
    const id = String(nextId++);
    operations.set(id, { payload, sink });
    if (acked) send({ id, type: "subscribe", payload });
    return () => {
      if (operations.delete(id) && acked) send({ id, type: "complete" });
    };
  }

  function close() {
    closedByUs = true;
    operations.clear();
    if (socket) socket.close(1000, "live mode off");
  }

  open();
  return { subscribe, close };
}
