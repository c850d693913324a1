"""Allocating compute: channel thresholds, the routing premium, their composition, scaling laws."""
