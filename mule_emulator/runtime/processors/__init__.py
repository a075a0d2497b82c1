"""runtime/processors."""
