"""The Kubernetes REST API, served over the store.

This package turns the store's revisioned key-value log into the API that
``kubectl`` and the client libraries speak: the HTTP app and its routing, the
handlers for each verb, the registry that reads and writes one resource type's
objects, discovery (legacy and aggregated), the OpenAPI documents, and watch.

It stands on ``store`` and on ``api`` (the resource table, errors, patches,
schemas and Tables) and is imported by nothing but the CLI: controllers, the
scheduler and the node agent reach it over HTTP through ``client``, never by
importing it, so each of them runs against any Kubernetes API server.
"""
