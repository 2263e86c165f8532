"""Chromaprint raw fingerprints through Debian's libchromaprint (ctypes), for comparison.

Only ``benchmarks/eval_duplicates.py --chromaprint`` uses it, to measure chromaprint against
Soundscout's own fingerprint; Soundscout itself does not need libchromaprint (docs/search.md
says why). Debian's ``libchromaprint1`` comes with ffmpeg (libavformat depends on it), which
``scripts/install.sh`` installs. The calls are those of pyacoustid's ``chromaprint`` module,
without the package.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import numpy as np

_LIB = None
#: Chromaprint's default algorithm (TEST2), as fpcalc and AcoustID use.
ALGORITHM = 1


def _lib() -> ctypes.CDLL:
    global _LIB
    if _LIB is None:
        name = ctypes.util.find_library("chromaprint") or "libchromaprint.so.1"
        lib = ctypes.CDLL(name)
        lib.chromaprint_new.restype = ctypes.c_void_p
        lib.chromaprint_new.argtypes = [ctypes.c_int]
        lib.chromaprint_free.argtypes = [ctypes.c_void_p]
        lib.chromaprint_start.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.chromaprint_feed.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        lib.chromaprint_finish.argtypes = [ctypes.c_void_p]
        lib.chromaprint_get_raw_fingerprint.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.POINTER(ctypes.c_uint32)),
            ctypes.POINTER(ctypes.c_int),
        ]
        lib.chromaprint_dealloc.argtypes = [ctypes.c_void_p]
        _LIB = lib
    return _LIB


def raw_fingerprint(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """The raw chromaprint (uint32 per ~0.124 s) of a mono float waveform; may be empty."""
    lib = _lib()
    pcm = np.ascontiguousarray(np.clip(waveform, -1, 1) * 32767, dtype=np.int16)
    ctx = lib.chromaprint_new(ALGORITHM)
    try:
        lib.chromaprint_start(ctx, sample_rate, 1)
        lib.chromaprint_feed(ctx, pcm.ctypes.data, len(pcm))
        lib.chromaprint_finish(ctx)
        pointer = ctypes.POINTER(ctypes.c_uint32)()
        size = ctypes.c_int()
        lib.chromaprint_get_raw_fingerprint(ctx, ctypes.byref(pointer), ctypes.byref(size))
        out = np.ctypeslib.as_array(pointer, (size.value,)).copy() if size.value else None
        lib.chromaprint_dealloc(pointer)
    finally:
        lib.chromaprint_free(ctx)
    return out if out is not None else np.zeros(0, np.uint32)


def bit_error_rate(a: np.ndarray, b: np.ndarray, max_offset: int = 4) -> float:
    """Smallest share of differing bits over the aligned overlap (offsets up to
    ``max_offset`` items, ~0.5 s); 1.0 when either is empty."""
    best = 1.0
    for offset in range(-max_offset, max_offset + 1):
        x, y = (a[offset:], b) if offset >= 0 else (a, b[-offset:])
        n = min(len(x), len(y))
        if n == 0 or n < 0.8 * min(len(a), len(b)):
            continue
        bits = np.unpackbits((x[:n] ^ y[:n]).view(np.uint8)).sum()
        best = min(best, float(bits) / (32 * n))
    return best
