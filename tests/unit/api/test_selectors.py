"""Label and field selectors: parsing, Kubernetes' error messages, matching, and
round trips through the canonical text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.api.selectors import (
    EVERYTHING,
    NOTHING,
    FieldOperator,
    FieldRequirement,
    Operator,
    Requirement,
    Selector,
    SelectorError,
    escape_field_value,
    parse_field_selector,
    parse_label_selector,
    selector_from_label_selector,
    unescape_field_value,
)

pytestmark = pytest.mark.timeout(10)

NAME_PART_MESSAGE = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
    "'123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MESSAGE = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', "
    "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
    "or 'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
OPERATORS = "in, notin, =, ==, !=, gt, lt"


# -- label selector text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "requirements", "canonical"),
    [
        ("", [], ""),
        ("a=b", [("a", Operator.EQUALS, ("b",))], "a=b"),
        ("a==b", [("a", Operator.DOUBLE_EQUALS, ("b",))], "a==b"),
        ("a!=b", [("a", Operator.NOT_EQUALS, ("b",))], "a!=b"),
        ("a=", [("a", Operator.EQUALS, ("",))], "a="),
        ("a", [("a", Operator.EXISTS, ())], "a"),
        ("!a", [("a", Operator.DOES_NOT_EXIST, ())], "!a"),
        ("x in (b,a)", [("x", Operator.IN, ("a", "b"))], "x in (a,b)"),
        ("x notin ()", [("x", Operator.NOT_IN, ("",))], "x notin ()"),
        ("x in (a,a)", [("x", Operator.IN, ("a",))], "x in (a)"),
        ("x in (foo,,baz)", [("x", Operator.IN, ("", "baz", "foo"))], "x in (,baz,foo)"),
        ("x in (,a)", [("x", Operator.IN, ("", "a"))], "x in (,a)"),
        ("x in (a,)", [("x", Operator.IN, ("", "a"))], "x in (,a)"),
        ("in in (in)", [("in", Operator.IN, ("in",))], "in in (in)"),
        ("notin notin (notin)", [("notin", Operator.NOT_IN, ("notin",))], "notin notin (notin)"),
        ("n>1", [("n", Operator.GREATER_THAN, ("1",))], "n>1"),
        ("n<10", [("n", Operator.LESS_THAN, ("10",))], "n<10"),
        (
            " b = 1 ,\ta\n, !c ",
            [
                ("a", Operator.EXISTS, ()),
                ("b", Operator.EQUALS, ("1",)),
                ("c", Operator.DOES_NOT_EXIST, ()),
            ],
            "a,b=1,!c",
        ),
        (
            "example.com/app=web,app.kubernetes.io/name in (x)",
            [
                ("app.kubernetes.io/name", Operator.IN, ("x",)),
                ("example.com/app", Operator.EQUALS, ("web",)),
            ],
            "app.kubernetes.io/name in (x),example.com/app=web",
        ),
        (
            "a=1,a=2",
            [("a", Operator.EQUALS, ("1",)), ("a", Operator.EQUALS, ("2",))],
            "a=1,a=2",
        ),
    ],
)
def test_parse(
    text: str, requirements: list[tuple[str, Operator, tuple[str, ...]]], canonical: str
) -> None:
    selector = parse_label_selector(text)
    assert [(r.key, r.operator, r.values) for r in selector.requirements] == requirements
    assert str(selector) == canonical
    assert parse_label_selector(canonical) == selector


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a b", f"unable to parse requirement: found 'b', expected: {OPERATORS}"),
        ("a=b,", "found '', expected: identifier after ','"),
        ("a=b,,c", "found ',', expected: identifier after ','"),
        (",a", "found ',', expected: !, identifier, or 'end of string'"),
        ("=a", "found '=', expected: !, identifier, or 'end of string'"),
        ("(a)", "found '(', expected: !, identifier, or 'end of string'"),
        ("!=a", "found '!=', expected: !, identifier, or 'end of string'"),
        ("a=b c", "found 'c', expected: ',' or 'end of string'"),
        ("!a=b", "found '=', expected: ',' or 'end of string'"),
        ("a=b=c", "found '=', expected: ',' or 'end of string'"),
        ("!", "unable to parse requirement: found '', expected: identifier"),
        ("!!a", "unable to parse requirement: found '!', expected: identifier"),
        ("a=(", "unable to parse requirement: found '(', expected: identifier"),
        ("a in", "unable to parse requirement: found '' expected: '('"),
        ("x in a", "unable to parse requirement: found 'a' expected: '('"),
        ("x in (a", "unable to parse requirement: found '', expected: ',' or ')'"),
        ("x in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("x in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier"),
        ("x in (a,=)", "unable to parse requirement: found '=', expected: ',', or identifier"),
        ("x in (", "unable to parse requirement: found '', expected: ',', ')' or identifier"),
        ("x in ((", "unable to parse requirement: found '(', expected: ',', ')' or identifier"),
        (
            "a@b",
            f'unable to parse requirement: <nil>: Invalid value: "a@b": {NAME_PART_MESSAGE}',
        ),
        (
            "a=b@",
            "unable to parse requirement: values[0][a]: Invalid value: "
            f'"b@": {LABEL_VALUE_MESSAGE}',
        ),
        (
            "n>x",
            "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' "
            "operators, the value must be an integer",
        ),
        (
            "n>-1",
            "unable to parse requirement: values[0][n]: Invalid value: "
            f'"-1": {LABEL_VALUE_MESSAGE}',
        ),
        (
            "n>99999999999999999999",
            "unable to parse requirement: values[0]: Invalid value: "
            "\"99999999999999999999\": for 'Gt', 'Lt' operators, the value must be an integer",
        ),
    ],
)
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_label_selector(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "labels", "matches"),
    [
        ("", {}, True),
        ("a=b", {"a": "b"}, True),
        ("a=b", {"a": "c"}, False),
        ("a=b", {}, False),
        ("a==b", {"a": "b", "x": "y"}, True),
        ("a!=b", {"a": "c"}, True),
        ("a!=b", {}, True),
        ("a!=b", {"a": "b"}, False),
        ("a=", {"a": ""}, True),
        ("a=", {}, False),
        ("a in (x,y)", {"a": "y"}, True),
        ("a in (x,y)", {"a": "z"}, False),
        ("a in (x,y)", {}, False),
        ("a notin (x)", {"a": "y"}, True),
        ("a notin (x)", {}, True),
        ("a notin (x)", {"a": "x"}, False),
        ("a", {"a": ""}, True),
        ("a", {"b": "a"}, False),
        ("!a", {}, True),
        ("!a", {"a": "x"}, False),
        ("n>2", {"n": "3"}, True),
        ("n>2", {"n": "2"}, False),
        ("n>2", {"n": "x"}, False),
        ("n>2", {}, False),
        ("n<2", {"n": "-5"}, True),
        ("a=b,c", {"a": "b", "c": ""}, True),
        ("a=b,c", {"a": "b"}, False),
    ],
)
def test_matches(text: str, labels: dict[str, str], matches: bool) -> None:
    assert parse_label_selector(text).matches(labels) is matches


def test_everything_and_nothing() -> None:
    assert EVERYTHING.matches({})
    assert EVERYTHING.empty
    assert not NOTHING.matches({})
    assert not NOTHING.empty
    assert str(NOTHING) == ""


def test_selector_from_labels() -> None:
    selector = Selector.from_labels({"b": "2", "a": "1"})
    assert str(selector) == "a=1,b=2"
    assert selector.matches({"a": "1", "b": "2", "c": "3"})


# -- requirements checked as Kubernetes checks them --------------------------------------


@pytest.mark.parametrize(
    ("key", "operator", "values", "message"),
    [
        (
            "a",
            Operator.IN,
            None,
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
            "can't be empty",
        ),
        (
            "a",
            Operator.NOT_IN,
            [],
            "values: Invalid value: []string{}: for 'in', 'notin' operators, values set "
            "can't be empty",
        ),
        (
            "a",
            Operator.EQUALS,
            ["x", "y"],
            'values: Invalid value: []string{"x", "y"}: exact-match compatibility requires '
            "one single value",
        ),
        (
            "a",
            Operator.EXISTS,
            ["x"],
            'values: Invalid value: []string{"x"}: values set must be empty for exists and '
            "does not exist",
        ),
        (
            "a",
            Operator.GREATER_THAN,
            ["1", "2"],
            "values: Invalid value: []string{\"1\", \"2\"}: for 'Gt', 'Lt' operators, "
            "exactly one value is required",
        ),
        ("a b", Operator.EXISTS, [], f'key: Invalid value: "a b": {NAME_PART_MESSAGE}'),
        (
            "",
            Operator.IN,
            ["-"],
            '[key: Invalid value: "": name part must be non-empty; '
            f"{NAME_PART_MESSAGE}, "
            f'values[0][]: Invalid value: "-": {LABEL_VALUE_MESSAGE}]',
        ),
    ],
)
def test_requirement_errors(
    key: str, operator: Operator, values: list[str] | None, message: str
) -> None:
    with pytest.raises(SelectorError) as caught:
        Requirement.new(key, operator, values)
    assert str(caught.value) == message


# -- LabelSelector objects -----------------------------------------------------------------


def test_label_selector_object() -> None:
    selector = selector_from_label_selector(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["b", "a"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "gpu", "operator": "Exists"},
                {"key": "spot", "operator": "DoesNotExist"},
            ],
        }
    )
    assert str(selector) == "app=web,env notin (prod),gpu,!spot,tier in (a,b)"
    assert selector.matches({"app": "web", "tier": "a", "gpu": "1"})
    assert not selector.matches({"app": "web", "tier": "a", "gpu": "1", "spot": ""})
    assert not selector.matches({"app": "web", "tier": "c", "gpu": "1"})
    assert selector == parse_label_selector(str(selector))


def test_label_selector_absent_and_empty() -> None:
    assert selector_from_label_selector(None) is NOTHING
    assert selector_from_label_selector({}) == EVERYTHING
    assert selector_from_label_selector({"matchLabels": {}, "matchExpressions": []}).empty


@pytest.mark.parametrize(
    ("label_selector", "message"),
    [
        (
            {"matchExpressions": [{"key": "a", "operator": "Near"}]},
            '"Near" is not a valid label selector operator',
        ),
        (
            {"matchExpressions": [{"key": "a", "operator": "In"}]},
            "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set "
            "can't be empty",
        ),
        (
            {"matchLabels": {"a": "b c"}},
            f'values[0][a]: Invalid value: "b c": {LABEL_VALUE_MESSAGE}',
        ),
        ({"matchLabels": ["a"]}, "matchLabels must be a map and matchExpressions a list"),
        ({"matchExpressions": ["a"]}, "each of matchExpressions must be an object"),
        (
            {"matchExpressions": [{"key": "a", "operator": "In", "values": 3}]},
            "matchExpressions values must be a list",
        ),
    ],
)
def test_label_selector_object_errors(label_selector: dict[str, object], message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        selector_from_label_selector(label_selector)
    assert str(caught.value) == message


# -- round trips ------------------------------------------------------------------------------

_NAME = st.from_regex(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?", fullmatch=True)
_KEY = st.one_of(_NAME, st.builds(lambda p, n: f"{p}/{n}", st.sampled_from(["a.io", "x"]), _NAME))
_VALUE = st.one_of(st.just(""), _NAME)
_REQUIREMENT = st.one_of(
    st.builds(
        lambda k, op, v: Requirement.new(k, op, [v]),
        _KEY,
        st.sampled_from([Operator.EQUALS, Operator.DOUBLE_EQUALS, Operator.NOT_EQUALS]),
        _VALUE,
    ),
    st.builds(
        lambda k, op, vs: Requirement.new(k, op, sorted(vs)),
        _KEY,
        st.sampled_from([Operator.IN, Operator.NOT_IN]),
        st.sets(_VALUE, min_size=1, max_size=4),
    ),
    st.builds(
        lambda k, op: Requirement.new(k, op, []),
        _KEY,
        st.sampled_from([Operator.EXISTS, Operator.DOES_NOT_EXIST]),
    ),
    st.builds(
        lambda k, op, n: Requirement.new(k, op, [str(n)]),
        _KEY,
        st.sampled_from([Operator.GREATER_THAN, Operator.LESS_THAN]),
        st.integers(min_value=0, max_value=10**6),
    ),
)


@given(st.lists(_REQUIREMENT, max_size=5))
def test_label_selector_text_round_trip(requirements: list[Requirement]) -> None:
    selector = Selector.of(requirements)
    assert parse_label_selector(str(selector)) == selector


@given(
    st.lists(_REQUIREMENT, max_size=4),
    st.dictionaries(_KEY, _VALUE, max_size=4),
)
def test_parsed_selector_matches_like_the_original(
    requirements: list[Requirement], labels: dict[str, str]
) -> None:
    selector = Selector.of(requirements)
    assert parse_label_selector(str(selector)).matches(labels) == selector.matches(labels)


@given(st.dictionaries(_KEY, _VALUE, max_size=5))
def test_selector_from_labels_matches_its_labels(labels: dict[str, str]) -> None:
    assert Selector.from_labels(labels).matches(labels)


# -- field selectors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "requirements", "canonical"),
    [
        ("", [], ""),
        ("metadata.name=x", [("metadata.name", FieldOperator.EQUALS, "x")], "metadata.name=x"),
        ("a==x", [("a", FieldOperator.EQUALS, "x")], "a=x"),
        ("a!=x", [("a", FieldOperator.NOT_EQUALS, "x")], "a!=x"),
        ("a=", [("a", FieldOperator.EQUALS, "")], "a="),
        (
            "status.phase!=Running,spec.nodeName=n1",
            [
                ("spec.nodeName", FieldOperator.EQUALS, "n1"),
                ("status.phase", FieldOperator.NOT_EQUALS, "Running"),
            ],
            "spec.nodeName=n1,status.phase!=Running",
        ),
        ("a=x\\,y\\=z\\\\", [("a", FieldOperator.EQUALS, "x,y=z\\")], "a=x\\,y\\=z\\\\"),
        ("a=x,,b=y", [("a", FieldOperator.EQUALS, "x"), ("b", FieldOperator.EQUALS, "y")], None),
        ("a=!x", [("a", FieldOperator.EQUALS, "!x")], "a=!x"),
        ("=x", [("", FieldOperator.EQUALS, "x")], "=x"),
    ],
)
def test_field_selector_parse(
    text: str, requirements: list[tuple[str, FieldOperator, str]], canonical: str | None
) -> None:
    selector = parse_field_selector(text)
    assert [(r.field, r.operator, r.value) for r in selector.requirements] == requirements
    if canonical is not None:
        assert str(selector) == canonical
        assert parse_field_selector(canonical) == selector


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "invalid selector: 'a'; can't understand 'a'"),
        ("z=1,b", "invalid selector: 'z=1,b'; can't understand 'b'"),
        ("a=b\\x", "invalid field selector: invalid escape sequence: \\x"),
        ("a=b\\", "invalid field selector: invalid escape sequence: \\"),
        ("a=b=c", "invalid field selector: unescaped character in value: 61"),
        ("a\\=b=c", "invalid field selector: unescaped character in value: 61"),
    ],
)
def test_field_selector_errors(text: str, message: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_field_selector(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "fields", "matches"),
    [
        ("", {}, True),
        ("metadata.name=x", {"metadata.name": "x"}, True),
        ("metadata.name=x", {"metadata.name": "y"}, False),
        ("a=", {}, True),
        ("a!=", {}, False),
        ("a!=x", {}, True),
        ("a=x,b!=y", {"a": "x", "b": "z"}, True),
        ("a=x,b!=y", {"a": "x", "b": "y"}, False),
    ],
)
def test_field_selector_matches(text: str, fields: dict[str, str], matches: bool) -> None:
    assert parse_field_selector(text).matches(fields) is matches


def test_field_selector_unsupported_fields() -> None:
    selector = parse_field_selector("spec.nodeName=n,metadata.name=x,foo=1,bar!=2,foo=3")
    supported = {"metadata.name", "metadata.namespace", "spec.nodeName"}
    assert selector.unsupported(supported) == ("bar", "foo")
    assert parse_field_selector("metadata.name=x").unsupported(supported) == ()


def test_field_selector_exact_value() -> None:
    selector = parse_field_selector("metadata.namespace!=a,metadata.name==x")
    assert selector.exact_value("metadata.name") == "x"
    assert selector.exact_value("metadata.namespace") is None
    assert parse_field_selector("").empty


def test_field_requirement_str_escapes() -> None:
    assert str(FieldRequirement("a", FieldOperator.NOT_EQUALS, "x=y")) == "a!=x\\=y"


@given(st.text())
def test_field_value_escape_round_trip(value: str) -> None:
    assert unescape_field_value(escape_field_value(value)) == value


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-zA-Z.]{1,12}", fullmatch=True),
            st.sampled_from(list(FieldOperator)),
            st.text(max_size=8),
        ),
        max_size=4,
    )
)
def test_field_selector_text_round_trip(terms: list[tuple[str, FieldOperator, str]]) -> None:
    text = ",".join(str(FieldRequirement(*term)) for term in terms)
    selector = parse_field_selector(text)
    assert sorted((r.field, r.operator, r.value) for r in selector.requirements) == sorted(
        (field, op, value) for field, op, value in terms
    )
    assert parse_field_selector(str(selector)) == selector
