"""JSON Merge Patch (RFC 7386): a partial document merged into the target.

An object in the patch merges into the target's object key by key; ``null``
deletes a key; anything else, arrays included, replaces the target's value
whole. kubectl sends this for custom resources and for ``label``/``annotate``;
``kubectl scale`` sends it to the ``/scale`` subresource. Example::

    apply_merge_patch(
        {"metadata": {"labels": {"app": "web", "tier": "db"}}, "spec": {"replicas": 1}},
        {"metadata": {"labels": {"tier": None, "env": "prod"}}, "spec": {"replicas": 3}},
    )
    # {"metadata": {"labels": {"app": "web", "env": "prod"}}, "spec": {"replicas": 3}}

The target's keys keep their order and new keys follow them, so that
``kubectl get -o yaml`` shows fields where they were. :func:`create_merge_patch`
computes the patch that turns one document into another; a ``null`` member of
an object cannot be expressed that way, since null means "delete".

Why not the ``json-merge-patch`` package: it modifies the target in place and
would need a deep copy first, it is untyped, and the function is twenty lines.
"""

from __future__ import annotations

from kubelite.api.patch._json import JSONValue, deep_copy, json_equal

__all__ = ["apply_merge_patch", "create_merge_patch"]


def apply_merge_patch(target: JSONValue, patch: JSONValue) -> JSONValue:
    """Apply an RFC 7386 patch and return the new document.

    Neither argument is modified, and the result shares nothing with them. A
    patch that is not an object replaces the target, as the RFC says; the API
    server rejects a result that is not an object.
    """
    if not isinstance(patch, dict):
        return deep_copy(patch)
    result: dict[str, JSONValue] = {}
    if isinstance(target, dict):
        for key, value in target.items():
            if key not in patch:
                result[key] = deep_copy(value)
            elif patch[key] is not None:
                result[key] = apply_merge_patch(value, patch[key])
    for key, value in patch.items():
        if value is not None and key not in result:
            result[key] = apply_merge_patch(None, value)
    return result


def create_merge_patch(original: JSONValue, modified: JSONValue) -> JSONValue:
    """The smallest merge patch that turns ``original`` into ``modified``.

    Exact for any ``modified`` with no ``null`` member in its objects; such a
    member would turn into a deletion.
    """
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return deep_copy(modified)
    patch: dict[str, JSONValue] = {key: None for key in original if key not in modified}
    for key, value in modified.items():
        if key not in original:
            patch[key] = deep_copy(value)
        elif not json_equal(original[key], value):
            patch[key] = create_merge_patch(original[key], value)
    return patch
