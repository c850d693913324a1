"""Serving and hardware: the one hardware model (specs, step time, power), queueing, fleets."""
