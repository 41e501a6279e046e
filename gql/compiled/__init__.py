"""The compiled read path's GraphQL side: a query in the compilable part of the graph is
planned into a selection tree (``planner``, ``fields``), built by PostgreSQL in one statement
(``store/reads``) and answered without per-field execution (``endpoint``). Everything else —
mutations, subscriptions, errors, fields not listed in ``fields.TYPES`` — takes the resolvers,
which stay the reference; a differential test holds the two paths to the same bytes."""
