"""Access: who may see and do what. `policy` is the one place that decides."""
