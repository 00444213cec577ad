// Shared by the client checks: the server under test, a plain POST, and every console
// warning or error a library prints (each check reports them; the suite wants none).
export const SERVER = process.env.NEWSGRAPH_URL;
if (!SERVER) throw new Error("set NEWSGRAPH_URL to a running newsgraph serve");
export const GRAPHQL = `${SERVER}/graphql`;

export const warnings = [];
for (const level of ["warn", "error"]) {
  const original = console[level];
  console[level] = (...args) => {
    warnings.push(`${level}: ${args.map(String).join(" ")}`);
    original.apply(console, args);
  };
}

export async function post(query, variables = {}) {
  const r = await fetch(GRAPHQL, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  return r.json();
}

export async function get(path) {
  const r = await fetch(`${SERVER}${path}`);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
  return r.text();
}

// Print what a check found, as one JSON line, for tests/test_clients.py to judge.
export function report(facts) {
  process.stdout.write(JSON.stringify({ ...facts, warnings }) + "\n");
}
