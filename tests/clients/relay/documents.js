// The documents relay-compiler compiles (tests/clients/relay.mjs runs them): fragments on
// the drawing of a neighborhood and on each kind of node, and a refetch through node(id:).
import { graphql } from "relay-runtime";

export const ArticleCard = graphql`
  fragment documentsArticleCard on Article { id title url publishedAt provider { id name } }
`;

export const DrawnNode = graphql`
  fragment documentsDrawnNode on GraphNode {
    kind label hops degree
    node { __typename id ...documentsArticleCard @alias ... on Topic { name } ... on Provider { name domain } }
  }
`;

export const Around = graphql`
  query documentsAroundQuery($from: [ID!]!, $hops: Int!) {
    neighborhood(from: $from, hops: $hops) {
      nodes { ...documentsDrawnNode }
      edges { id source target kind }
    }
  }
`;

export const Refetch = graphql`
  query documentsRefetchQuery($id: ID!) {
    node(id: $id) { __typename id ...documentsArticleCard @alias ... on Provider { name } }
  }
`;
