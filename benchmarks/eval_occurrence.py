"""How often a sound given as the query is said to be *itself* inside long recordings, rightly
and wrongly: the occurrence rules of ``soundscout.moments.occurrence`` on known placements.

    PYTHONPATH=. .venv/bin/python benchmarks/moments_data.py --out /tmp/moments-eval/data
    PYTHONPATH=. nice .venv/bin/python benchmarks/eval_occurrence.py --data /tmp/moments-eval/data
        [--out /tmp/moments-eval/occurrence.json]

Data: ``benchmarks/moments_data.py`` (held-out sounds only; each one-shot placed once, in
one recording, at 0, -10 or -20 dB against its bed). Every query is matched against every
long recording's print, as a search with ``moments`` does for its long results:

* **audio same** (the placed one-shot): a place is right when it is in the event's own
  recording and overlaps the event; any other place (elsewhere in that recording, or in
  another recording) is wrong;
* **audio other** (another one-shot of its category, placed nowhere): every place is wrong;
* **twice**: the event's recording with the one-shot placed a second time (at least 5 s
  from every event, at 0, -10 or -20 dB, drawn with ``--seed``): is the second place found?

Each rule is counted as the moments use it: the places above the last one that meets it,
of the best ``per_file`` (3) places a query length apart. ``clear`` (:func:`is_clear`)
decides where the moments go; ``itself`` (:func:`is_itself`) which of them are said to be
the sound itself (``pattern``, the CLI's ``=``).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import moments_data  # noqa: E402

from soundscout.audio.decode import load_audio  # noqa: E402
from soundscout.moments import occurrence  # noqa: E402

SR = moments_data.SR
PER_FILE = 3
SNRS = (0.0, -10.0, -20.0)
#: The rules, by the flag of :class:`~soundscout.moments.occurrence.Occurrence` each sets.
RULES = ("clear", "itself")


def places(query: np.ndarray, recording: np.ndarray) -> list[occurrence.Occurrence]:
    """The best ``PER_FILE`` places, best first, with the rules' flags, as moments get them."""
    return occurrence.find_occurrences(query, recording, None, PER_FILE)


def kept(found: list[occurrence.Occurrence], rule: str) -> list[float]:
    """The starts of the places ``rule`` keeps."""
    return [o.start for o in found if getattr(o, rule)]


def _overlaps(start: float, seconds: float, span: tuple[float, float]) -> bool:
    return start < span[1] and start + seconds > span[0]


def second_placement(
    rng: random.Random, wave: np.ndarray, shot: np.ndarray, events: list[dict]
) -> tuple[np.ndarray, tuple[float, float], float]:
    """``wave`` with ``shot`` added once more, away from its events; (wave, span, SNR)."""
    seconds = len(shot) / SR
    busy = [(e["start"], e["end"]) for e in events]
    for _ in range(1000):
        start = rng.uniform(5.0, len(wave) / SR - 5.0 - seconds)
        if all(start + seconds + 5.0 <= a or start >= b + 5.0 for a, b in busy):
            break
    snr = rng.choice(SNRS)
    first = int(start * SR)
    out = wave.copy()
    span = out[first : first + len(shot)]
    level = max(moments_data.rms(span), 0.1 * moments_data.rms(wave)) * 10 ** (snr / 20)
    span += shot * np.float32(level / moments_data.rms(shot))
    return out, (first / SR, first / SR + seconds), snr


def measure(data: Path, seed: int) -> dict[str, Any]:
    """Every query's places in every recording, counted per rule."""
    truth = json.loads((data / "truth.json").read_text())
    waves = {f["path"]: load_audio(data / "library" / f["path"], SR) for f in truth["long"]}
    prints = {path: occurrence.occurrence_print(w, SR) for path, w in waves.items()}
    rng = random.Random(seed)
    counts: dict[str, dict[str, Any]] = {
        name: {
            "right": {str(s): 0 for s in SNRS},
            "events": {str(s): 0 for s in SNRS},
            "wrong": 0,
            "queries_wrong": 0,
            "other_wrong": 0,
            "other_queries_wrong": 0,
            "second": {str(s): 0 for s in SNRS},
            "seconds": {str(s): 0 for s in SNRS},
        }
        for name in RULES
    }
    queries = other_queries = 0
    for long in truth["long"]:
        for event in long["events"]:
            queries += 1
            wave = moments_data.load(event["audio"])
            query = occurrence.occurrence_print(wave, SR)
            span, snr = (event["start"], event["end"]), str(event["snr_db"])
            seconds = span[1] - span[0]
            found = {path: places(query, rec) for path, rec in prints.items()}
            other = None
            if event["other"]:
                other_queries += 1
                other_print = occurrence.occurrence_print(moments_data.load(event["other"]), SR)
                other = [places(other_print, rec) for rec in prints.values()]
            twice, second, second_snr = second_placement(
                rng, waves[long["path"]], moments_data.active(wave), long["events"]
            )
            twice_found = places(query, occurrence.occurrence_print(twice, SR))
            for name in RULES:
                c = counts[name]
                c["events"][snr] += 1
                wrong = 0
                for path, at in found.items():
                    for start in kept(at, name):
                        if path == long["path"] and _overlaps(start, seconds, span):
                            c["right"][snr] += 1
                        else:
                            wrong += 1
                c["wrong"] += wrong
                c["queries_wrong"] += wrong > 0
                if other is not None:
                    other_wrong = sum(len(kept(at, name)) for at in other)
                    c["other_wrong"] += other_wrong
                    c["other_queries_wrong"] += other_wrong > 0
                c["seconds"][str(second_snr)] += 1
                starts = kept(twice_found, name)
                c["second"][str(second_snr)] += any(_overlaps(s, seconds, second) for s in starts)
            print(f"\r  {queries} queries", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {"queries": queries, "other_queries": other_queries, "rules": counts}


def table(result: dict[str, Any]) -> str:
    """The counts as a markdown table."""
    lines = [
        "| rule | at the event 0 / -10 / -20 dB | wrong places (queries with one) | "
        "another take: wrong places (queries with one) | placed twice: second found 0 / -10 / "
        "-20 dB |",
        "|---|---|---|---|---|",
    ]
    for name, c in result["rules"].items():
        at = " / ".join(f"{c['right'][str(s)]}/{c['events'][str(s)]}" for s in SNRS)
        second = " / ".join(f"{c['second'][str(s)]}/{c['seconds'][str(s)]}" for s in SNRS)
        lines.append(
            f"| {name} | {at} | {c['wrong']} ({c['queries_wrong']}/{result['queries']}) | "
            f"{c['other_wrong']} ({c['other_queries_wrong']}/{result['other_queries']}) | "
            f"{second} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/moments-eval/data"))
    parser.add_argument("--seed", type=int, default=5, help="of the second placements")
    parser.add_argument("--out", type=Path, help="write the counts as JSON")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = measure(args.data, args.seed)
    print(table(result))
    print(f"{time.perf_counter() - started:.0f} s on {platform.node()}")
    if args.out:
        thresholds = {"clear": [[occurrence.MATCH_SCORE, occurrence.MATCH_GAP],
                                [occurrence.CLEAR_SCORE, occurrence.CLEAR_GAP]],
                      "itself": [list(pair) for pair in occurrence.ITSELF]}  # fmt: skip
        args.out.write_text(json.dumps({**result, "thresholds": thresholds}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
