"""One module per page of the staff area (parse → query or case command → render)."""
