"""Notes a search answer carries: what the user should know about an empty or weak answer.

Every front-end shows the same words: the CLI as warnings, the API in ``notes``, the
page under the results.
"""

from __future__ import annotations

from soundscout.catalog.catalog import Catalog
from soundscout.search.query import Filters, SearchHit


def no_match_note(catalog: Catalog, filters: Filters) -> str:
    """Why nothing passed the filters, naming what the library has to filter on."""
    known = catalog.formats()
    unknown = [f for f in filters.formats if f not in known]
    if unknown:
        return (
            f"No indexed sound has the format {', '.join(unknown)}; "
            f"the library has: {', '.join(known) or 'nothing yet'}."
        )
    if filters.folder:
        roots = ", ".join(catalog.roots()) or "none"
        return (
            f"No indexed sound is under the folder {filters.folder!r}. A folder filter takes "
            f"a folder under an indexed one (e.g. Drums/Kicks) or an absolute path; the "
            f"indexed folders: {roots}."
        )
    if filters.category:
        return (
            f"No indexed sound is in the category {filters.category!r}; "
            "`soundscout categories` (or /api/categories) lists the library's."
        )
    return "No indexed sound passes the filters; loosen them."


def strength_note(hits: list[SearchHit], text: str | None) -> tuple[str, ...]:
    """Say so when a text query found nothing that is a strong match."""
    bands = [h.band for h in hits if h.band is not None]
    if not text or not bands or "strong" in bands:
        return ()
    best = "fair" if "fair" in bands else "weak"
    return (f"No strong match for {shown(text)}: the best results are {best}.",)


def no_words_note(
    hits: list[SearchHit], text: str | None, match: str, filtered: bool = False
) -> tuple[str, ...]:
    """Say why a words-only search found nothing, and what else to try."""
    if hits or match != "words" or not text:
        return ()
    which = "passing the filters " if filtered else ""
    return (
        f"No sound {which}holds the words of {shown(text)} in its names, folders or tags; "
        "the default match mode, both, also searches by how the sounds sound.",
    )


def reference_note(
    catalog: Catalog, exclude: frozenset[int], path: str | None = None
) -> tuple[str, ...]:
    """Say where a reference given as a file (``path``) or an upload already is in the
    library: it and its copies are left out of the results, which would otherwise puzzle."""
    rows = catalog.get_many(sorted(exclude))
    if not rows:
        return ()
    first = min(rows.values(), key=lambda row: (row.path != path, row.path))
    more = len(rows) - 1
    copies = f" (+{more} {'copy' if more == 1 else 'copies'})" if more else ""
    return (
        f"The reference sound is in the library as {first.path}{copies}; "
        f"{'they are' if more else 'it is'} left out of the results.",
    )


def unknown_words_note(text: str, match: str, filtered: bool = False) -> str:
    """Why no result of a query of unknown words is said to be strong."""
    where = ""  # the sound side alone did not look at the words
    if match != "sound":
        where = " or in " + (
            "the names and tags of the sounds searched"
            if filtered
            else "this library's names and tags"
        )
    return (
        f"No word of {shown(text)} is in Soundscout's vocabulary of sounds (in any of its "
        f"nine languages){where}: the results are guesses by sound alone, none rated strong."
    )


def shown(text: str, limit: int = 80) -> str:
    """A user's text in quotes, as typed (no escapes), cut to ``limit`` characters."""
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"
