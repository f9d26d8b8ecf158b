"""Kubernetes' rules for names, labels, annotations and ``generateName``.

Two layers, as in Kubernetes. The ``is_*`` checks take a bare value and return
the list of what is wrong with it as Kubernetes words it (empty when valid);
they know nothing of where the value sits. The ``validate_*`` functions take a
``FieldPath`` too and return ``FieldError`` values, so that the API server can
collect every problem of an object in an ``ErrorList`` and answer one 422.
Nothing here raises.

Which rule a name follows depends on the resource, and ``NameRule`` names the
four in use::

    DNS1123_SUBDOMAIN   most objects (pods, configmaps, deployments): up to 253
                        characters, lowercase, dots allowed
    DNS1123_LABEL       namespaces: up to 63 characters, no dots
    DNS1035_LABEL       services: a DNS-1123 label that starts with a letter
    PATH_SEGMENT        anything that only has to fit in a URL: not "." or "..",
                        no "/" or "%"

``generateName`` is a prefix: it is checked with the name's rule after masking a
trailing dash (``web-`` checks as ``wea``, the quirk Kubernetes has), and
``generate_name`` appends the five random characters the server would.
"""

from __future__ import annotations

import enum
import functools
import random
import re
from collections.abc import Mapping, Sequence
from typing import Final

from kubelite.api.field import FieldError, FieldPath, GoLiteral

DNS1123_LABEL_MAX_LENGTH: Final = 63
DNS1123_SUBDOMAIN_MAX_LENGTH: Final = 253
DNS1035_LABEL_MAX_LENGTH: Final = 63
QUALIFIED_NAME_MAX_LENGTH: Final = 63
LABEL_VALUE_MAX_LENGTH: Final = 63
# The total size of a object's annotations, keys and values, in bytes.
TOTAL_ANNOTATION_SIZE_LIMIT: Final = 256 * 1024

# Generated names: the base is cut so that base plus suffix fits a DNS label.
GENERATED_SUFFIX_LENGTH: Final = 5
MAX_GENERATE_NAME_BASE: Final = DNS1123_LABEL_MAX_LENGTH - GENERATED_SUFFIX_LENGTH
# No vowels (no words) and no look-alike digits, as Kubernetes chooses.
GENERATED_SUFFIX_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"

IS_NEGATIVE_MESSAGE: Final = "must be greater than or equal to 0"

_DNS1123_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT: Final = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1035_LABEL_FMT: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME_FMT: Final = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT: Final = "(" + _QUALIFIED_NAME_FMT + ")?"

_DNS1123_LABEL_RE: Final = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE: Final = re.compile(_DNS1123_SUBDOMAIN_FMT)
_DNS1035_LABEL_RE: Final = re.compile(_DNS1035_LABEL_FMT)
_QUALIFIED_NAME_RE: Final = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE: Final = re.compile(_LABEL_VALUE_FMT)

_DNS1123_LABEL_MESSAGE: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "
    "'-', and must start and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MESSAGE: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)
_DNS1035_LABEL_MESSAGE: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "
    "with an alphabetic character, and end with an alphanumeric character"
)
_QUALIFIED_NAME_MESSAGE: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
    "with an alphanumeric character"
)
_LABEL_VALUE_MESSAGE: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
    "'_' or '.', and must start and end with an alphanumeric character"
)


def _full_match(pattern: re.Pattern[str], value: str) -> bool:
    # Go anchors these expressions with ^...$, where $ does not match before a
    # trailing newline; fullmatch has the same meaning.
    return pattern.fullmatch(value) is not None


def _byte_length(value: str) -> int:
    # Kubernetes counts bytes, not characters.
    return len(value.encode())


def empty_message() -> str:
    return "must be non-empty"


def max_length_message(length: int) -> str:
    return f"must be no more than {length} characters"


def regex_message(message: str, regex: str, *examples: str) -> str:
    """A rule's message with its examples and regex, worded as Kubernetes does.

    The doubled space before each "or" is Kubernetes' own, and kept.
    """
    if not examples:
        return f"{message} (regex used for validation is '{regex}')"
    quoted = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {quoted}regex used for validation is '{regex}')"


# -- bare checks -------------------------------------------------------------------


def is_dns1123_label(value: str) -> list[str]:
    problems = []
    if _byte_length(value) > DNS1123_LABEL_MAX_LENGTH:
        problems.append(max_length_message(DNS1123_LABEL_MAX_LENGTH))
    if not _full_match(_DNS1123_LABEL_RE, value):
        if _full_match(_DNS1123_SUBDOMAIN_RE, value):
            # A valid subdomain of valid length: only the dots are wrong.
            problems.append("must not contain dots")
        else:
            problems.append(
                regex_message(_DNS1123_LABEL_MESSAGE, _DNS1123_LABEL_FMT, "my-name", "123-abc")
            )
    return problems


def is_dns1123_subdomain(value: str) -> list[str]:
    problems = []
    if _byte_length(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        problems.append(max_length_message(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _full_match(_DNS1123_SUBDOMAIN_RE, value):
        problems.append(
            regex_message(_DNS1123_SUBDOMAIN_MESSAGE, _DNS1123_SUBDOMAIN_FMT, "example.com")
        )
    return problems


def is_dns1035_label(value: str) -> list[str]:
    problems = []
    if _byte_length(value) > DNS1035_LABEL_MAX_LENGTH:
        problems.append(max_length_message(DNS1035_LABEL_MAX_LENGTH))
    if not _full_match(_DNS1035_LABEL_RE, value):
        problems.append(
            regex_message(_DNS1035_LABEL_MESSAGE, _DNS1035_LABEL_FMT, "my-name", "abc-123")
        )
    return problems


def is_path_segment_name(value: str, *, prefix: bool = False) -> list[str]:
    """A name that only has to be one URL path segment."""
    if not prefix and value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{char}'" for char in ("/", "%") if char in value]


def is_qualified_name(value: str) -> list[str]:
    """A label key, annotation key or finalizer: ``[prefix/]name``.

    The prefix is a DNS-1123 subdomain; the name at most 63 characters of
    alphanumerics, ``-``, ``_`` and ``.``, starting and ending alphanumeric.
    """
    problems: list[str] = []
    parts = value.split("/")
    if len(parts) > 2:
        example = regex_message(
            _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
        )
        return [
            f"a qualified name {example} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    if len(parts) == 2:
        prefix, name = parts
        if not prefix:
            problems.append("prefix part " + empty_message())
        else:
            problems.extend("prefix part " + msg for msg in is_dns1123_subdomain(prefix))
    else:
        name = parts[0]
    if not name:
        problems.append("name part " + empty_message())
    elif _byte_length(name) > QUALIFIED_NAME_MAX_LENGTH:
        problems.append("name part " + max_length_message(QUALIFIED_NAME_MAX_LENGTH))
    if not _full_match(_QUALIFIED_NAME_RE, name):
        problems.append(
            "name part "
            + regex_message(
                _QUALIFIED_NAME_MESSAGE, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc"
            )
        )
    return problems


def is_label_value(value: str) -> list[str]:
    problems = []
    if _byte_length(value) > LABEL_VALUE_MAX_LENGTH:
        problems.append(max_length_message(LABEL_VALUE_MAX_LENGTH))
    if not _full_match(_LABEL_VALUE_RE, value):
        problems.append(
            regex_message(_LABEL_VALUE_MESSAGE, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")
        )
    return problems


# -- names ---------------------------------------------------------------------------


def _mask_trailing_dash(name: str) -> str:
    # Kubernetes drops the last *two* characters and appends "a"; only the
    # absence of a trailing dash matters, but the quirk changes which prefixes
    # pass ("a.-" passes), so it is kept.
    if _byte_length(name) > 1 and name.endswith("-"):
        return name[:-2] + "a"
    return name


class NameRule(enum.Enum):
    """The rule a resource's names follow."""

    DNS1123_SUBDOMAIN = "dns1123-subdomain"
    DNS1123_LABEL = "dns1123-label"
    DNS1035_LABEL = "dns1035-label"
    PATH_SEGMENT = "path-segment"

    def check(self, name: str, *, prefix: bool = False) -> list[str]:
        """What is wrong with ``name``; ``prefix`` for a ``generateName``."""
        if self is NameRule.PATH_SEGMENT:
            return is_path_segment_name(name, prefix=prefix)
        if prefix:
            name = _mask_trailing_dash(name)
        if self is NameRule.DNS1123_SUBDOMAIN:
            return is_dns1123_subdomain(name)
        if self is NameRule.DNS1123_LABEL:
            return is_dns1123_label(name)
        return is_dns1035_label(name)


def validate_name(
    name: str, path: FieldPath, *, rule: NameRule = NameRule.DNS1123_SUBDOMAIN
) -> list[FieldError]:
    return [FieldError.invalid(path, name, msg) for msg in rule.check(name)]


def validate_generate_name(
    generate_name: str, path: FieldPath, *, rule: NameRule = NameRule.DNS1123_SUBDOMAIN
) -> list[FieldError]:
    checks = rule.check(generate_name, prefix=True)
    return [FieldError.invalid(path, generate_name, msg) for msg in checks]


def generate_name(base: str, *, rng: random.Random | None = None) -> str:
    """``base`` (cut to 58 characters) and five random characters, as the server
    names an object created with only ``generateName``.

    ``rng`` is the random source, injectable so that tests get known names.
    """
    source = rng if rng is not None else _RANDOM
    suffix = "".join(
        source.choice(GENERATED_SUFFIX_ALPHABET) for _ in range(GENERATED_SUFFIX_LENGTH)
    )
    return base[:MAX_GENERATE_NAME_BASE] + suffix


_RANDOM: Final = random.Random()


# -- labels and annotations ------------------------------------------------------------


# The same few label and annotation keys and values come back on every object.
@functools.lru_cache(maxsize=4096)
def _qualified_name_problems(key: str) -> tuple[str, ...]:
    return tuple(is_qualified_name(key))


@functools.lru_cache(maxsize=4096)
def _label_value_problems(value: str) -> tuple[str, ...]:
    return tuple(is_label_value(value))


def validate_label_key(key: str, path: FieldPath) -> list[FieldError]:
    return [FieldError.invalid(path, key, msg) for msg in _qualified_name_problems(key)]


def _string_map(value: object, path: FieldPath) -> tuple[dict[str, str], list[FieldError]]:
    """The string entries of ``value``, and an error for what is not a string.

    Labels and annotations come from request bodies that nothing has typed yet,
    so a list, a number or ``null`` can stand where a string is due. Kubernetes
    refuses those when it decodes the body (a 400); here they are field errors,
    so that the rules below only ever see strings.
    """
    if not isinstance(value, Mapping):
        return {}, [FieldError.type_invalid(path, value, "must be a map of string to string")]
    strings: dict[str, str] = {}
    errors: list[FieldError] = []
    for key, item in value.items():
        if isinstance(key, str) and isinstance(item, str):
            strings[key] = item
        else:
            where = path.key(str(key))
            bad = item if isinstance(key, str) else key
            errors.append(FieldError.type_invalid(where, bad, "must be a string"))
    return strings, errors


def validate_labels(labels: object, path: FieldPath) -> list[FieldError]:
    """Every key a qualified name, every value a label value.

    Errors name the map's path, not the key's, as Kubernetes does; keys are
    taken in sorted order so the message is the same on every run.
    """
    strings, errors = _string_map(labels, path)
    for key in sorted(strings):
        errors.extend(validate_label_key(key, path))
        value = strings[key]
        errors.extend(FieldError.invalid(path, value, msg) for msg in _label_value_problems(value))
    return errors


def annotations_size(annotations: Mapping[str, str]) -> int:
    """The bytes the size limit counts: every key and value, UTF-8."""
    return sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items())


def validate_annotations(annotations: object, path: FieldPath) -> list[FieldError]:
    """Keys are qualified names in any case; keys and values total 256 KiB at most."""
    strings, errors = _string_map(annotations, path)
    for key in sorted(strings):
        problems = _qualified_name_problems(key.lower())
        errors.extend(FieldError.invalid(path, key, msg) for msg in problems)
    if annotations_size(strings) > TOTAL_ANNOTATION_SIZE_LIMIT:
        errors.append(FieldError.too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT))
    return errors


# -- object metadata -------------------------------------------------------------------


_METADATA: Final = FieldPath.of("metadata")
_META_FIELDS: Final = (
    "generateName",
    "name",
    "namespace",
    "generation",
    "labels",
    "annotations",
    "ownerReferences",
    "finalizers",
)


@functools.lru_cache(maxsize=64)
def _meta_paths(meta: FieldPath) -> dict[str, FieldPath]:
    """The paths of the metadata fields below ``meta``, built once."""
    return {name: meta.child(name) for name in _META_FIELDS}


def validate_object_meta(
    *,
    name: str,
    generate_name: str = "",
    namespace: str = "",
    namespaced: bool,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
    generation: int = 0,
    owner_references: Sequence[object] | None = None,
    finalizers: Sequence[object] | None = None,
    rule: NameRule = NameRule.DNS1123_SUBDOMAIN,
    path: FieldPath | None = None,
) -> list[FieldError]:
    """The metadata checks every object passes on create and update, in
    Kubernetes' order.

    ``name`` is the name after generation: the server calls this once it has
    appended the suffix, and an empty name means neither was given.
    """
    at = _meta_paths(path if path is not None else _METADATA)
    errors: list[FieldError] = []
    if generate_name:
        errors.extend(validate_generate_name(generate_name, at["generateName"], rule=rule))
    if not name:
        errors.append(FieldError.required(at["name"], "name or generateName is required"))
    else:
        errors.extend(validate_name(name, at["name"], rule=rule))
    if namespaced:
        if not namespace:
            errors.append(FieldError.required(at["namespace"]))
        else:
            errors.extend(validate_name(namespace, at["namespace"], rule=NameRule.DNS1123_LABEL))
    elif namespace:
        errors.append(FieldError.forbidden(at["namespace"], "not allowed on this type"))
    if generation < 0:
        errors.append(FieldError.invalid(at["generation"], generation, IS_NEGATIVE_MESSAGE))
    errors.extend(validate_labels(labels or {}, at["labels"]))
    errors.extend(validate_annotations(annotations or {}, at["annotations"]))
    errors.extend(validate_owner_references(owner_references or [], at["ownerReferences"]))
    errors.extend(validate_finalizers(finalizers or [], at["finalizers"]))
    return errors


# -- label selectors in objects ----------------------------------------------------------


# Kinds that cannot own objects: deleting them would collect what they "own".
_BANNED_OWNERS = {("", "v1", "Event"), ("events.k8s.io", "v1", "Event")}
_GC_FINALIZERS = ("orphan", "foregroundDeletion")


def validate_owner_references(references: Sequence[object], path: FieldPath) -> list[FieldError]:
    """Each reference names its owner fully; at most one is the controller.

    As in Kubernetes, the errors name ``metadata.ownerReferences`` itself, not
    the index of the reference.
    """
    errors: list[FieldError] = []
    controller = ""
    for ref in references:
        if not isinstance(ref, Mapping):
            errors.append(FieldError.invalid(path, ref, "must be an object"))
            continue
        api_version = str(ref.get("apiVersion") or "")
        group, _, version = api_version.rpartition("/")
        kind, name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        if not version:
            errors.append(
                FieldError.invalid(
                    path.child("apiVersion"), api_version, "version must not be empty"
                )
            )
        if not kind:
            errors.append(FieldError.invalid(path.child("kind"), kind, "must not be empty"))
        if not name:
            errors.append(FieldError.invalid(path.child("name"), name, "must not be empty"))
        if not ref.get("uid"):
            errors.append(FieldError.invalid(path.child("uid"), "", "must not be empty"))
        if (group, version, kind) in _BANNED_OWNERS:
            owner = f"{group}/{version}, Kind={kind}"
            errors.append(
                FieldError.invalid(path, ref, f"{owner} is disallowed from being an owner")
            )
        if ref.get("controller") is True:
            if controller:
                errors.append(
                    FieldError.invalid(
                        path,
                        list(references),
                        'Only one reference can have Controller set to true. Found "true" '
                        f"in references for {controller} and {name}",
                    )
                )
            controller = controller or name
    return errors


def validate_finalizers(finalizers: Sequence[object], path: FieldPath) -> list[FieldError]:
    """Finalizers are qualified names; ``orphan`` and ``foregroundDeletion`` exclude
    each other."""
    errors: list[FieldError] = []
    for finalizer in finalizers:
        text = str(finalizer)
        for problem in is_qualified_name(text):
            errors.append(FieldError.invalid(path, text, problem))
    if all(gc in finalizers for gc in _GC_FINALIZERS):
        errors.append(
            FieldError.invalid(
                path,
                list(finalizers),
                "finalizer orphan and foregroundDeletion cannot be both set",
            )
        )
    return errors


def validate_label_selector(
    selector: Mapping[str, object] | None, path: FieldPath
) -> list[FieldError]:
    """A ``LabelSelector`` as written in an object (``spec.selector``).

    ``matchLabels`` as labels; each ``matchExpressions`` entry with a known
    operator, values exactly when the operator takes them, and a valid key.
    """
    if selector is None:
        return []
    errors: list[FieldError] = []
    match_labels = selector.get("matchLabels") or {}
    if isinstance(match_labels, Mapping):
        errors.extend(validate_labels(match_labels, path.child("matchLabels")))
    expressions = selector.get("matchExpressions") or []
    if isinstance(expressions, Sequence):
        for index, expression in enumerate(expressions):
            if isinstance(expression, Mapping):
                where = path.child("matchExpressions").index(index)
                errors.extend(_validate_requirement(expression, where))
    return errors


def _validate_requirement(expression: Mapping[str, object], path: FieldPath) -> list[FieldError]:
    errors: list[FieldError] = []
    operator = expression.get("operator", "")
    raw_values = expression.get("values") or []
    values = [str(v) for v in raw_values] if isinstance(raw_values, Sequence) else []
    if operator in ("In", "NotIn"):
        if not values:
            errors.append(
                FieldError.required(
                    path.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            errors.append(
                FieldError.forbidden(
                    path.child("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        bad = operator if isinstance(operator, str) else GoLiteral(str(operator))
        errors.append(
            FieldError.invalid(path.child("operator"), bad, "not a valid selector operator")
        )
    errors.extend(validate_label_key(str(expression.get("key", "")), path.child("key")))
    for index, value in enumerate(values):
        where = path.child("values").index(index)
        errors.extend(FieldError.invalid(where, value, msg) for msg in is_label_value(value))
    return errors
