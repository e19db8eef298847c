"""The way of a change as plain functions: ingress -> import -> route -> export.

Actors and HTTP handlers call these with ids and get ids back to enqueue; nothing here knows
about the broker, so each step can be tested with the store alone.
"""
