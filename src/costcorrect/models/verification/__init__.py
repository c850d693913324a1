"""Markets for verification: scoring rules, procurement and composition mechanisms, self-play."""
