// Talking to newsgraph's /graphql: one POST per query, its first error thrown with its code,
// and a field the server still computes (NOT_READY) asked again until it answers. The body's
// data-busy attribute counts the requests on their way (the browser tests wait on it).
//
// What the server is doing shows in #server-status: a question unanswered for WAIT_NOTICE_MS
// says so (with the seconds), and one the server cannot take (no connection: it is down or
// restarting; a proxy's 502-504; the graph still loading after a restart) is asked again
// until it answers, saying so, for up to GIVE_UP_MS without an answer: a click made while
// the server restarts is carried out when it is back. Every question the page asks is a
// query, so asking again changes nothing.

export const ENDPOINT = new URL("graphql", window.location.href).toString();
const RETRY_MS = 1000; // how often a field still being computed (NOT_READY) is asked again
const WAIT_NOTICE_MS = 700; // past this a question's wait is shown
const BACKOFF_MS = [500, 1000, 2000, 4000]; // between tries at a server not answering (the last repeats)
const GIVE_UP_MS = 60000; // without any answer from the server: the question fails

const pending = new Map(); // question number -> { since, trouble }
let questions = 0;
let ticker = null;

function paintServerStatus() {
  const box = document.getElementById("server-status");
  const now = performance.now();
  let text = "";
  for (const q of pending.values()) if (q.trouble) { text = q.trouble; break; }
  if (!text && pending.size) {
    const oldest = Math.min(...[...pending.values()].map((q) => q.since));
    if (now - oldest >= WAIT_NOTICE_MS) text = `Waiting for the server… ${Math.floor((now - oldest) / 1000)} s`;
  }
  if (box) {
    box.textContent = text;
    box.hidden = !text;
  }
  if (pending.size && !ticker) ticker = setInterval(paintServerStatus, 250);
  if (!pending.size && ticker) { clearInterval(ticker); ticker = null; }
}

let busy = 0;
export function setBusy(delta) {
  busy += delta;
  document.body.dataset.busy = String(busy);
}

export class GraphQLError extends Error {
  constructor(error) {
    super(error.message);
    this.code = (error.extensions || {}).code || null;
  }
}

// The largest neighborhood `limit` the server takes, once it has said: a server started
// with --max-neighborhood below the page's 200 or 2,000 refuses those (LIMIT_EXCEEDED, with
// its max), and every question after is asked within it.
let neighborhoodMax = null;
export function neighborhoodLimit(n) {
  return neighborhoodMax == null ? n : Math.min(n, neighborhoodMax);
}

function withinLimits(query, variables) {
  if (neighborhoodMax == null) return JSON.stringify({ query, variables });
  const capped = { ...variables };
  if (typeof capped.limit === "number") capped.limit = neighborhoodLimit(capped.limit);
  return JSON.stringify({ query: query.replace(/\blimit: (\d+)/g, (_, n) => `limit: ${neighborhoodLimit(Number(n))}`),
    variables: capped });
}

export async function gql(query, variables = {}) {
  return (await gqlAt(query, variables)).data;
}

// The same, with the graph version the answer comes from (`extensions.graphVersion`, set
// by a server that follows its folder): pages asked one after the other are of one walk
// only when they come from one version.
export async function gqlAt(query, variables = {}) {
  setBusy(1);
  const number = ++questions;
  const question = { since: performance.now(), trouble: null };
  pending.set(number, question);
  paintServerStatus();
  try {
    let body = withinLimits(query, variables);
    let lastAnswer = performance.now();
    for (let tries = 0; ; tries++) {
      let answer;
      try {
        answer = await ask(body);
      } catch (err) {
        if (!(err instanceof Unreachable)) throw err;
        if (performance.now() - lastAnswer > GIVE_UP_MS) {
          throw new Error(`the server did not answer for ${GIVE_UP_MS / 1000} s (${err.message}): `
            + "check that newsgraph serve is running, then try again");
        }
        const wait = BACKOFF_MS[Math.min(tries, BACKOFF_MS.length - 1)];
        question.trouble = `The server is not answering (${err.message}; it may be restarting): `
          + `asking again in ${(wait / 1000).toFixed(1)} s…`;
        paintServerStatus();
        await new Promise((resolve) => setTimeout(resolve, wait));
        continue;
      }
      const error = (answer.errors || [])[0];
      const ext = (error && error.extensions) || {};
      if (error && ext.code === "NOT_READY" && ext.status === "loading") {
        // Restarted, and loading its graph: it answers, so this waits as long as it loads.
        lastAnswer = performance.now();
        const progress = [ext.phase, ext.records != null ? `${ext.records} records` : null].filter(Boolean).join(", ");
        question.trouble = `The server is loading its graph${progress ? ` (${progress})` : ""}: asking again…`;
        paintServerStatus();
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      }
      if (error && ext.code === "LIMIT_EXCEEDED" && ext.limit === "maxNeighborhood" && Number.isInteger(ext.max)
          && ext.max >= 1 && (neighborhoodMax == null || ext.max < neighborhoodMax)) {
        neighborhoodMax = ext.max;
        const again = withinLimits(query, variables);
        if (again !== body) {
          body = again;
          continue;
        }
      }
      if (error) throw new GraphQLError(error);
      return { data: answer.data, version: (answer.extensions || {}).graphVersion || null };
    }
  } finally {
    pending.delete(number);
    paintServerStatus();
    setBusy(-1);
  }
}

// No answer from the server: no connection, or a proxy in front of it saying it is not there.
class Unreachable extends Error {}

// A request body past what the server (or a proxy in front of it) takes: HTTP 413. Its
// message is the server's, when it sent one; a caller may ask again with less.
export class TooLarge extends Error {
  constructor(message) {
    super(message);
    this.code = "LIMIT_EXCEEDED";
  }
}

async function ask(body) {
  let response;
  try {
    response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
    });
  } catch (err) {
    throw new Unreachable("no connection"); // fetch says only "Failed to fetch"
  }
  if ([502, 503, 504].includes(response.status) && !(response.headers.get("content-type") || "").includes("json")) {
    throw new Unreachable(`HTTP ${response.status}`);
  }
  if (response.status === 413) {
    let said = null;
    try {
      said = ((await response.json()).errors || [])[0].message;
    } catch (err) {
      // a proxy's page, not the server's JSON
    }
    throw new TooLarge(said || "the server refused the request as too large (HTTP 413)");
  }
  try {
    return await response.json();
  } catch (err) {
    throw new Error(`the server answered HTTP ${response.status} with a body that is not JSON`);
  }
}

// A field the server computes after its load answers NOT_READY until it is done: say
// "computing…" through `waiting` and ask again, never hang on it.
export async function gqlWhenReady(query, variables, waiting) {
  for (;;) {
    try {
      return await gql(query, variables);
    } catch (err) {
      if (err.code !== "NOT_READY") throw err;
      if (waiting) waiting(err.message);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
