"""One module per dashboard page; each has ``build(ctx) -> list[Page]``."""
