"""Segments: groups of customers to act on, from rules over tags or from models (clusters)."""
