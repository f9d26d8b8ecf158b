"""CustomResourceDefinitions: what a CRD must be, and what its objects must be.

Pure functions, no I/O, used by the API server (``kubelite.apiserver.crds``):

- ``definition``: validating a CustomResourceDefinition (names, group, versions,
  one storage version, a structural schema) and its status conditions
  (``NamesAccepted``, ``Established``);
- ``schema``: a custom object checked against its version's structural schema
  (types, formats, bounds, patterns, list types), its unknown fields pruned and
  its defaults applied, every violation a field error in Kubernetes' words;
- ``cel`` (with ``cel_library``, Kubernetes' list and regex functions): the
  ``x-kubernetes-validations`` rules, compiled once per schema and run with
  ``self`` and ``oldSelf``;
- on an update, both ratchet: a failure on a value the update left unchanged
  is forgiven (``_ratchet`` for the schema, ``_correlation`` for the rules).
"""
