"""The vocabulary of the Kubernetes API, independent of any server.

This package owns the rules every part of kubelite must agree on when it speaks
Kubernetes: the resource types and their names, object metadata rules (names,
labels, annotations, ``generateName``), the ``Status`` errors with Kubernetes'
codes, reasons and messages, label and field selectors, patches, and schemas.

It is the bottom layer: it imports nothing else from kubelite, knows nothing of
HTTP or storage, and does no I/O, so the API server, the client and user-written
operators can all use it. Where Kubernetes has a rule, the rule and its message
are reproduced exactly, because clients match on them.
"""
