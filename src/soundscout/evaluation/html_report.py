"""The evaluation as one standalone HTML page: the summary table and per-label bar charts
drawn as inline SVG (no scripts, no fonts or styles fetched from anywhere)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from soundscout.evaluation.report import fmt, left_out_lines, timing
from soundscout.evaluation.run import EvalReport
from soundscout.evaluation.scores import Row

COLOURS = ("#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2")
RANDOM_COLOUR = "#9ca3af"
_LABEL_W, _BAR_W, _BAR_H, _GAP = 290, 420, 11, 9

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}
body{color:#111827}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{padding:.3rem .7rem;text-align:right}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}thead th{border-bottom:1px solid #d1d5db}
tbody tr:nth-child(even){background:#f9fafb}.note{color:#92400e}.muted{color:#6b7280}
svg text{font:12px system-ui,sans-serif;fill:#111827}.legend span{margin-right:1rem}
.queries th,.queries td{text-align:left}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:-1px}
"""


def colour(index: int, row: Row) -> str:
    """The colour of a row's bars (random is grey)."""
    return RANDOM_COLOUR if row.name == "random" else COLOURS[index % len(COLOURS)]


def bar_chart(report: EvalReport, rows: list[Row], metric: str) -> str:
    """An SVG of one bar per row for every label, labels sorted by the first row's score.

    Args:
        metric: ``precision`` or ``ndcg`` (a :class:`LabelScore` field).
    """
    first = rows[0]
    labels = sorted(report.labels, key=lambda lab: -(getattr(first.per_label[lab], metric) or 0))
    group = len(rows) * _BAR_H + _GAP
    height = len(labels) * group + _GAP
    width = _LABEL_W + _BAR_W + 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(metric)} per label">'
    ]
    for i, label in enumerate(labels):
        top = _GAP + i * group
        files = report.labels[label]["files"]
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{top + len(rows) * _BAR_H / 2 + 4}" '
            f'text-anchor="end">{escape(_short(label))} ({files})</text>'
        )
        for j, row in enumerate(rows):
            value = getattr(row.per_label[label], metric) or 0.0
            y = top + j * _BAR_H
            parts.append(
                f'<rect x="{_LABEL_W}" y="{y}" width="{value * _BAR_W:.1f}" '
                f'height="{_BAR_H - 2}" fill="{colour(report.rows.index(row), row)}">'
                f"<title>{escape(label)} — {escape(row.name)}: {value:.3f}</title></rect>"
            )
            parts.append(
                f'<text x="{_LABEL_W + value * _BAR_W + 4:.1f}" y="{y + _BAR_H - 2}" '
                f'font-size="10">{value:.2f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, limit: int = 34) -> str:
    return label if len(label) <= limit else "…" + label[-(limit - 1) :]


def _legend(report: EvalReport, rows: list[Row]) -> str:
    items = [
        f'<span><i class="swatch" style="background:{colour(report.rows.index(r), r)}"></i>'
        f"{escape(r.name)}</span>"
        for r in rows
    ]
    return f'<p class="legend">{"".join(items)}</p>'


def _summary(report: EvalReport) -> str:
    k = report.k
    head = (
        f"<tr><th>encoder</th><th>vectors</th><th>sound→sound P@{k}</th><th>by label</th>"
        f"<th>text→sound nDCG@{k}</th><th>recall@{k}</th><th>seconds</th><th>files/s</th></tr>"
    )
    body = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(r.vectors)}</td>"
        f"<td>{fmt(r.precision_micro)}</td><td>{fmt(r.precision_macro)}</td>"
        f"<td>{fmt(r.ndcg)}</td><td>{fmt(r.recall)}</td><td>{timing(r)[0]}</td><td>{timing(r)[1]}</td></tr>"
        for r in report.rows
    )
    note = (
        f'<p class="muted">sound→sound P@{k}: the share of each file\'s {k} nearest other '
        "files that share its label, averaged over files (and over labels: by label). "
        "text→sound: each label's words (or its --queries phrasings) as a query. random: the "
        "exact expectation of random rankings.</p>"
    )
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>{note}"


def render_html(report: EvalReport) -> str:
    """The whole page."""
    n_files = sum(int(info["files"]) for info in report.labels.values())  # type: ignore[call-overload]
    texts = [row for row in report.rows if row.ndcg is not None]
    notes = "".join(f'<p class="note">{escape(line)}</p>' for line in left_out_lines(report))
    queries = "".join(
        f"<tr><td>{escape(lab)}</td><td>{info['files']}</td>"
        f"<td>{escape(' | '.join(info['queries']))}</td></tr>"  # type: ignore[arg-type]
        for lab, info in report.labels.items()
    )
    sections = [
        f"<h1>soundscout eval</h1><p>{escape(report.folder)}: {n_files} files in "
        f"{len(report.labels)} labels (labels from {escape(report.labels_source)}).</p>",
        _summary(report),
        notes,
        f"<h2>Sound → sound: precision@{report.k} of same-label neighbours, per label</h2>",
        '<p class="muted">Each file of a label is a query; the bar is the share of its '
        f"{report.k} nearest other files that share its label (files in brackets).</p>",
        _legend(report, report.rows),
        bar_chart(report, report.rows, "precision"),
    ]
    if texts:
        sections += [
            f"<h2>Text → sound: nDCG@{report.k} of the label's words, per label</h2>",
            _legend(report, texts),
            bar_chart(report, texts, "ndcg"),
        ]
    sections.append(
        '<h2>Labels and their text queries</h2><table class="queries"><thead><tr>'
        f"<th>label</th><th>files</th><th>queries</th></tr></thead><tbody>{queries}</tbody></table>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>soundscout eval</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(sections)}</body></html>\n"
    )


def write_html(report: EvalReport, path: Path) -> Path:
    """Write the page to ``path`` (its folder is created) and return the path."""
    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path
