"""Beyond LLM inference: surface-code circuits, sinter sampling and ceiling models."""
