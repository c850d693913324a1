"""Foundations: the Cost-correct algebra, shared symbols, price trends and levers."""
