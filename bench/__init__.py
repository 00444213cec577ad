"""newsgraph's benchmark suite: a seeded corpus generator and a runner that measures
loading, traversal and serving side by side in one run.

``python -m bench --help`` (or ``newsgraph bench``) runs it; ``bench.generate``
writes corpora and never imports Strawberry.
"""
