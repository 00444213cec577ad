// Talking to newsgraph's /graphql: one POST per query, its first error thrown with its code,
// and a field the server still computes (NOT_READY) asked again until it answers. The body's
// data-busy attribute counts the requests on their way (the browser tests wait on it).

export const ENDPOINT = new URL("graphql", window.location.href).toString();
const RETRY_MS = 1000; // how often a field still being computed (NOT_READY) is asked again

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

export async function gql(query, variables = {}) {
  return (await gqlAt(query, variables)).data;
}

// The same, with the graph version the answer comes from (`extensions.graphVersion`, set
// by a server that follows its folder): pages asked one after the other are of one walk
// only when they come from one version.
export async function gqlAt(query, variables = {}) {
  setBusy(1);
  try {
    const response = await fetch(ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) throw new GraphQLError(body.errors[0]);
    return { data: body.data, version: (body.extensions || {}).graphVersion || null };
  } finally {
    setBusy(-1);
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
