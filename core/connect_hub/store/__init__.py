"""The central store: records, links, events, deliveries and cursors, every row scoped by account."""
