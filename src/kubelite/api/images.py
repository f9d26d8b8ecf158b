"""Container image references: their tag, and the pull policy a container gets.

An image reference is ``[domain[:port]/]path[:tag][@digest]``. Kubernetes
defaults a container's ``imagePullPolicy`` from its tag: ``Always`` when the
tag is ``latest``, written or implied (a reference with neither tag nor digest
reads as ``latest``), ``IfNotPresent`` otherwise, including for a reference
that does not parse.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["image_tag", "pull_policy"]

# The grammar of an image reference, from Docker's distribution/reference (the
# parser the API server uses): [domain[:port]/]path[:tag][@digest].
_PATH_COMPONENT: Final = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT: Final = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST: Final = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[a-fA-F0-9:]+\])"
_DOMAIN: Final = _HOST + r"(?::[0-9]+)?"
_NAME: Final = rf"(?:({_DOMAIN})/)?({_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
_NAME_RE: Final = re.compile(_NAME)
_REFERENCE_RE: Final = re.compile(
    rf"((?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*)"
    r"(?::(\w[\w.-]{0,127}))?"
    r"(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?",
    re.ASCII,
)
# A bare image ID is refused as a name.
_IDENTIFIER_RE: Final = re.compile(r"[a-f0-9]{64}")
_DIGEST_HEX_RE: Final = re.compile(r"[a-f0-9]+")
# The digest algorithms the API server links in, and their hex lengths.
_DIGEST_LENGTHS: Final = {"sha256": 64, "sha384": 96, "sha512": 128}
_MAX_PATH_LENGTH: Final = 255


def pull_policy(image: str) -> str:
    """The ``imagePullPolicy`` Kubernetes gives a container running ``image``.

    "Always" when the reference's tag is ``latest``, whether written or implied
    by giving neither tag nor digest; "IfNotPresent" otherwise, including for a
    digest without a tag and for a reference that does not parse::

        nginx, nginx:latest, registry:5000/app       Always
        nginx:1.25, registry:5000/app:v1             IfNotPresent
        app@sha256:<hex>                             IfNotPresent
        nginx:latest@sha256:<hex>                    Always (the tag decides)
    """
    return "Always" if image_tag(image) == "latest" else "IfNotPresent"


def image_tag(image: str) -> str:
    """The tag Kubernetes reads from an image reference; "" if it does not parse.

    A reference with neither tag nor digest reads as ``latest``; one with only a
    digest has no tag.
    """
    if _IDENTIFIER_RE.fullmatch(image):
        return ""
    domain, remainder = _split_domain(image)
    repository = remainder.partition(":")[0]
    if repository.lower() != repository:
        return ""
    match = _REFERENCE_RE.fullmatch(f"{domain}/{remainder}")
    if match is None:
        return ""
    name, tag, digest = match.groups()
    name_match = _NAME_RE.fullmatch(name)
    if name_match is None or len(name_match.group(2)) > _MAX_PATH_LENGTH:
        return ""
    if digest is not None and not _valid_digest(digest):
        return ""
    if tag is None and digest is None:
        return "latest"
    return tag or ""


def _split_domain(image: str) -> tuple[str, str]:
    """Split off the registry, naming Docker Hub's when there is none.

    The first component is a registry only if it is ``localhost``, has a dot or
    a colon, or has an upper case letter; ``registry:5000/app`` is the image
    ``app`` on ``registry:5000``, not ``registry`` with tag ``5000/app``.
    """
    first, slash, rest = image.partition("/")
    if not slash:
        return "docker.io", "library/" + image
    if first == "index.docker.io":
        domain, remainder = "docker.io", rest
    elif first == "localhost" or "." in first or ":" in first or first.lower() != first:
        domain, remainder = first, rest
    else:
        domain, remainder = "docker.io", image
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder


def _valid_digest(digest: str) -> bool:
    algorithm, _, encoded = digest.partition(":")
    length = _DIGEST_LENGTHS.get(algorithm)
    return length == len(encoded) and _DIGEST_HEX_RE.fullmatch(encoded) is not None
