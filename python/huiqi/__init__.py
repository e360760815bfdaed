"""Huiqi (惠企): which support policies an enterprise qualifies for, almost qualifies for,
and what is missing — the Python binding of libhuiqi (the C ABI, through ctypes).

    >>> import huiqi
    >>> with huiqi.Engine.bundled() as engine:
    ...     result = engine.match({"name": "某公司", "registered_capital": 600}, as_of="2026-06-30")
    ...     [p["id"] for p in result["policies"] if p["verdict"] == "eligible"]

Which enterprises of a whole population qualify for a policy (免申即享 / 精准推送), from an
enterprise store (a file saved by ``huiqi store build``, CSV or JSON lines):

    >>> with huiqi.Engine.bundled() as engine, engine.open_store("enterprises.store") as store:
    ...     reach = engine.reverse(store, "small-low-profit-eit", as_of="2026-06-30")
    ...     reach["eligible"], reach["eligible_ids"]
    ...     engine.bulk_counts(store, as_of="2026-06-30")   # every policy: [{policy, eligible, undetermined}]

Answers are the ``result`` of the same JSON envelopes the CLI prints with ``--json``
(byte-identical: use :meth:`Engine.match_json` or :meth:`Engine.reverse_json` for the raw
text). Failure envelopes are raised as :class:`HuiqiError`, which keeps the engine's
errors (kind, message, path, …).

Engines and stores are immutable: one engine and one store may serve many threads at once
(the library releases the GIL while it works).
"""

from __future__ import annotations

import ctypes
import datetime
import json
import os
from typing import Any, Iterable, Iterator, List, Literal, Mapping, Optional, Sequence, Tuple, TypeVar, Union, overload

from . import _lib

__all__ = ["Engine", "Store", "HuiqiError", "check", "version", "LIBRARY_PATH", "Detail", "Codes"]

#: The path of the loaded libhuiqi.
LIBRARY_PATH = _lib.PATH

Profile = Union[Mapping[str, Any], str, bytes]
"""An enterprise profile: a mapping (encoded as JSON), or JSON text."""

Document = Union[Mapping[str, Any], List[Any], str, bytes]
"""A JSON document: a mapping or list (encoded as JSON), or JSON text."""

AsOf = Union[str, datetime.date, None]

#: Code tables replacing the bundled ones of the same system (``industry``, ``region``,
#: ``zone``), as ``huiqi --codes DIR``: a folder of table files (every ``*.json``), or
#: ``{file name: table}`` / ``[(file name, table)]`` with each table a JSON text or object.
Codes = Union[str, "os.PathLike[str]", Mapping[str, Document], Iterable[Tuple[str, Document]]]
"""An evaluation date: ``YYYY-MM-DD``, a :class:`datetime.date`, or None for today."""


class HuiqiError(Exception):
    """A failure envelope from the engine (or an invalid engine handle).

    ``errors`` holds the envelope's error objects: ``kind`` (one of :data:`ERROR_KINDS`),
    ``message`` and where applicable ``path``, ``origin``, ``policy``, ``line``,
    ``column``, ``item`` (the position in a batch) and ``hint``.
    """

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(_describe(e) for e in errors) or "unknown error")

    @property
    def kind(self) -> str:
        """The kind of the first error."""
        return str(self.errors[0].get("kind", "")) if self.errors else ""


#: Every error kind, as the operation layer defines them (docs/operations.md): ``request``
#: (a bad argument), ``json``, ``profile``, ``policy``, ``unknown_policy``, ``schema``,
#: ``codes``, ``compiled``, ``store``, ``file``, ``internal``.
#: The meaning of each byte of :meth:`Engine.verdict_bytes`, by value.
VERDICT_CODES = ("ineligible", "eligible", "undetermined", "not_in_force")

ERROR_KINDS = ("request", "json", "profile", "policy", "unknown_policy", "schema", "codes", "compiled", "store", "file", "internal")


def _describe(e: Mapping[str, Any]) -> str:
    where = [str(e[k]) for k in ("origin", "policy", "path") if e.get(k)]
    if e.get("line") is not None and e.get("column") is not None:
        where.append(f"{e['line']}:{e['column']}")
    elif e.get("line") is not None:
        where.append(f"line {e['line']}")
    if e.get("item") is not None:
        where.append(f"item {e['item']}")
    text = f"{': '.join(where)}: {e.get('message', '')}" if where else str(e.get("message", ""))
    hint = e.get("hint")
    return f"{text} (hint: {hint})" if hint and str(hint) not in text else text


def _names_a_path(value: object) -> bool:
    """Whether a ``policies`` argument is a path (a PathLike, or a string naming an
    existing file or folder that is not JSON text)."""
    if isinstance(value, os.PathLike):
        return True
    return isinstance(value, str) and value.strip()[:1] not in ("{", "[") and "\n" not in value and os.path.exists(value)


def _request_error(message: str) -> HuiqiError:
    return HuiqiError([{"kind": "request", "message": message}])


def _text(value: Document | None, what: str) -> bytes | None:
    """A JSON argument as UTF-8 bytes for the C ABI (None stays NULL). What cannot be sent
    (not JSON-serialisable, not UTF-8, a lone surrogate, a NUL) is a :class:`HuiqiError`."""
    if value is None:
        return None
    try:
        if isinstance(value, bytes):
            value.decode("utf-8")
            data = value
        elif isinstance(value, str):
            data = value.encode("utf-8")
        else:
            data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except UnicodeError as e:
        raise _request_error(f"{what} is not valid UTF-8: {e}") from None
    except (TypeError, ValueError, RecursionError) as e:
        raise _request_error(f"{what} cannot be encoded as JSON: {e}") from None
    if b"\0" in data:
        raise _request_error(f"{what} contains a NUL character")
    return data


def _date(as_of: AsOf) -> bytes:
    if as_of is None:
        as_of = datetime.date.today()
    if isinstance(as_of, datetime.date):
        as_of = as_of.isoformat()
    if not isinstance(as_of, str):
        raise _request_error(f"as_of must be a YYYY-MM-DD string, a datetime.date or None, not {type(as_of).__name__}")
    try:
        return as_of.encode("utf-8")
    except UnicodeError as e:
        raise _request_error(f"as_of is not valid UTF-8: {e}") from None


Detail = Literal["verdicts", "summary", "full"]
"""How much a match shows of each listed policy: ``verdicts`` (ids and verdicts),
``summary`` (also title, score, benefit, missing fields; next questions and the
recommended combination), ``full`` (also the unmet and undetermined conditions in words;
the default)."""


def _options(detail: str, all: bool, tags: Iterable[str] | None, limit: int | None, recommend_undetermined: bool) -> bytes | None:
    """Match options as the C ABI takes them (None: the defaults)."""
    if detail not in ("verdicts", "summary", "full"):
        raise _request_error(f'detail {detail!r} is not one of "verdicts", "summary", "full"')
    if isinstance(tags, (str, bytes)):
        raise _request_error("tags must be a list of strings, not a single string")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise _request_error("limit must be a non-negative integer or None")
    options: dict[str, Any] = {}
    if detail != "full":
        options["detail"] = detail
    if all:
        options["all"] = True
    if tags:
        options["tags"] = [str(t) for t in tags]
    if limit is not None:
        options["limit"] = limit
    if recommend_undetermined:
        options["recommend_undetermined"] = True
    return _text(options, "options") if options else None


_ERROR_KEYS = ("kind", "message", "path", "origin", "policy", "line", "column", "item", "hint")


def _at_line(envelope: str, number: int) -> str:
    """A failure envelope of one profile matched on its own, with its position in the batch
    as ``line`` (as the library writes it for the profiles it matched as lines, and keys in
    the library's order); a success as it is."""
    if envelope.startswith('{"type":"success"'):
        return envelope
    value = json.loads(envelope)
    errors = [{k: (number if k == "line" and e.get(k) is None else e.get(k)) for k in _ERROR_KEYS if k == "line" or e.get(k) is not None} for e in value.get("errors", [])]
    return json.dumps({"type": "failure", "errors": errors}, ensure_ascii=False, separators=(",", ":"))


def _unwrap(envelope: str) -> Any:  # the envelope's result: a dict, or a list for bulk counts
    value = json.loads(envelope)
    if value.get("type") == "success":
        return value["result"]
    raise HuiqiError(value.get("errors", []))


def version() -> str:
    """The version of the loaded libhuiqi."""
    return str(_lib.lib.huiqi_version().decode("ascii"))


def check(policies: Document | None = None, schema: Document | None = None) -> dict[str, Any]:
    """Checks a policy-set document (None: the bundled policies) against a schema (None: the
    bundled schema), as ``huiqi check``. Returns the summary (``policies``,
    ``definitions``, ``ids``); raises :class:`HuiqiError` with every problem."""
    text = _lib.take(_lib.lib.huiqi_check(_text(schema, "schema"), _text(policies, "policies")))
    if text is None:
        raise HuiqiError([{"kind": "internal", "message": _lib.last_error()}])
    result: dict[str, Any] = _unwrap(text)
    return result


_H = TypeVar("_H", bound="_Handle")


class _Handle:
    """A library object held through an opaque handle: freed exactly once, by
    :meth:`close`, at the end of a ``with`` block, or when collected."""

    _handle: Optional[int]
    _what = "object"  # in messages: "the engine is closed"

    def _free(self, handle: int) -> None:
        raise NotImplementedError

    def _adopt(self, handle: int | None, error: ctypes.c_void_p) -> None:
        """Keeps the handle a constructor returned, or raises the failure it reported."""
        self._handle = None
        envelope = _lib.take(error.value)
        if not handle:
            if envelope is None:
                raise HuiqiError([{"kind": "internal", "message": _lib.last_error()}])
            _unwrap(envelope)
            raise HuiqiError([{"kind": "internal", "message": f"creating the {self._what} failed"}])
        self._handle = handle

    def close(self) -> None:
        """Frees the object. Idempotent; using it afterwards raises :class:`HuiqiError`."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle:
            self._free(handle)

    @property
    def closed(self) -> bool:
        return not getattr(self, "_handle", None)

    def __enter__(self: _H) -> _H:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def _live(self) -> int:
        if not self._handle:
            raise HuiqiError([{"kind": "request", "message": f"the {self._what} is closed"}])
        return self._handle


class Engine(_Handle):
    """A schema and a compiled policy set. Build one, match many enterprises, close it
    (or use it as a context manager).

    ``Engine()`` is the bundled schema and real policies. ``Engine(policies=doc)`` uses one
    policy-set document instead (``{"definitions": …, "policies": […]}``, a list of
    policies, or JSON text); with ``include_bundled=True`` the document comes after the
    bundled policies and may use them. ``schema`` replaces the bundled schema.
    """

    _what = "engine"
    _policy_count: Optional[int] = None  # the set's size, once asked (verdict_bytes)

    def _free(self, handle: int) -> None:
        _lib.lib.huiqi_engine_free(handle)

    def __init__(
        self,
        policies: Document | None = None,
        schema: Document | None = None,
        *,
        include_bundled: bool = False,
        codes: Codes | None = None,
    ):
        if codes is not None:
            sources = None if policies is None else [("policies.json", policies)]
            self._init_with_tables(sources, schema, include_bundled, codes)
            return
        if include_bundled and policies is not None:
            self._init_from_sources([("policies.json", policies)], schema, True)
            return
        if _names_a_path(policies):
            raise HuiqiError(
                [
                    {
                        "kind": "request",
                        "path": "policies",
                        "message": f"policies is the path {os.fspath(policies)!r}, not a policy document",
                        "hint": "Engine.from_dir(path) reads a folder (or file) of policies",
                    }
                ]
            )
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_engine_new(_text(schema, "schema"), _text(policies, "policies"), ctypes.byref(error))
        self._adopt(handle, error)

    @classmethod
    def bundled(cls) -> Engine:
        """The bundled schema and real policies."""
        return cls()

    @classmethod
    def from_dir(cls, path: str | os.PathLike[str]) -> Engine:
        """The bundled schema and the policy files of a folder (``*.json``, ``*.jsonl``) or
        one file, as ``huiqi --policies PATH``."""
        engine = cls.__new__(cls)
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_engine_from_dir(os.fsencode(path), ctypes.byref(error))
        engine._adopt(handle, error)
        return engine

    @classmethod
    def from_sources(
        cls,
        sources: Mapping[str, Document] | Iterable[tuple[str, Document]],
        schema: Document | None = None,
        *,
        include_bundled: bool = False,
        codes: Codes | None = None,
    ) -> Engine:
        """Several in-memory policy files, ``{origin: document}`` or ``[(origin, document)]``
        (an origin ending in ``.jsonl`` reads the text as one policy per line), optionally
        after the bundled policies; ``codes`` replaces code tables (see :data:`Codes`)."""
        engine = cls.__new__(cls)
        items = list(sources.items()) if isinstance(sources, Mapping) else list(sources)
        if codes is not None:
            engine._init_with_tables(items, schema, include_bundled, codes)
        else:
            engine._init_from_sources(items, schema, include_bundled)
        return engine

    def _init_with_tables(
        self, items: list[tuple[str, Document]] | None, schema: Document | None, include_bundled: bool, codes: Codes
    ) -> None:
        if isinstance(codes, (str, os.PathLike)):
            folder = os.fspath(codes)
            try:
                names = sorted(n for n in os.listdir(folder) if n.endswith(".json"))
                tables: list[tuple[str, Document]] = []
                for n in names:
                    with open(os.path.join(folder, n), "rb") as f:
                        tables.append((os.path.join(folder, n), f.read()))
            except OSError as e:
                raise _request_error(f"cannot read code-table folder {folder}: {e}") from None
        else:
            tables = list(codes.items()) if isinstance(codes, Mapping) else list(codes)
        try:
            docs = [{"origin": o, "text": t.decode("utf-8") if isinstance(t, bytes) else t} for o, t in tables]
        except UnicodeDecodeError as e:
            raise _request_error(f"a code table is not valid UTF-8: {e}") from None
        sources = None
        if items is not None:
            sources = [{"origin": o, "text": d.decode("utf-8") if isinstance(d, bytes) else d} for o, d in items]
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_engine_with_tables(
            _text(schema, "schema"), _text(docs, "codes"), _text(sources, "sources"), include_bundled, ctypes.byref(error)
        )
        self._adopt(handle, error)

    def _init_from_sources(self, items: list[tuple[str, Document]], schema: Document | None, include_bundled: bool) -> None:
        docs = []
        for origin, doc in items:
            text = doc.decode("utf-8") if isinstance(doc, bytes) else doc
            docs.append({"origin": origin, "text": text})
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_engine_from_sources(_text(schema, "schema"), _text(docs, "sources"), include_bundled, ctypes.byref(error))
        self._adopt(handle, error)

    def __repr__(self) -> str:
        return f"<huiqi.Engine {'closed' if self.closed else hex(self._handle or 0)}>"

    def _call(self, fn: Any, *args: Union[bytes, int, None]) -> str:
        text = _lib.take(fn(self._live(), *args))
        if text is None:
            raise HuiqiError([{"kind": "request", "message": _lib.last_error()}])
        return text

    # --- any operation ----------------------------------------------------------------

    def call_json(self, op: str, request: Document | None = None, store: Store | None = None) -> str:
        """Any operation of the operation layer by name (``match``, ``explain``,
        ``calendar``, ``lint``, ``policies``, ``check_condition``, ``reverse`` …; see
        docs/operations.md) with its request (a dict, or JSON text): the envelope as text,
        byte for byte that of ``huiqi call OP``, the C ABI's ``huiqi_call`` and WASM's
        ``Engine.call``. ``store`` is needed by the operations on a store."""
        handle = None if store is None else _store_handle(store)
        return self._call(_lib.lib.huiqi_call, handle, _text(op, "op"), _text(request if request is not None else {}, "request"))

    def call(self, op: str, request: Document | None = None, store: Store | None = None) -> Any:
        """:meth:`call_json`, the result parsed; a failure raises :class:`HuiqiError`."""
        return _unwrap(self.call_json(op, request, store))

    # --- matching ---------------------------------------------------------------------

    def match_json(
        self,
        profile: Profile,
        as_of: AsOf = None,
        *,
        detail: Detail = "full",
        all: bool = False,
        tags: Iterable[str] | None = None,
        limit: int | None = None,
        recommend_undetermined: bool = False,
    ) -> str:
        """The envelope of ``huiqi match --json`` with the same options, as text (success
        or failure)."""
        options = _options(detail, all, tags, limit, recommend_undetermined)
        if options is None:
            return self._call(_lib.lib.huiqi_match, _text(profile, "profile"), _date(as_of))
        return self._call(_lib.lib.huiqi_match_opts, _text(profile, "profile"), _date(as_of), options)

    def match(
        self,
        profile: Profile,
        as_of: AsOf = None,
        *,
        detail: Detail = "full",
        all: bool = False,
        tags: Iterable[str] | None = None,
        limit: int | None = None,
        recommend_undetermined: bool = False,
    ) -> dict[str, Any]:
        """One enterprise against every policy in force on ``as_of`` (default today).

        By default the result lists the eligible and undetermined policies with verdict,
        score, benefit estimate, unmet and undetermined conditions and missing fields, and
        gives the counts of all policies (``summary``), the next questions worth asking and
        the recommended combination. ``all=True`` lists the ineligible policies too;
        ``detail="summary"`` leaves out the conditions in words, ``detail="verdicts"`` lists
        ids and verdicts only; ``tags`` keeps the policies of those packages; ``limit``
        lists at most that many, the best first. Raises :class:`HuiqiError` for a bad
        profile, date or option."""
        result: dict[str, Any] = _unwrap(
            self.match_json(profile, as_of, detail=detail, all=all, tags=tags, limit=limit, recommend_undetermined=recommend_undetermined)
        )
        return result

    def verdicts(self, profile: Profile, as_of: AsOf = None) -> dict[str, Any]:
        """The verdicts-only match, at the policy index's speed: ``summary`` (counts of every
        policy in force) and ``policies`` (``id`` and ``verdict`` of the eligible and
        undetermined ones). Raises :class:`HuiqiError` for a bad profile or date."""
        result: dict[str, Any] = _unwrap(self._call(_lib.lib.huiqi_verdicts, _text(profile, "profile"), _date(as_of)))
        return result

    def policy_ids(self) -> list[str]:
        """The ids of the set's policies in its order: the order of :meth:`verdict_bytes`."""
        ids: list[str] = self.call("policy_ids")["ids"]
        return ids

    def verdict_bytes(self, profile: Profile, as_of: AsOf = None) -> bytes:
        """The compact verdicts: one byte per policy in the set's order (the order of
        :meth:`policy_ids`), with no JSON built: 0 ineligible, 1 eligible, 2 undetermined,
        3 not in force on ``as_of`` (:data:`VERDICT_CODES`). Read them with
        ``numpy.frombuffer(b, dtype=numpy.uint8)`` or as they are. Raises
        :class:`HuiqiError` for a bad profile or date, as :meth:`verdicts` does."""
        handle = self._live()
        n = self._policy_count
        if n is None:
            n = self._policy_count = len(self.policy_ids())
        buf = ctypes.create_string_buffer(max(n, 1))
        got = _lib.lib.huiqi_verdict_bytes(handle, _text(profile, "profile"), _date(as_of), buf, n)
        if got < 0:
            message = _lib.last_error()
            if message.startswith('{"type":"failure"'):
                _unwrap(message)
            raise HuiqiError([{"kind": "request", "message": message}])
        return buf.raw[:got]

    def explain_json(self, profile: Profile, policy_id: str, as_of: AsOf = None) -> str:
        """The envelope of ``huiqi explain --json`` as text (success or failure)."""
        return self._call(_lib.lib.huiqi_explain, _text(profile, "profile"), _text(policy_id, "policy_id"), _date(as_of))

    def explain(self, profile: Profile, policy_id: str, as_of: AsOf = None) -> dict[str, Any]:
        """The explanation tree of one policy for one enterprise. Raises
        :class:`HuiqiError` (kind ``unknown_policy``, with a suggestion) for an unknown id."""
        result: dict[str, Any] = _unwrap(self.explain_json(profile, policy_id, as_of))
        return result

    def match_many_json(
        self,
        profiles: Iterable[Profile],
        as_of: AsOf = None,
        *,
        detail: Detail = "full",
        all: bool = False,
        tags: Iterable[str] | None = None,
        limit: int | None = None,
        recommend_undetermined: bool = False,
        chunk_size: int = 256,
        threads: int = 0,
    ) -> Iterator[str]:
        """Envelope lines (text, no newline), one per profile, in order, streamed: profiles
        are sent to the library ``chunk_size`` at a time and matched on up to ``threads``
        threads (0: every core). A profile that cannot be sent (None, not JSON-serialisable,
        bad UTF-8) gets its own failure line; the others are unaffected."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if threads < 0:
            raise ValueError("threads must be 0 (every core) or more")
        date = _date(as_of)
        options = _options(detail, all, tags, limit, recommend_undetermined)
        chunk: list[bytes] = []
        first = 1  # the item number of the chunk's first profile (failures name it as "line")
        for number, profile in enumerate(profiles, start=1):
            try:
                if profile is None:
                    raise _request_error("profile is None")
                data = _text(profile, "profile")
            except HuiqiError as e:
                yield from self._flush(chunk, date, options, first, threads)
                chunk, first = [], number + 1
                errors = [{**item, "line": item.get("line", number)} for item in e.errors]
                yield json.dumps({"type": "failure", "errors": errors}, ensure_ascii=False, separators=(",", ":"))
                continue
            if data is None or b"\n" in data:
                # A pretty-printed profile is one profile, not several lines: matched on
                # its own (the envelope of match()).
                yield from self._flush(chunk, date, options, first, threads)
                chunk, first = [], number + 1
                yield _at_line(self._call(_lib.lib.huiqi_match_opts, data, date, options), number)
                continue
            chunk.append(data)
            if len(chunk) >= chunk_size:
                yield from self._flush(chunk, date, options, first, threads)
                chunk, first = [], number + 1
        yield from self._flush(chunk, date, options, first, threads)

    def _flush(self, chunk: list[bytes], date: bytes, options: bytes | None, first: int, threads: int) -> Iterator[str]:
        if not chunk:
            return
        # Every item ends with a newline, so that a blank last item is still a line.
        text = self._call(_lib.lib.huiqi_match_many_opts, b"\n".join(chunk) + b"\n", date, options, first, threads)
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) != len(chunk):
            raise HuiqiError([{"kind": "internal", "message": f"{len(chunk)} profiles gave {len(lines)} result lines"}])
        yield from lines

    @overload
    def match_many(
        self,
        profiles: Iterable[Profile],
        as_of: AsOf = ...,
        *,
        detail: Detail = ...,
        all: bool = ...,
        tags: Iterable[str] | None = ...,
        limit: int | None = ...,
        recommend_undetermined: bool = ...,
        chunk_size: int = ...,
        threads: int = ...,
        errors: Literal["yield"] = ...,
    ) -> Iterator[Union[dict[str, Any], HuiqiError]]: ...

    @overload
    def match_many(
        self,
        profiles: Iterable[Profile],
        as_of: AsOf = ...,
        *,
        detail: Detail = ...,
        all: bool = ...,
        tags: Iterable[str] | None = ...,
        limit: int | None = ...,
        recommend_undetermined: bool = ...,
        chunk_size: int = ...,
        threads: int = ...,
        errors: Literal["raise"],
    ) -> Iterator[dict[str, Any]]: ...

    def match_many(
        self,
        profiles: Iterable[Profile],
        as_of: AsOf = None,
        *,
        detail: Detail = "full",
        all: bool = False,
        tags: Iterable[str] | None = None,
        limit: int | None = None,
        recommend_undetermined: bool = False,
        chunk_size: int = 256,
        threads: int = 0,
        errors: str = "yield",
    ) -> Iterator[Union[dict[str, Any], HuiqiError]]:
        """Matches many profiles, streamed: one item per profile, in order, with the options
        of :meth:`match` (use ``detail="verdicts"`` for bulk work). A bad profile does not
        stop the batch: its item is a :class:`HuiqiError` instance (not raised), unless
        ``errors="raise"``."""
        if errors not in ("yield", "raise"):
            raise ValueError('errors must be "yield" or "raise"')
        lines = self.match_many_json(
            profiles,
            as_of,
            detail=detail,
            all=all,
            tags=tags,
            limit=limit,
            recommend_undetermined=recommend_undetermined,
            chunk_size=chunk_size,
            threads=threads,
        )
        for line in lines:
            value = json.loads(line)
            if value.get("type") == "success":
                yield value["result"]
            else:
                error = HuiqiError(value.get("errors", []))
                if errors == "raise":
                    raise error
                yield error

    # --- enterprise stores ------------------------------------------------------------

    def open_store(self, path: str | os.PathLike[str]) -> Store:
        """Opens an enterprise store with this engine's schema: a file saved by ``huiqi store
        build``, CSV (a ``.csv`` name) or JSON lines. Bad CSV or JSON-lines rows are skipped
        and reported in :attr:`Store.info`; raises :class:`HuiqiError` (kind ``store``) for
        a file that cannot be read, a corrupt store file or one of another schema."""
        return Store(self, path)

    def reverse_json(self, store: Store, policy_id: str, as_of: AsOf = None, list: int = 20) -> str:
        """The envelope of ``huiqi reverse --json`` as text (success or failure)."""
        if isinstance(list, bool) or not isinstance(list, int) or list < 0:
            raise ValueError("list must be a non-negative integer")
        # A store holds at most 2**32 enterprises: a longer list lists them all.
        count = min(list, 1 << 32)
        return self._call(_lib.lib.huiqi_reverse, _store_handle(store), _text(policy_id, "policy_id"), _date(as_of), count)

    def reverse(self, store: Store, policy_id: str, as_of: AsOf = None, list: int = 20) -> dict[str, Any]:
        """Which enterprises of ``store`` qualify for one policy on ``as_of`` (default today):
        ``policy``, ``as_of``, ``enterprises``, the counts ``eligible`` and ``undetermined``,
        and the ids (统一社会信用代码) of the first ``list`` of each in ``eligible_ids`` and
        ``undetermined_ids``. Raises :class:`HuiqiError` (kind ``unknown_policy``, whose
        message suggests the nearest id) for an unknown policy, (kind ``store``) for a
        store of another schema."""
        result: dict[str, Any] = _unwrap(self.reverse_json(store, policy_id, as_of, list))
        return result

    def prepare(self, store: Store, as_of: AsOf = None) -> dict[str, Any]:
        """Computes the store's predicate sets for this engine on ``as_of`` and keeps them
        with the store, so that :meth:`reverse`, :meth:`bulk_counts` and
        :meth:`bulk_arrow` on this engine and date answer from them (a store keeps one
        date's). Optional: the first question on a date prepares. Returns
        ``{"enterprises": n, "as_of": "YYYY-MM-DD", "seconds": s}``."""
        result: dict[str, Any] = _unwrap(self._call(_lib.lib.huiqi_store_prepare, _store_handle(store), _date(as_of)))
        return result

    def bulk_counts_json(self, store: Store, as_of: AsOf = None) -> str:
        """The bulk-counts envelope as text (success or failure)."""
        return self._call(_lib.lib.huiqi_bulk_counts, _store_handle(store), _date(as_of))

    def fields_read(self) -> dict[str, Any]:
        """The schema fields the policies read (conditions and benefits, through
        definitions and derived fields), and the fields that name an enterprise:
        ``{"fields": [{"name": …, "label": …, "per_year": bool}, …], "ids": ["uscc",
        "name"]}``. A columnar job may hand :meth:`store_from_arrow` only these columns
        (a per-year field's ``name_YYYY`` columns): the others change no answer."""
        result: dict[str, Any] = _unwrap(self._call(_lib.lib.huiqi_fields_read))
        return result

    def columns_read(self, columns: Any) -> list[str]:
        """Of ``columns`` (a table's column names, or its ``pyarrow.Schema``: then a
        struct column keyed by year is one column), those a bulk run reads: the
        columns of :meth:`fields_read`'s fields by name or label, per-year fields' year
        columns (``name_YYYY``, ``name@YYYY``, ``name.YYYY``, or the struct column keyed
        by year), and the id columns. Other columns of the schema are left out; a name
        that is not a schema field (nor ``$…``) raises :class:`HuiqiError`, as
        :meth:`store_from_arrow` would, so a misspelt column is not silently dropped."""
        import pyarrow as pa

        if isinstance(columns, pa.Schema):
            names = [c for c in columns.names if not c.startswith("$")]
            empty = columns.empty_table().select(names)
        else:
            names = [c for c in columns if not c.startswith("$")]
            empty = pa.Table.from_arrays([pa.array([], pa.null()) for _ in names], names=names)
        # The names checked as store_from_arrow checks them: on an empty table.
        self.store_from_arrow(empty).close()
        read = self.fields_read()
        plain: set[str] = set()
        yearly: set[str] = set()
        for f in read["fields"]:
            either = {f["name"], f["label"]}
            (yearly if f["per_year"] else plain).update(either)
            if f["per_year"]:
                plain.update(either)  # a struct column keyed by year
        plain.update(read["ids"])

        def wanted(column: str) -> bool:
            name = column.strip()
            if name in plain:
                return True
            base, sep, year = name[:-5], name[-5:-4], name[-4:]
            return sep in ("_", "@", ".") and year.isdigit() and base in yearly

        return [c for c in names if wanted(c)]

    def store_from_arrow(self, data: Any) -> Store:
        """A store filled from columnar data through the Arrow C stream interface, with no
        JSON and no Python object per row: a pyarrow ``Table``, ``RecordBatch`` or
        ``RecordBatchReader``, a pandas or Polars DataFrame, a DuckDB result, or anything
        with ``__arrow_c_stream__``. Columns are named by field names or labels, a per-year
        field one column per year (``rd_expense_2025``); null is unknown (docs/arrow.md).
        Raises :class:`HuiqiError` (kind ``store``) naming the column and row of a value
        that does not fit."""
        reader = _arrow_reader(data)
        stream = _lib.ArrowArrayStream()
        reader._export_to_c(ctypes.addressof(stream))
        store = Store.__new__(Store)
        store._handle = None
        store.path = "<arrow>"
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_store_from_arrow(self._live(), ctypes.addressof(stream), ctypes.byref(error))
        store._adopt(handle, error)
        return store

    def bulk_arrow(
        self,
        data: Any,
        as_of: AsOf = None,
        output: Literal["pairs", "lists", "counts"] = "pairs",
        undetermined: bool = False,
        *,
        missing: bool = False,
        reader: bool = False,
    ) -> Any:
        """Every enterprise of ``data`` against every policy version in force on ``as_of``,
        as Arrow. ``data`` is a :class:`Store` or columnar data (see
        :meth:`store_from_arrow`; loaded into a store for this call). ``output``:

        - ``pairs``: ``enterprise_id, policy_id, verdict``, one row per eligible pair (and
          undetermined pair with ``undetermined=True``), policy by policy as ``huiqi bulk``;
        - ``lists``: ``enterprise_id, eligible`` (list of policy ids), and ``undetermined``
          with ``undetermined=True``, one row per enterprise in input order;
        - ``counts``: ``policy_id, eligible, undetermined``, one row per policy.

        ``missing=True`` (pairs with ``undetermined=True`` only) adds ``missing_fields``, the
        field names each undetermined pair lacks (null for eligible pairs); it matches each
        enterprise with an undetermined pair on its own, so it costs per-enterprise work.

        Returns a ``pyarrow.Table``, or a ``pyarrow.RecordBatchReader`` with
        ``reader=True`` (batches made as they are read)."""
        import pyarrow as pa

        if output not in ("pairs", "lists", "counts"):
            raise ValueError("output is one of 'pairs', 'lists', 'counts'")
        own = not isinstance(data, Store)
        store = self.store_from_arrow(data) if own else data
        try:
            out = _lib.ArrowArrayStream()
            options = json.dumps({"output": output, "undetermined": bool(undetermined), "missing": bool(missing)}).encode("utf-8")
            _unwrap(self._call(_lib.lib.huiqi_bulk_arrow, _store_handle(store), _date(as_of), options, ctypes.addressof(out)))
            result = pa.RecordBatchReader._import_from_c(ctypes.addressof(out))
            return result if reader else result.read_all()
        finally:
            if own:
                store.close()

    def bulk_counts(self, store: Store, as_of: AsOf = None) -> list[dict[str, Any]]:
        """Every enterprise of ``store`` against every policy version in force on ``as_of``:
        ``[{"policy": id, "eligible": n, "undetermined": n}, …]`` in the engine's policy
        order, the numbers of ``huiqi bulk --format counts``."""
        result: list[dict[str, Any]] = _unwrap(self.bulk_counts_json(store, as_of))
        return result


def _arrow_reader(data: Any) -> Any:
    """Columnar data as a ``pyarrow.RecordBatchReader`` (no copy where pyarrow needs none)."""
    import pyarrow as pa

    if isinstance(data, pa.RecordBatchReader):
        return data
    if isinstance(data, pa.Table):
        return data.to_reader()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]).to_reader()
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False).to_reader()
    if hasattr(data, "__arrow_c_stream__"):  # Polars, DuckDB, and other Arrow producers
        return pa.RecordBatchReader.from_stream(data)
    if module == "polars":
        return data.to_arrow().to_reader()
    if module == "duckdb":
        return data.fetch_record_batch()
    raise TypeError(f"expected Arrow data (a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or Polars DataFrame, a DuckDB result), not {type(data).__name__}")


def _store_handle(store: Store) -> int:
    if not isinstance(store, Store):
        raise TypeError(f"expected a huiqi.Store (from Engine.open_store), not {type(store).__name__}")
    return store._live()


class Store(_Handle):
    """Enterprises in columns, loaded once for :meth:`Engine.reverse` and
    :meth:`Engine.bulk_counts`. Made by :meth:`Engine.open_store` (or ``Store(engine,
    path)``); close it, or use it as a context manager.

    A store is read with the schema of the engine that opened it, and must be used with
    engines of that schema (any policy set over it). It does not keep the engine: either
    may be closed first. A store is immutable: many threads may use it at once.
    """

    _what = "store"

    def _free(self, handle: int) -> None:
        _lib.lib.huiqi_store_free(handle)

    def __init__(self, engine: Engine, path: str | os.PathLike[str]):
        self._handle = None
        self.path = os.fspath(path)
        error = ctypes.c_void_p()
        handle = _lib.lib.huiqi_store_open(engine._live(), os.fsencode(path), ctypes.byref(error))
        self._adopt(handle, error)

    @property
    def info(self) -> dict[str, Any]:
        """How the store was loaded: ``{"enterprises": n, "report": {"loaded": n,
        "skipped": n, "warnings": n, "errors": [{"line": n, "reason": "…"}, …]}}`` (the
        first 100 skipped rows)."""
        text = _lib.take(_lib.lib.huiqi_store_info(self._live()))
        if text is None:
            raise HuiqiError([{"kind": "request", "message": _lib.last_error()}])
        result: dict[str, Any] = _unwrap(text)
        return result

    def __len__(self) -> int:
        """The number of enterprises."""
        return int(self.info["enterprises"])

    def __repr__(self) -> str:
        return f"<huiqi.Store {getattr(self, 'path', '?')!r} {'closed' if self.closed else hex(self._handle or 0)}>"
