"""Which files belong together: labels from folders, from UCS file names or from a CSV,
and the words each label is searched by.

Every function here is pure apart from reading the labels CSV or queries file: files are
absolute paths under the evaluated folder, and the result says what was left out and why.
"""

from __future__ import annotations

import csv
import os
import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from soundscout.evaluation import EvaluationError
from soundscout.metadata.names import name_words
from soundscout.metadata.ucs import parse_ucs_name

#: Column names accepted for the label in a labels CSV.
LABEL_COLUMNS = ("label", "category")
_SHOWN = 5  # file names quoted in an error message
#: Folders of a label whose words make its text query (the nearest ones).
TEXT_PARTS = 2


@dataclass(frozen=True)
class Labelled:
    """Files with one label each (sorted by path), and what got none."""

    files: list[str]
    labels: list[str]
    source: str  # "folders", "folders (depth 2)", "ucs", "csv: PATH"
    unlabelled: int = 0  # files of the folder with no label
    outside: int = 0  # CSV rows naming files outside the folder
    texts: dict[str, list[str]] = field(default_factory=dict)  # label -> its queries

    def counts(self) -> Counter[str]:
        """Files per label."""
        return Counter(self.labels)

    def without(self, paths: set[str]) -> Labelled:
        """The same without these files (those no encoder could read)."""
        keep = [i for i, f in enumerate(self.files) if f not in paths]
        files, labels = [self.files[i] for i in keep], [self.labels[i] for i in keep]
        return Labelled(files, labels, self.source, self.unlabelled, self.outside, self.texts)


def folder_labels(root: str, files: Iterable[str], depth: int | None = None) -> Labelled:
    """Label = the folder a file is in, relative to ``root`` (``Drums/Kick``); with
    ``depth`` N, its first N folders below ``root`` (``Drums`` for N=1). Files directly
    in ``root`` get no label."""
    if depth is not None and depth < 1:
        raise EvaluationError(f"--depth must be 1 or more, not {depth}.")
    pairs, unlabelled = [], 0
    for path in sorted(files):
        parts = Path(os.path.relpath(path, root)).parts[:-1]
        if depth is not None:
            parts = parts[:depth]
        if parts:
            pairs.append((path, "/".join(parts)))
        else:
            unlabelled += 1
    source = "folders" if depth is None else f"folders (depth {depth})"
    return _labelled(pairs, source, unlabelled=unlabelled)


def ucs_labels(files: Iterable[str]) -> Labelled:
    """Label = the UCS category (``DOORS``) of each file's UCS name
    (``DOORWood_Slam Heavy_JD_LIB.wav``); files without one get no label."""
    pairs, unlabelled = [], 0
    for path in sorted(files):
        parsed = parse_ucs_name(posixpath.splitext(os.path.basename(path))[0])
        if parsed is not None and parsed.entry is not None:
            pairs.append((path, parsed.entry.category))
        else:
            unlabelled += 1
    return _labelled(pairs, "ucs", unlabelled=unlabelled)


def csv_labels(csv_path: Path, root: str, files: Iterable[str]) -> Labelled:
    """Labels from a CSV with a header naming ``path`` and ``label`` (or ``category``).

    A relative path is read from the CSV's folder, else from ``root``. Rows naming files
    outside ``root`` are counted and skipped; files of ``root`` that the CSV does not name,
    and rows with an empty label, get no label.

    Raises:
        EvaluationError: no such CSV, no usable header, or rows naming missing files.
    """
    rows = _read_csv(csv_path)
    prefix = root.rstrip("/") + "/"
    wanted = set(files)
    pairs, missing, outside = {}, [], 0
    for rel, label in rows:
        path = _csv_path(rel, csv_path.parent, root)
        if path is None:
            missing.append(rel)
        elif not path.startswith(prefix):
            outside += 1
        elif label and path in wanted:
            pairs[path] = label
    if missing:
        shown = ", ".join(missing[:_SHOWN]) + (" ..." if len(missing) > _SHOWN else "")
        raise EvaluationError(
            f"The labels CSV {csv_path} names {len(missing)} files that do not exist: {shown}",
            hint="Paths are read from the CSV's folder (or the evaluated folder): fix or "
            "remove those rows, then run again.",
        )
    unlabelled = len(wanted) - len(pairs)
    return _labelled(sorted(pairs.items()), f"csv: {csv_path}", unlabelled, outside)


def _read_csv(csv_path: Path) -> list[tuple[str, str]]:
    """(path, label) of every row of a labels CSV."""
    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in reader.fieldnames or []]
            label_col = next((c for c in LABEL_COLUMNS if c in header), None)
            if "path" not in header or label_col is None:
                raise EvaluationError(
                    f"The labels CSV {csv_path} has no `path` and `label` columns "
                    f"(its header: {', '.join(header) or 'none'}).",
                    hint="Start the file with the header line `path,label`, then one file and "
                    "its label per line.",
                )
            names = dict(zip(header, reader.fieldnames or [], strict=True))
            return [
                ((row[names["path"]] or "").strip(), (row[names[label_col]] or "").strip())
                for row in reader
                if (row.get(names["path"]) or "").strip()
            ]
    except OSError as exc:
        raise EvaluationError(
            f"Cannot read the labels CSV {csv_path}: {exc.strerror or exc}",
            hint="Give `--labels folders`, `--labels ucs` or the path of a CSV file.",
        ) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise EvaluationError(
            f"The labels CSV {csv_path} cannot be read as UTF-8 CSV: {exc}",
            hint="Save it as UTF-8 CSV with a `path,label` header.",
        ) from exc


def _csv_path(rel: str, csv_dir: Path, root: str) -> str | None:
    """The absolute path a CSV row names (CSV folder first, then ``root``); None if absent."""
    candidates = [rel] if os.path.isabs(rel) else [str(csv_dir / rel), os.path.join(root, rel)]
    for candidate in candidates:
        path = os.path.abspath(os.path.expanduser(candidate))
        if os.path.isfile(path):
            return path
    return None


def _labelled(
    pairs: Iterable[tuple[str, str]], source: str, unlabelled: int = 0, outside: int = 0
) -> Labelled:
    pairs = list(pairs)
    labels = [label for _, label in pairs]
    texts = {label: [label_text(label)] for label in sorted(set(labels))}
    return Labelled([p for p, _ in pairs], labels, source, unlabelled, outside, texts)


def label_text(label: str) -> str:
    """The words a label is searched by: its last two parts (folders), nearest first, split
    into words as file names are, abbreviations expanded (``Drums/Kick`` → ``kick drums``,
    ``Door_Slams`` → ``door slams``, ``DOORS`` → ``doors``, ``usr/share/game/sound/metal``
    → ``metal sound``)."""
    words: dict[str, None] = {}
    for part in reversed([p for p in label.split("/") if p.strip()][-TEXT_PARTS:]):
        for word in name_words(part).split():
            words[word] = None
    return " ".join(words) or label.strip()


def keep_labels(labelled: Labelled, min_files: int) -> tuple[Labelled, dict[str, int]]:
    """Only the labels with at least ``min_files`` files; the others with their counts."""
    counts = labelled.counts()
    small = {lab: n for lab, n in sorted(counts.items()) if n < min_files}
    keep = [i for i, lab in enumerate(labelled.labels) if lab not in small]
    texts = {lab: q for lab, q in labelled.texts.items() if counts[lab] >= min_files}
    kept = Labelled(
        [labelled.files[i] for i in keep],
        [labelled.labels[i] for i in keep],
        labelled.source,
        labelled.unlabelled,
        labelled.outside,
        texts,
    )
    return kept, small


def read_queries(path: Path, known: Iterable[str]) -> dict[str, list[str]]:
    """A queries file: YAML mapping each label to one phrasing or a list of them.

    Raises:
        EvaluationError: unreadable, not such a mapping, or naming labels that no file has.
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluationError(f"Cannot read the queries file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise EvaluationError(f"The queries file {path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise EvaluationError(f"The queries file {path} is not text (UTF-8).") from exc
    example = 'Write one line per label, e.g. `Drums/Kick: ["kick drum", "bass drum hit"]`.'
    if not isinstance(data, dict) or not data:
        raise EvaluationError(f"The queries file {path} holds no label: phrasings.", hint=example)
    queries: dict[str, list[str]] = {}
    for label, value in data.items():
        phrasings = [value] if isinstance(value, str) else value
        if not isinstance(phrasings, list) or not all(
            isinstance(p, str) and p.strip() for p in phrasings
        ):
            raise EvaluationError(
                f"In {path}, {label!r} must map to a phrasing or a list of phrasings.",
                hint=example,
            )
        queries[str(label)] = [p.strip() for p in phrasings]
    unknown = sorted(set(queries) - set(known))
    if unknown:
        raise EvaluationError(
            f"The queries file {path} names labels no file has: {', '.join(unknown)}.",
            hint="Use the labels as `soundscout eval --json` lists them (`labels`): "
            + ", ".join(sorted(set(known))[:10])
            + (" ..." if len(set(known)) > 10 else ""),
        )
    return queries
