"""The fast YAML reader compiled by mypyc, when the install could build it (setup.py).

Holds extension modules only: ``graph._native.blockyaml``, ``yamlscalars`` and
``yamlflow``, built from copies of the modules of the same names in :mod:`graph`,
each copy's imports pointing here. :mod:`graph.fastyaml` says which reader is used.
"""
