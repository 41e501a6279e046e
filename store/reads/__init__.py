"""The compiled read path's SQL side: a selection, described as the JSON to build (``tree``),
becomes one SQL statement that builds that JSON in PostgreSQL (``compiler``), with the same
visibility as the store's other reads (``entities``). The GraphQL side that builds the tree
lives in ``gql/compiled/``; the resolvers stay the reference the compiled path is tested against.
"""
