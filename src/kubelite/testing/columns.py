"""kubectl's column output (``get``, ``api-resources``, describe's event table)
read back into rows, for tests that check what a user would see.

kubectl pads each column to its widest cell and puts at least three spaces
between columns, while a cell may be empty (a pod with no status) and a column
name may hold one space (``NOMINATED NODE``). So the columns are cut where the
header's names start, never split on whitespace::

    NAME   READY   STATUS   RESTARTS   AGE
    web    0/1              0          3s

reads as ``[{"NAME": "web", "READY": "0/1", "STATUS": "", "RESTARTS": "0",
"AGE": "3s"}]``.
"""

from __future__ import annotations

import re

# A column name starts the line or follows at least two spaces.
_NAME_START = re.compile(r"(?:^|(?<=\s\s))\S")


def header(output: str) -> list[str]:
    """The column names of the first line of ``output``."""
    return re.split(r"\s{2,}", output.splitlines()[0].strip())


def rows(output: str) -> list[dict[str, str]]:
    """The lines after the header as ``{column: cell}``; cells are stripped.

    ``output`` is one table with its header on the first line; a common
    indentation (as in ``kubectl describe``) is allowed.
    """
    lines = output.rstrip("\n").splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    lines = [line[indent:] for line in lines]
    starts = [match.start() for match in _NAME_START.finditer(lines[0])]
    ends: list[int | None] = [*starts[1:], None]
    names = [lines[0][s:e].strip() for s, e in zip(starts, ends, strict=True)]
    return [
        {name: line[s:e].strip() for name, s, e in zip(names, starts, ends, strict=True)}
        for line in lines[1:]
    ]
