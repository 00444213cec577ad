// graphql-js 16: introspect the server, build a client schema, validate it, and validate
// every query given on the command line (a JSON list of {where, query}) against it.
import { readFileSync } from "node:fs";
import {
  buildClientSchema, getIntrospectionQuery, parse, printSchema, validate, validateSchema,
  isObjectType, isInterfaceType,
} from "graphql";
import { post, report } from "./lib.mjs";

const introspection = await post(getIntrospectionQuery({ descriptions: true }));
if (introspection.errors) throw new Error(JSON.stringify(introspection.errors));
const schema = buildClientSchema(introspection.data);
const schemaErrors = validateSchema(schema).map((e) => e.message);

const queries = JSON.parse(readFileSync(process.argv[2], "utf8"));
const invalid = [];
for (const { where, query } of queries) {
  try {
    const errors = validate(schema, parse(query));
    for (const e of errors) invalid.push(`${where}: ${e.message}`);
  } catch (e) {
    invalid.push(`${where}: ${e.message}`);
  }
}

// Global Object Identification: Node is exactly { id }, and every type with a field named
// id is a Node: Relay's store keys an object by that field whatever its type (an `id: ID`
// on another type merges that object with the node of that id).
const node = schema.getType("Node");
const withIdNotNode = [];
for (const type of Object.values(schema.getTypeMap())) {
  if (type.name.startsWith("__") || !(isObjectType(type) || isInterfaceType(type))) continue;
  if (!type.getFields().id) continue;
  const implementsNode = type === node || type.getInterfaces().some((i) => i.name === "Node");
  if (!implementsNode) withIdNotNode.push(type.name);
}
report({
  schemaErrors,
  invalid,
  validated: queries.length,
  nodeFields: node ? Object.keys(node.getFields()) : null,
  withIdNotNode,
  sdl: printSchema(schema),
});
