"""Loads libhuiqi and declares the C ABI (ffi/include/huiqi.h) for ctypes.

The library is looked for, in order: the path in the ``HUIQI_LIBRARY`` environment
variable; next to this file (inside an installed wheel); ``target/release`` of the source
checkout this package sits in (development).
"""

from __future__ import annotations

import ctypes
import os
import sys
from pathlib import Path

if sys.platform == "darwin":
    LIBRARY_NAME = "libhuiqi.dylib"
elif sys.platform == "win32":
    LIBRARY_NAME = "huiqi.dll"
else:
    LIBRARY_NAME = "libhuiqi.so"


def _find() -> Path:
    env = os.environ.get("HUIQI_LIBRARY")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent
    candidates = [here / LIBRARY_NAME, here.parent.parent / "target" / "release" / LIBRARY_NAME]
    for c in candidates:
        if c.is_file():
            return c
    raise ImportError(
        f"huiqi: cannot find {LIBRARY_NAME} (looked in {', '.join(str(c) for c in candidates)}); "
        "build it with `cargo build --release -p huiqi-ffi` or set HUIQI_LIBRARY"
    )


PATH: Path = _find()
lib = ctypes.CDLL(str(PATH))

_p = ctypes.c_char_p  # input strings (bytes or None)
_out = ctypes.c_void_p  # returned strings: kept as addresses so they can be freed
_engine = ctypes.c_void_p
_store = ctypes.c_void_p

lib.huiqi_engine_new.argtypes = [_p, _p, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_engine_new.restype = _engine
lib.huiqi_engine_from_dir.argtypes = [_p, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_engine_from_dir.restype = _engine
lib.huiqi_engine_from_sources.argtypes = [_p, _p, ctypes.c_bool, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_engine_from_sources.restype = _engine
lib.huiqi_engine_with_tables.argtypes = [_p, _p, _p, ctypes.c_bool, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_engine_with_tables.restype = _engine
lib.huiqi_engine_free.argtypes = [_engine]
lib.huiqi_engine_free.restype = None
lib.huiqi_match.argtypes = [_engine, _p, _p]
lib.huiqi_match.restype = _out
lib.huiqi_explain.argtypes = [_engine, _p, _p, _p]
lib.huiqi_explain.restype = _out
lib.huiqi_match_many.argtypes = [_engine, _p, _p]
lib.huiqi_match_many.restype = _out
lib.huiqi_match_opts.argtypes = [_engine, _p, _p, _p]
lib.huiqi_match_opts.restype = _out
lib.huiqi_verdicts.argtypes = [_engine, _p, _p]
lib.huiqi_verdicts.restype = _out
lib.huiqi_verdict_bytes.argtypes = [_engine, _p, _p, ctypes.c_void_p, ctypes.c_size_t]
lib.huiqi_verdict_bytes.restype = ctypes.c_int64
lib.huiqi_match_many_opts.argtypes = [_engine, _p, _p, _p, ctypes.c_uint64, ctypes.c_uint32]
lib.huiqi_match_many_opts.restype = _out
lib.huiqi_store_open.argtypes = [_engine, _p, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_store_open.restype = _store
lib.huiqi_store_free.argtypes = [_store]
lib.huiqi_store_free.restype = None
lib.huiqi_store_info.argtypes = [_store]
lib.huiqi_store_info.restype = _out
lib.huiqi_reverse.argtypes = [_engine, _store, _p, _p, ctypes.c_size_t]
lib.huiqi_reverse.restype = _out
lib.huiqi_bulk_counts.argtypes = [_engine, _store, _p]
lib.huiqi_bulk_counts.restype = _out
lib.huiqi_store_prepare.argtypes = [_engine, _store, _p]
lib.huiqi_store_prepare.restype = _out
lib.huiqi_fields_read.argtypes = [_engine]
lib.huiqi_fields_read.restype = _out
lib.huiqi_store_from_arrow.argtypes = [_engine, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
lib.huiqi_store_from_arrow.restype = _store
lib.huiqi_bulk_arrow.argtypes = [_engine, _store, _p, _p, ctypes.c_void_p]
lib.huiqi_bulk_arrow.restype = _out
lib.huiqi_call.argtypes = [_engine, _store, _p, _p]
lib.huiqi_call.restype = _out
lib.huiqi_check.argtypes = [_p, _p]
lib.huiqi_check.restype = _out
lib.huiqi_string_free.argtypes = [_out]
lib.huiqi_string_free.restype = None
lib.huiqi_last_error.argtypes = []
lib.huiqi_last_error.restype = ctypes.c_char_p
lib.huiqi_version.argtypes = []
lib.huiqi_version.restype = ctypes.c_char_p


class ArrowArrayStream(ctypes.Structure):
    """``struct ArrowArrayStream`` of the Arrow C stream interface: storage a producer
    (pyarrow's ``_export_to_c``, or libhuiqi) writes a stream into."""

    _fields_ = [
        ("get_schema", ctypes.c_void_p),
        ("get_next", ctypes.c_void_p),
        ("get_last_error", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


def take(address: int | None) -> str | None:
    """The text of a string returned by the library, which is then freed."""
    if not address:
        return None
    try:
        return ctypes.string_at(address).decode("utf-8")
    finally:
        lib.huiqi_string_free(address)


def last_error() -> str:
    message = lib.huiqi_last_error()
    return message.decode("utf-8", "replace") if message else "unknown error"
