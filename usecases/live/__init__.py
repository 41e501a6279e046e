"""Live delivery: the event hub of one server process (sequencing, gap filling, replay after a
lost LISTEN connection, bounded mailboxes). No GraphQL here: the surface subscribes to it."""
