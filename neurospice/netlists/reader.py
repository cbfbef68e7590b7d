"""neurospice's own reader of SPICE text it did not write: every line that reaches ngspice passes through here.

A netlist from someone else is untrusted input. ngspice itself runs more than circuits: a
``.control`` block, and any comment line that begins ``*#`` (indented or not, in any case), are
commands of its control language (``shell``, ``write``, ``set``...); ``.include``/``.lib`` read any
file; ``.osdi`` and XSPICE code models load or read files. So neurospice never hands a user's
file to ngspice. It reads the file and every file it includes itself, keeps only what an
allow-list accepts, and the deck is written from what was read:

- lines are split at every line break Python knows (``\\n``, ``\\r``, ``\\v``, ``\\f``, U+0085,
  U+2028, U+2029...), ``+`` continuations joined, leading blanks dropped;
- comments are dropped: ``*`` lines (a ``*#`` line, an ngspice command, with a note), ``$`` and
  ``//`` after a blank, ``;`` anywhere outside quotes and braces;
- ``.control``/``.exec`` ... ``.endc`` blocks are removed (noted); ``.lib NAME`` ... ``.endl``
  section definitions of a file read whole are skipped (noted);
- analysis cards and measures (``.op``, ``.dc``, ``.ac``, ``.tran``, ``.meas``, and the same commands
  inside a ``.control`` block) are kept apart as data for :mod:`.analyses` to parse and rewrite;
  output and option cards (``.save``, ``.option``, ``.print``...) are removed (noted);
- ``.include``/``.inc``/``.lib`` of a PDK's model file (by its file name: ``sky130.lib.spice``,
  ``sm141064.ngspice``, ``design.ngspice``) is replaced by the technology's own verified files,
  which are never read from the path written; any other file must lie inside the netlist's own
  folder tree or a folder the user names (``--include-dir``), is not hidden, and is read with
  this same reader and inlined (at most :data:`MAX_DEPTH` deep, never itself);
- what remains must be an element line whose letter is in :data:`ELEMENTS` or a card in
  :data:`CARDS`, with no control character; ``.model`` types must be in :data:`MODEL_TYPES`;
- anything else is refused with :class:`NetlistImportError`, naming the file, its line and why.
  A refused line of the user's own netlist is quoted; a line of an included file never is
  (an include may name any text file, and its content must not leak into a message).

:func:`neurospice.netlists.gate.check_deck` checks the finished deck again before every load.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..ngspice_models.gf180mcu import DEVICE_SECTIONS as GF180_SECTIONS
from ..params import ParameterError
from ..params.units import parse_si

__all__ = [
    "CARDS",
    "DEVICE_SECTIONS",
    "DROPPED",
    "ELEMENTS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MODEL_TYPES",
    "PDK_FILES",
    "TRANSISTOR_CORNERS",
    "TRANSISTOR_SECTIONS",
    "NetlistImportError",
    "SourceLine",
    "SpiceSource",
    "pdk_file",
    "read_spice",
    "spice_lines",
]

#: PDK model files a netlist may load from wherever its author keeps them (replaced, never read)
PDK_FILES = {"sky130.lib.spice": "sky130", "sm141064.ngspice": "gf180mcu", "design.ngspice": "gf180mcu"}
#: sky130's files as xschem's model block includes them, by their path inside the PDK tree (any prefix):
#: ``corners/tt.spice``, ``corners/tt/specialized_cells.spice``, ``r+c/res_typical__cap_typical[__lin].spice``
_SKY130_TREE = re.compile(
    r"(?:^|/)(?:corners/(?P<corner>[a-z]{2})(?:\.spice|/[\w.+-]+\.spice)"
    r"|r\+c/res_(?P<res>[a-z]+)__cap_(?P<cap>[a-z]+)(?:__lin)?\.spice)$"
)
#: the sections of a PDK library the technology loads for its transistors at the typical corner (nominal or
#: with mismatch)
TRANSISTOR_SECTIONS = {"gf180mcu": ("typical",), "sky130": ("tt", "tt_mm")}
#: the process corners a netlist's model line may name (sky130's also with ``_mm``): the run's default corner
TRANSISTOR_CORNERS = {"gf180mcu": ("typical", "ff", "ss", "fs", "sf"), "sky130": ("tt", "ff", "ss", "sf", "fs")}
_GF180_DEVICE_CORNER = re.compile(r"^(mimcap|res|moscap|diode|bjt)_(?:typical|ff|ss)$")
#: the other sections a netlist may ask for, loaded from the same verified file (sky130's tt holds them all)
DEVICE_SECTIONS = {"gf180mcu": GF180_SECTIONS, "sky130": ()}
#: element letters kept. Not ``A`` (XSPICE code models: ``filesource``, ``d_source``... read files)
#: nor ``N`` (OSDI devices: a shared library ngspice would have to load)
ELEMENTS = frozenset("BCDEFGHIJKLMOPQRSTUVWXYZ")
#: dot cards kept as circuit description
CARDS = frozenset({"subckt", "ends", "global", "model", "func", "param", "ic", "nodeset"})
#: dot cards removed with a note: neurospice writes its own analysis, options and outputs
DROPPED = frozenset(
    {
        "noise",
        "save",
        "option",
        "options",
        "opt",
        "probe",
        "print",
        "plot",
        "end",
        "four",
        "tf",
        "sens",
        "pz",
        "disto",
        "width",
        "title",
        "csparam",
        "pss",
        "sp",
    }
)
#: ``.model`` types accepted (SPICE's own devices; none reads a file)
MODEL_TYPES = frozenset(
    {
        "r",
        "res",
        "c",
        "cap",
        "l",
        "ind",
        "d",
        "npn",
        "pnp",
        "njf",
        "pjf",
        "nmos",
        "pmos",
        "nmf",
        "pmf",
        "nhfet",
        "phfet",
        "sw",
        "csw",
        "urc",
        "ltra",
        "txl",
        "cpl",
        "vdmos",
    }
)
#: why some cards are refused rather than removed
REFUSED = {
    "osdi": "loads a shared library (OSDI); not accepted in a netlist",
    "if": "a conditional netlist (.if/.elseif/.else/.endif) is not accepted; resolve it in the netlist",
    "elseif": "a conditional netlist (.if/.elseif/.else/.endif) is not accepted; resolve it in the netlist",
    "else": "a conditional netlist (.if/.elseif/.else/.endif) is not accepted; resolve it in the netlist",
    "endif": "a conditional netlist (.if/.elseif/.else/.endif) is not accepted; resolve it in the netlist",
    "endl": ".endl without its .lib section",
}
MAX_DEPTH = 8
MAX_BYTES = 20_000_000
_BLOCKS = ("control", "exec")
_ANALYSES = ("op", "dc", "ac", "tran")
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_COMMAND_COMMENT = re.compile(r"^\*\s*#")
_MODEL_NAME = re.compile(r"^[A-Za-z_][\w.\-+]*$")


class NetlistImportError(ParameterError):
    """A user netlist that cannot be embedded: the message names the file, the line and why."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        where = f"{path}" + (f", line {line}" if line is not None else "")
        super().__init__("circuit", f"{where}: {message}")


@dataclass(frozen=True)
class SourceLine:
    """A logical line as read: its file, first physical line there, text (no comment, no leading blank)."""

    path: Path
    number: int
    text: str
    #: from the user's own netlist (its text may be quoted in a message); False: from an included file
    own: bool = True
    #: the line of the user's netlist it comes from (its own number, or the include that brought it in)
    anchor: int = 0

    @property
    def where(self) -> str:
        """``line N`` in the user's netlist, ``FILE line N`` in an included file."""
        return f"line {self.number}" if self.own else f"{self.path.name} line {self.number}"

    def fail(self, message: str) -> NetlistImportError:
        """The error for this line: its own text quoted only when the user's netlist holds it."""
        quoted = f": {self.text[:60]!r}" if self.own else ""
        return NetlistImportError(self.path, self.number, message + quoted)

    def show(self, words: str) -> str:
        """``words`` taken from this line, for a message: only when the user's own netlist holds them."""
        return words if self.own else "(text of an included file, not shown)"


@dataclass(frozen=True)
class SpiceSource:
    """What :func:`read_spice` read: the lines kept (includes inlined), the PDK model files named, notes."""

    path: Path
    lines: tuple[SourceLine, ...]
    #: (line, technology) of every PDK model file the netlist loads (replaced by the technology's own)
    pdk: tuple[tuple[SourceLine, str], ...]
    #: what was changed, each with the line of the user's netlist it belongs to (to be read in that order)
    notes: tuple[tuple[int, str], ...]
    #: every file read, the netlist first (for provenance: a resume refuses a changed include)
    files: tuple[Path, ...] = field(default_factory=tuple)
    #: the PDK sections besides the transistors' that the netlist loads (:data:`DEVICE_SECTIONS`), in order
    sections: tuple[str, ...] = ()
    #: the analysis lines it asks for (cards and ``.control`` commands, read as data: :mod:`.analyses` parses them)
    analyses: tuple[SourceLine, ...] = ()
    #: its measure lines (``.meas`` cards and ``meas`` commands)
    measures: tuple[SourceLine, ...] = ()
    #: the process corner its model lines name (None: the typical one)
    corner: str | None = None
    #: the temperature its ``.temp`` card sets, °C (None: none)
    temp: float | None = None


def pdk_file(target: str) -> tuple[str, str | None] | None:
    """``(technology, the corner the file stands for)`` when ``target`` is a PDK model file, named by its own name
    (``sm141064.ngspice``) or by its path inside the PDK tree (sky130's ``corners/tt.spice``); None otherwise."""
    name = Path(target).name.lower()
    if name in PDK_FILES:
        return PDK_FILES[name], None
    path = target.replace("\\", "/").lower()
    found = _SKY130_TREE.search(path) if "sky130" in path else None
    if found is None:
        return None
    if found.group("corner"):
        return "sky130", found.group("corner")
    typical = found.group("res") == found.group("cap") == "typical"
    return "sky130", "tt" if typical else f"res_{found.group('res')}__cap_{found.group('cap')}"


def read_spice(path: str | Path, include_dirs: tuple[str | Path, ...] = ()) -> SpiceSource:
    """Read netlist ``path`` and everything it includes (see the module's rules).

    ``include_dirs`` are folders, besides the netlist's own folder tree, that includes may read from.
    """
    path = Path(path)
    roots = [path.resolve().parent]
    for folder in include_dirs:
        resolved = Path(folder).expanduser().resolve()
        if not resolved.is_dir():
            raise ParameterError("include_dir", f"{folder}: not a folder; accepted: folders a netlist may include from")
        roots.append(resolved)
    reader = _Reader(tuple(roots))
    lines = reader.file(path, top=True, chain=())
    return SpiceSource(
        path,
        tuple(lines),
        tuple(reader.pdk),
        tuple(reader.notes),
        tuple(reader.files),
        tuple(reader.sections),
        tuple(reader.analyses),
        tuple(reader.measures),
        reader.corners[0][1] if reader.corners else None,
        reader.temps[-1] if reader.temps else None,
    )


class _Reader:
    def __init__(self, roots: tuple[Path, ...]) -> None:
        self.roots = roots
        self.notes: list[tuple[int, str]] = []
        self.anchor = 0
        self.pdk: list[tuple[SourceLine, str]] = []
        self.sections: list[str] = []
        #: the temperatures its ``.temp`` cards set (the last one is the run's default)
        self.temps: list[float] = []
        #: the process corners its model lines name besides the typical one (the run's default corner)
        self.corners: list[tuple[SourceLine, str]] = []
        #: the analyses the netlist asks for (``.op/.dc/.ac/.tran`` cards, the same commands of its ``.control``)
        self.analyses: list[SourceLine] = []
        #: its measures (``.meas``/``.measure`` cards, ``meas`` commands of its ``.control``), in order
        self.measures: list[SourceLine] = []
        self.files: list[Path] = []
        self.size = 0

    def note(self, line: SourceLine, text: str, end: int | None = None) -> None:
        span = f"-{end}" if end is not None else ""
        self.notes.append((line.number if line.own else self.anchor, f"{line.where}{span}: {text}"))

    def file(self, path: Path, top: bool, chain: tuple[Path, ...], section: str | None = None) -> list[SourceLine]:
        """The kept lines of ``path`` (the whole file, or only ``.lib section`` ... ``.endl``)."""
        text = self._text(path)
        self.files.append(path)
        logical, commands = _logical(path, text, own=top)
        for number in commands:
            where = f"line {number}" if top else f"{path.name} line {number}"
            self.notes.append(
                (number if top else self.anchor, f"{where}: a '*#' comment (an ngspice control command) removed")
            )
        if top:
            logical = logical[1:]  # the first line is the title
        if section is not None:
            logical = self._section(path, logical, section)
        return self._lines(logical, (*chain, path.resolve()))

    def _text(self, path: Path) -> str:
        if not path.is_file():
            raise NetlistImportError(path, None, "no such file")
        data = path.read_bytes()
        self.size += len(data)
        if self.size > MAX_BYTES:
            raise NetlistImportError(path, None, f"the netlist and its includes exceed {MAX_BYTES} bytes")
        if b"\x00" in data:
            raise NetlistImportError(path, None, "a binary file, not a SPICE netlist")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")

    def _section(self, path: Path, lines: list[SourceLine], section: str) -> list[SourceLine]:
        found: list[SourceLine] = []
        inside = False
        for line in lines:
            words = line.text.split()
            head = words[0].lower()
            if head == ".lib" and len(words) == 2 and words[1].lower() == section.lower():
                inside = True
            elif inside and head == ".endl":
                return found
            elif inside:
                found.append(line)
        raise NetlistImportError(path, None, "no such section (.lib NAME ... .endl) as the .lib line asks for")

    def _lines(self, lines: list[SourceLine], chain: tuple[Path, ...]) -> list[SourceLine]:
        kept: list[SourceLine] = []
        block: tuple[SourceLine, str] | None = None
        for line in lines:
            if line.own:
                self.anchor = line.number
            head = line.text.split()[0].lower()
            word = head[1:] if head.startswith(".") else ""
            if block is not None:
                block = self._in_block(line, head, word, block)
            elif word in _BLOCKS:
                block = (line, word)
            elif word == "lib" and len(line.text.split()) == 2:
                block = (line, "lib")
            elif word in ("include", "inc", "lib"):
                kept += [replace(inner, anchor=self.anchor) for inner in self._include(line, chain)]
            elif word == "endc":
                self.note(line, ".endc without .control removed")
            elif word in _ANALYSES or word in ("meas", "measure"):
                self._analysis(line, word)
            elif word == "temp":
                self._temperature(line)
            elif word in DROPPED:
                self.note(line, f".{word} removed")
            elif word in REFUSED:
                raise line.fail(f".{word} {REFUSED[word]}")
            else:
                kept.append(replace(_checked(line), anchor=self.anchor))
        if block is not None:
            start, kind = block
            raise start.fail(f".{kind} without {'.endl' if kind == 'lib' else '.endc'}")
        return kept

    def _in_block(
        self, line: SourceLine, head: str, word: str, block: tuple[SourceLine, str]
    ) -> tuple[SourceLine, str] | None:
        """A line inside a ``.control`` block or a skipped ``.lib`` section: the block's analysis and ``meas``
        commands are kept as data (the block itself is never run); the block, or None at its end."""
        start, kind = block
        if kind == "control" and head in _ANALYSES:
            self.analyses.append(line)
        elif kind == "control" and head in ("meas", "measure"):
            self.measures.append(line)
        if word != ("endl" if kind == "lib" else "endc"):
            return block
        what = (
            f".lib {start.show(start.text.split()[1])} section skipped"
            if kind == "lib"
            else f".{kind} block removed (its analyses and measures read as data)"
        )
        self.note(start, what, line.number)
        return None

    def _temperature(self, line: SourceLine) -> None:
        """A ``.temp`` card, read as data: its one number (°C) is the run's default temperature."""
        words = line.text.split()
        try:
            celsius = parse_si(words[1]) if len(words) == 2 else math.nan
        except ValueError:
            celsius = math.nan
        if not -55 <= celsius <= 175:
            raise line.fail(".temp: one temperature in [-55, 175] °C is expected")
        self.temps.append(celsius)
        self.note(line, f".temp read: the run's default temperature is {celsius:g} °C (--set temp=... changes it)")

    def _analysis(self, line: SourceLine, word: str) -> None:
        """An analysis card or a measure, kept as data (:mod:`.analyses` parses it)."""
        if word in ("meas", "measure"):
            self.measures.append(line)
            return
        self.analyses.append(line)
        if word == "tran":
            self.note(line, ".tran read: the default length and step (a description's tstop or --tstop overrides)")
        else:
            self.note(line, f".{word} read: neurospice runs it")

    def _include(self, line: SourceLine, chain: tuple[Path, ...]) -> list[SourceLine]:
        words = _path_words(line)
        card = words[0]
        if len(words) < 2:
            raise line.fail(f"{card} without a file")
        target = words[1]
        said = f"{card} {line.show(target)}"
        found = pdk_file(target)
        if found is not None:
            tech, corner = found
            section = words[2].lower() if card.lower() == ".lib" and len(words) > 2 else corner
            loads = self._pdk_section(line, tech, section, said)
            self.pdk.append((line, tech))
            self.note(line, f"{said} replaced by the technology's own verified models{loads}")
            if Path(target).name.lower() == "design.ngspice":
                self.note(
                    line,
                    "design.ngspice turns gf180mcu's global and mismatch variation on by default (each plain "
                    "ngspice run is a random sample): neurospice's nominal runs turn both off, Monte Carlo per mode",
                )
            return []
        if card.lower() == ".lib" and len(words) != 3:
            raise line.fail(f"{said}: a library file and one section are expected")
        resolved = self._resolve(line, target, said)
        if resolved in chain:
            raise line.fail(f"{said}: the file includes itself")
        if len(chain) > MAX_DEPTH:
            raise line.fail(f"{said}: includes nested deeper than {MAX_DEPTH} files")
        section = words[2] if card.lower() == ".lib" else None
        self.note(line, f"{said} read and inlined by neurospice")
        return self.file(resolved, top=False, chain=chain, section=section)

    def _pdk_section(self, line: SourceLine, tech: str, section: str | None, said: str) -> str:
        """Check the section (or corner) a PDK model line asks for; what the note adds about it."""
        if section is None or section in TRANSISTOR_SECTIONS[tech]:
            return ""
        corner = section.removesuffix("_mm") if tech == "sky130" else section
        if corner in TRANSISTOR_CORNERS[tech]:
            earlier = next((c for _, c in self.corners if c != corner), None)
            if earlier is not None:
                raise line.fail(f"{said}: corner {corner} after corner {earlier}; accepted: one process corner")
            self.corners.append((line, corner))
            return f" (its corner {corner}: the run's default corner, --set corner=... changes it)"
        device = _GF180_DEVICE_CORNER.match(section) if tech == "gf180mcu" else None
        if device is not None:
            typical = f"{device.group(1)}_typical"
            if typical not in self.sections:
                self.sections.append(typical)
            return f" (its section {device.group(1)} too, at the run's corner)"
        accepted = ", ".join((*TRANSISTOR_CORNERS[tech], *DEVICE_SECTIONS[tech]))
        raise line.fail(f"{said}: section or corner {line.show(repr(section))}; accepted: {accepted}")

    def _resolve(self, line: SourceLine, target: str, said: str) -> Path:
        """The file an include names, if it lies inside an allowed folder (checked before it is opened)."""
        if _CONTROL_CHAR.search(target) or target.startswith("~"):
            raise NetlistImportError(line.path, line.number, f"{said}: a path neurospice does not accept")
        candidate = (line.path.resolve().parent / target).resolve()
        root = next((r for r in self.roots if candidate.is_relative_to(r)), None)
        if root is None:
            allowed = " and ".join(str(r) for r in self.roots)
            raise NetlistImportError(
                line.path,
                line.number,
                f"{said}: outside the folders a netlist may include from ({allowed}; "
                "more with --include-dir), and not a PDK model file neurospice knows "
                f"({', '.join(PDK_FILES)})",
            )
        if any(part.startswith(".") for part in candidate.relative_to(root).parts):
            raise NetlistImportError(line.path, line.number, f"{said}: a hidden file or folder; not read")
        if not candidate.is_file():
            raise NetlistImportError(
                line.path,
                line.number,
                f"{said}: no such file, and not a PDK model file neurospice knows ({', '.join(PDK_FILES)})",
            )
        return candidate


def _path_words(line: SourceLine) -> list[str]:
    """An include card's words with its quoted path as one word, quotes removed."""
    match = re.match(r"^(\S+)\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s*(.*)$", line.text)
    if match is None:
        return line.text.split()
    card, q1, q2, bare, rest = match.groups()
    return [card, next(p for p in (q1, q2, bare) if p is not None), *rest.split()]


def _checked(line: SourceLine) -> SourceLine:
    """An element or kept card, checked against the allow-list."""
    if _CONTROL_CHAR.search(line.text):
        raise line.fail("a control character in the line")
    head = line.text.split()[0]
    if head.startswith("."):
        if head[1:].lower() not in CARDS:
            raise line.fail(f"{line.show(head)} is not supported")
        if head.lower() == ".model":
            _check_model(line)
        return line
    letter = head[0].upper()
    if letter == "A":
        raise line.fail(
            f"element {line.show(head)}: XSPICE code-model instances (A...) are not accepted "
            "(code models can read files)"
        )
    if letter == "N":
        raise line.fail(
            f"element {line.show(head)}: OSDI device instances (N...) are not accepted (they need a shared library)"
        )
    if letter not in ELEMENTS:
        raise line.fail("not a SPICE element or command")
    return line


def _check_model(line: SourceLine) -> None:
    words = re.split(r"[\s(]+", line.text, maxsplit=3)
    if len(words) < 3 or not _MODEL_NAME.match(words[1]):
        raise line.fail(".model needs a name and a type")
    if words[2].lower() not in MODEL_TYPES:
        raise line.fail(
            f".model {line.show(words[1])}: type {line.show(repr(words[2]))} is not accepted "
            f"(accepted: SPICE's device models: {', '.join(sorted(MODEL_TYPES))})"
        )


def spice_lines(text: str) -> list[str]:
    """The logical lines of SPICE text, as this reader sees them (comments dropped, ``+`` continuations joined,
    leading blanks removed); for neurospice's own netlist files, which need no allow-list."""
    return [line.text for line in _logical(Path("<text>"), text, own=False)[0]]


def _logical(path: Path, text: str, own: bool) -> tuple[list[SourceLine], list[int]]:
    """Logical lines of ``text`` (comments dropped, ``+`` continuations joined, leading blanks removed) and the
    numbers of the ``*#`` comment lines (ngspice's control commands) dropped with them.

    The first physical line is kept as it is (for a netlist it is the title, dropped by the caller).
    """
    out: list[SourceLine] = []
    commands: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if number == 1 and own:
            out.append(SourceLine(path, 1, "* title", own))
            continue
        stripped = raw.strip(" \t")
        if stripped.startswith("*") or not stripped:
            if _COMMAND_COMMENT.match(stripped):
                commands.append(number)
            continue
        body = _without_comment(stripped).strip()
        if not body:
            continue
        if body.startswith("+"):
            if not out or (len(out) == 1 and own):
                raise SourceLine(path, number, body, own).fail("a continuation line with nothing to continue")
            prev = out[-1]
            out[-1] = SourceLine(path, prev.number, f"{prev.text} {body[1:].strip()}", own)
            continue
        out.append(SourceLine(path, number, body, own))
    return out, commands


def _without_comment(line: str) -> str:
    """``line`` up to its end-of-line comment: ``;`` anywhere, ``$`` or ``//`` after a blank (not in quotes, braces)."""
    quote = ""
    depth = 0
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and (
            ch == ";"
            or (ch == "$" and i and line[i - 1] in " \t")
            or (line.startswith("//", i) and (i == 0 or line[i - 1] in " \t"))
        ):
            return line[:i]
    return line
