"""Services: domain operations over the store (no HTTP here)."""
