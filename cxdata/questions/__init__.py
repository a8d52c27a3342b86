"""The questions each page asks: Filters in, frames out (definitions routed to a saved copy or the raw tables)."""
