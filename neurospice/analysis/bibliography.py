"""The one bibliography (``analysis/data/references.bib``), read by key for reports, exports and messages.

The documentation site cites from the same file (sphinxcontrib-bibtex), so a key names the same work in a
docstring, a report, an export document and the site.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

__all__ = ["cite", "keys", "reference"]


@cache
def _entries() -> dict[str, Any]:
    from pybtex.database import parse_string

    text = resources.files("neurospice.analysis").joinpath("data/references.bib").read_text(encoding="utf-8")
    return dict(parse_string(text, "bibtex").entries)


def _plain(latex: str) -> str:
    from pybtex.richtext import Text

    return str(Text.from_latex(latex).render_as("text"))


def _last(person: Any) -> str:
    return _plain(" ".join(person.prelast_names + person.last_names))


def _entry(key: str) -> Any:
    entries = _entries()
    if key not in entries:
        raise KeyError(f"no reference {key!r} in the bibliography; known: {', '.join(sorted(entries))}")
    return entries[key]


def keys() -> list[str]:
    """The citation keys of the bibliography.

    Returns
    -------
    list of str
        Every key of ``references.bib``, sorted.

    Raises
    ------
    pybtex.database.PybtexError
        If the packaged bibliography cannot be parsed (a broken installation).

    Examples
    --------
    >>> "chicca2014" in keys()
    True
    """
    return sorted(_entries())


def cite(key: str) -> str:
    """The short in-text form of a reference: ``"Chicca et al. 2014"``.

    Parameters
    ----------
    key : str
        A citation key of ``references.bib``.

    Returns
    -------
    str
        The first author's last name ("A & B" for two authors, "A et al." for more) and the year.

    Raises
    ------
    KeyError
        If the key is not in the bibliography.

    Examples
    --------
    >>> cite("bartolozzi2007")
    'Bartolozzi & Indiveri 2007'
    >>> cite("zendrikov2023")
    'Zendrikov et al. 2023'
    """
    entry = _entry(key)
    names = [_last(p) for p in entry.persons.get("author", [])]
    if len(names) >= 3 or "others" in names:
        who = f"{names[0]} et al."
    elif names:
        who = " & ".join(names)
    else:
        who = _plain(entry.fields.get("title", key))
    return f"{who} {entry.fields.get('year', 'n.d.')}"


def reference(key: str) -> str:
    """The full reference as one line of plain text, with its DOI where it has one.

    Parameters
    ----------
    key : str
        A citation key of ``references.bib``.

    Returns
    -------
    str
        Authors, year, title, venue (journal, volume(number), pages) and ``doi:...``.

    Raises
    ------
    KeyError
        If the key is not in the bibliography.

    Examples
    --------
    >>> reference("chicca2014")  # doctest: +ELLIPSIS
    'Chicca E., Stefanini F., Bartolozzi C., Indiveri G. (2014). Neuromorphic ... doi:10.1109/JPROC.2014.2313954'
    """
    entry = _entry(key)
    fields = entry.fields
    people = [
        f"{_last(p)} {''.join(_plain(n)[0] + '.' for n in p.first_names + p.middle_names)}"
        for p in entry.persons.get("author", [])
        if _last(p) != "others"
    ]
    if any(_last(p) == "others" for p in entry.persons.get("author", [])):
        people.append("et al.")
    parts = [f"{', '.join(people)} ({fields.get('year', 'n.d.')}).", _plain(fields.get("title", "")) + "."]
    venue = fields.get("journal") or fields.get("booktitle") or fields.get("publisher") or fields.get("howpublished")
    if venue:
        where = _plain(venue)
        if "volume" in fields:
            where += f" {fields['volume']}"
            if "number" in fields:
                where += f"({fields['number']})"
        if "pages" in fields:
            where += f": {_plain(fields['pages'])}"
        parts.append(where + ".")
    if "doi" in fields:
        parts.append(f"doi:{fields['doi']}")
    elif "url" in fields:
        parts.append(fields["url"])
    return " ".join(parts)
