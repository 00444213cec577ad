// graphql-ws 6 (the graphql-transport-ws protocol) with ws as its WebSocket (Node 20 has
// none), as an app keeps subscriptions open: one client holds `storyAdded` near a start
// story and `graphChanged`, and reconnects and resubscribes by itself (`retryAttempts`)
// when the server restarts; a second client holds `graphChanged` and terminates its socket
// after its first event, mid-stream. tests/test_clients_ws.py drops the stories and
// restarts the server; each event is printed as a JSON line as it comes, and the whole
// run last.
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { SERVER, report } from "./lib.mjs";

const [START, STORIES] = [process.argv[2], Number(process.argv[3])];
const url = `${SERVER.replace(/^http/, "ws")}/graphql`;
const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

const out = { storyAdded: [], graphChanged: [], leaverGraphChanged: [], connected: 0,
              closed: [], errors: [] };
const stays = createClient({
  url, webSocketImpl: WebSocket, retryAttempts: 50,
  // A restart refuses connections until the new server binds: ws reports that as an
  // error, not a close event, which graphql-ws does not retry unless told to.
  shouldRetry: () => true,
  retryWait: () => new Promise((resolve) => setTimeout(resolve, 250)),
  on: {
    connected: () => { out.connected += 1; say({ connected: out.connected }); },
    closed: (event) => { out.closed.push(event.code); say({ closed: event.code }); },
  },
});
const leaves = createClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });

const NEAR = `subscription ($from: ID!) {
  storyAdded(where: {mentions: "facial recognition"}, near: {from: $from, hops: 2}) {
    article { id title } reason hops path version } }`;
const CHANGED = "subscription { graphChanged { version previousVersion added } }";

const done = new Promise((resolve) => {
  const stop = () => {
    if (out.storyAdded.length >= STORIES && out.graphChanged.length >= STORIES) resolve();
  };
  stays.subscribe({ query: NEAR, variables: { from: START } }, {
    next: (r) => {
      if (r.errors) out.errors.push(r.errors.map((e) => e.message));
      else { out.storyAdded.push(r.data.storyAdded); say({ storyAdded: r.data.storyAdded }); }
      stop();
    },
    error: (e) => { out.errors.push(String(e?.reason ?? e?.message ?? e)); resolve(); },
    complete: () => {},
  });
  stays.subscribe({ query: CHANGED }, {
    next: (r) => { out.graphChanged.push(r.data?.graphChanged ?? r.errors); stop(); },
    error: (e) => { out.errors.push(String(e?.reason ?? e?.message ?? e)); resolve(); },
    complete: () => {},
  });
});

leaves.subscribe({ query: CHANGED }, {
  next: (r) => {
    out.leaverGraphChanged.push(r.data?.graphChanged ?? r.errors);
    leaves.terminate();  // the socket dropped at once, no complete sent: mid-stream
    say({ left: true });
  },
  error: () => {},  // terminate() reports itself as an error: the leaving was ours
  complete: () => {},
});

await done;
await stays.dispose();
report(out);
process.exit(0);
