"""The evaluation in a terminal: a summary table, a per-label table and what was left out."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from soundscout.evaluation.metrics import best_precision
from soundscout.evaluation.run import EvalReport
from soundscout.evaluation.scores import Row

_SHOWN = 8  # left-out labels or files named before "..."


def fmt(value: float | None) -> str:
    """A score as shown: two decimals, ``n/a`` where there is none."""
    return "n/a" if value is None else f"{value:.2f}"


def timing(row: Row) -> tuple[str, str]:
    """(seconds spent getting vectors and embedding the queries, files per second where
    files were embedded or computed); empty for random."""
    if row.vectors == "exact":
        return "", ""
    seconds = row.seconds.get("vectors", 0.0) + row.seconds.get("text", 0.0)
    rate = row.seconds.get("files_per_second")
    return f"{seconds:.1f}", f"{rate:.0f}" if rate else ""


def summary_table(report: EvalReport) -> Table:
    """One line per encoder and baseline."""
    k = report.k
    table = Table(
        title=_title(report),
        title_justify="left",
        caption=f"sound P@{k}: the share of each file's {k} nearest other files that share "
        "its label, averaged over files (and over labels: by label); text: each label's words "
        "(or --queries) as a query; random: the exact expectation of random rankings.",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("encoder", no_wrap=True)
    table.add_column("vectors", no_wrap=True)
    for header in (f"sound\nP@{k}", "by\nlabel", f"text\nnDCG@{k}", f"text\nrecall@{k}"):
        table.add_column(header, justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("files/s", justify="right")
    for row in report.rows:
        table.add_row(
            Text(row.name, style="bold" if row.kind == "encoder" else "dim"),
            row.vectors,
            fmt(row.precision_micro),
            fmt(row.precision_macro),
            fmt(row.ndcg),
            fmt(row.recall),
            *timing(row),
        )
    return table


def label_table(report: EvalReport) -> Table:
    """Per label: its files, each row's P@k and (where there is a text side) nDCG@k."""
    texts = [row for row in report.rows if row.ndcg is not None]
    table = Table(title="per label", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("label", overflow="fold", ratio=1)
    table.add_column("files", justify="right")
    table.add_column(f"best\nP@{report.k}", justify="right")  # a perfect encoder's score
    for row in report.rows:
        table.add_column(f"P@{report.k}\n{row.name}", justify="right")
    for row in texts:
        table.add_column(f"nDCG@{report.k}\n{row.name}", justify="right")
    for label, info in report.labels.items():
        files = int(info["files"])  # type: ignore[call-overload]
        cells: list[Text | str] = [Text(label), str(files), fmt(best_precision(files, report.k))]
        cells += [fmt(row.per_label[label].precision) for row in report.rows]
        cells += [fmt(row.per_label[label].ndcg) for row in texts]
        table.add_row(*cells)
    return table


def left_out_lines(report: EvalReport) -> list[str]:
    """What was not scored, and why, in sentences."""
    out = report.left_out
    lines = []
    small: dict[str, int] = out.get("small_labels", {})  # type: ignore[assignment]
    if small:
        named = ", ".join(f"{lab} ({n})" for lab, n in list(small.items())[:_SHOWN])
        more = " ..." if len(small) > _SHOWN else ""
        lines.append(
            f"left out: {len(small)} labels with fewer than {report.min_files} files: {named}{more}"
        )
    if out.get("unlabelled"):
        lines.append(f"left out: {out['unlabelled']} files with no label")
    if out.get("outside_folder"):
        lines.append(f"left out: {out['outside_folder']} CSV rows naming files outside the folder")
    failed: dict[str, str] = out.get("failed", {})  # type: ignore[assignment]
    for path, reason in list(failed.items())[:_SHOWN]:
        lines.append(f"left out (unreadable): {path}: {reason}")
    if len(failed) > _SHOWN:
        lines.append(f"left out (unreadable): {len(failed) - _SHOWN} more files")
    return lines


def print_report(report: EvalReport, console: Console) -> None:
    """The whole evaluation as tables and notes."""
    console.print(summary_table(report))
    console.print(label_table(report))
    small = [n for n in (int(i["files"]) for i in report.labels.values()) if n <= report.k]  # type: ignore[call-overload]
    if small:
        console.print(
            f"A label of {report.k} files or fewer cannot reach P@{report.k} = 1: its files "
            f"have fewer same-label neighbours than {report.k} (the 'best' column is a perfect "
            "encoder's score)."
        )
    for line in left_out_lines(report):
        console.print(Text(line, style="yellow"))


def _title(report: EvalReport) -> str:
    n_files = sum(int(info["files"]) for info in report.labels.values())  # type: ignore[call-overload]
    return (
        f"{report.folder}: {n_files} files in {len(report.labels)} labels "
        f"(labels from {report.labels_source})"
    )
