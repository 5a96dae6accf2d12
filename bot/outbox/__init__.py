"""The outbox sender: drains queued pushes to the channels (design.md §5, issue 4)."""
