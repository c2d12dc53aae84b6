"""The functional core: pure rules over value objects and arrays.

Nothing here imports Flask or SQLAlchemy, so it can be tested and benchmarked alone.
"""
