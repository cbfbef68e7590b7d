"""The last check before ngspice (or VACASK) loads a deck: no line of it can be a command.

Every deck neurospice loads, built-in or made from a user's netlist, passes :func:`check_deck`
first (:meth:`neurospice.engines.ngspice.Engine.load` and the VACASK engine call it). It does not clean
anything: it proves that what the reader (:mod:`neurospice.netlists.reader`) and the circuits
wrote holds only circuit description, and refuses the whole deck otherwise:

- no character ngspice could take as a line break or that no netlist needs (controls other than tab,
  U+0085, U+2028, U+2029);
- the title is not ``*ng_script`` (which makes the whole file a control script);
- no comment that begins ``*#`` (after any blanks, with any blanks before ``#``): ngspice runs it;
- every dot card is one neurospice writes (:data:`GATE_CARDS`: no ``.control``, ``.exec``, ``.osdi``,
  ``.if``, ``.endc``...), and ``.include``/``.lib`` name only the technologies' verified model files;
- every other line is an element whose letter the reader accepts, or a ``+`` continuation.

The message names the line number and the rule, never the line's text.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from .reader import CARDS, ELEMENTS

__all__ = ["GATE_CARDS", "UnsafeDeckError", "check_deck"]

#: the dot cards a finished deck may hold: the circuit description and what neurospice adds
GATE_CARDS = CARDS | {"include", "inc", "lib", "options", "option", "tran", "op", "dc", "ac", "end", "temp"}
_FORBIDDEN_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")
_COMMAND_COMMENT = re.compile(r"^\*\s*#")
_INCLUDE = re.compile(r"^\.(?:include|inc|lib)\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))(?:\s+(\S+))?\s*$", re.IGNORECASE)


class UnsafeDeckError(RuntimeError):
    """A deck that holds something ngspice could run or read: it is never loaded (a neurospice bug, not bad input)."""

    def __init__(self, line: int, rule: str) -> None:
        super().__init__(f"deck refused before loading (line {line}: {rule}); nothing was run")
        self.line = line
        self.rule = rule


def check_deck(deck: str, model_files: Collection[Path]) -> None:
    """Raise :class:`UnsafeDeckError` unless every line of ``deck`` is circuit description.

    ``model_files`` are the only files an ``.include``/``.lib`` line may name (the technologies'
    verified model files).
    """
    trusted = {str(Path(p)) for p in model_files}
    lines = deck.split("\n")
    for number, raw in enumerate(lines, start=1):
        _check_line(number, raw.removesuffix("\r") if number == len(lines) else raw, trusted)


def _check_line(number: int, raw: str, trusted: set[str]) -> None:
    if _FORBIDDEN_CHAR.search(raw):
        raise UnsafeDeckError(number, "a control character or line separator")
    line = raw.strip(" \t")
    if number == 1:
        if line.lower().startswith("*ng_script") or _COMMAND_COMMENT.match(line):
            raise UnsafeDeckError(number, "a title that ngspice runs as a script")
        return
    if not line or line.startswith("+"):
        return
    if line.startswith("*"):
        if _COMMAND_COMMENT.match(line):
            raise UnsafeDeckError(number, "a '*#' comment, which ngspice runs as a command")
        return
    if line.startswith("."):
        card = re.split(r"[\s(]", line[1:], maxsplit=1)[0].lower()
        if card not in GATE_CARDS:
            raise UnsafeDeckError(number, f"the card .{card}, which neurospice never writes")
        if card in ("include", "inc", "lib"):
            match = _INCLUDE.match(line)
            path = next((g for g in match.groups()[:3] if g is not None), "") if match else ""
            if path not in trusted:
                raise UnsafeDeckError(number, "an include of a file that is not a verified model file")
        return
    if line[0].upper() not in ELEMENTS:
        raise UnsafeDeckError(number, "neither an element nor a card neurospice writes")
