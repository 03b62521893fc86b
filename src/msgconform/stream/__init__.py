"""Server-sent events: the incremental parser, the event grammar, and message accumulation."""
