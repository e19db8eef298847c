"""Read queries over the store as plain functions: what the console (and the admin API) show.

Each module answers one question and returns plain dataclasses; none writes anything.
"""
