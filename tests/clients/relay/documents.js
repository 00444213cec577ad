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

// Relay's @connection checks the connection shape (edges, node, cursor, pageInfo) and the
// paging arguments: forward on articles, backward on topics.
export const ArticlesForward = graphql`
  query documentsArticlesForwardQuery($first: Int, $after: String) {
    articles(first: $first, after: $after) @connection(key: "documents_articles") {
      totalCount edges { node { id title } }
    }
  }
`;

export const TopicsBackward = graphql`
  query documentsTopicsBackwardQuery($last: Int, $before: String) {
    topics(last: $last, before: $before) @connection(key: "documents_topics") {
      edges { node { id name } }
    }
  }
`;
