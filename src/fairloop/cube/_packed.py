"""A table of a stored cube as compressed Arrow IPC, in text (the review store's form).

A packed table is ``{"arrow": "<base64>", "bytes": N}``: an Arrow IPC stream of N bytes,
compressed as one zstd frame, in base64. It stands where a cube's JSON form has its list of
rows (:meth:`fairloop.CountCube.to_dict`).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "PACKED_KEY", "Codes", "arrow_table", "is_packed", "pack_arrow", "pack_table", "plain_text",
    "unpack_table",
]  # fmt: skip

#: The key of a packed table's payload.
PACKED_KEY = "arrow"
#: Beside it, the stream's size before compression.
SIZE_KEY = "bytes"


#: Text columns given as codes: per column, each row's code and the values coded.
Codes = Mapping[str, tuple[NDArray[np.int64], NDArray[np.object_]]]


def pack_table(frame: pd.DataFrame, codes: Codes | None = None) -> dict[str, Any] | None:
    """``frame`` as a zstd-compressed Arrow IPC stream, base64-encoded; None if not typed.

    A table whose columns Arrow cannot type (mixed values in one column) gives None: the
    caller keeps its rows as JSON. Text columns given in ``codes`` are taken as they are
    coded (no value converted row by row).
    """
    table = arrow_table(frame, codes)
    return None if table is None else pack_arrow(_dictionary_encoded(table))


def arrow_table(frame: pd.DataFrame, codes: Codes | None = None) -> Any:
    """``frame`` as an Arrow table (None if Arrow cannot type a column), to slice and pack.

    Columns given in ``codes`` become dictionary arrays of those codes (for a slice,
    :func:`plain_text` turns them back into text at once).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    coded = {k: v for k, v in (codes or {}).items() if k in frame}
    try:
        rest = pa.Table.from_pandas(frame.drop(columns=list(coded)), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    arrays = {
        name: pa.DictionaryArray.from_arrays(
            pa.array(code, pa.int32()), pa.array([str(v) for v in values], pa.string())
        )
        for name, (code, values) in coded.items()
    }
    table = pa.table(
        [arrays[n] if n in arrays else rest.column(n) for n in frame.columns],
        names=[str(n) for n in frame.columns],
    )
    # counts in the narrowest integer type that holds them (most are 0, 1 or small): a
    # fraction of the bytes to compress; they are read back as int64
    columns = []
    for column in table.columns:
        if pa.types.is_integer(column.type) and len(column) and column.null_count == 0:
            low, high = pc.min_max(column).values()
            for kind in (pa.int8(), pa.int16(), pa.int32()):
                info = np.iinfo(kind.to_pandas_dtype())
                if info.min <= low.as_py() and high.as_py() <= info.max:
                    column = column.cast(kind)
                    break
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def plain_text(table: Any) -> Any:
    """Dictionary columns as their text (in one cast each), for tables to slice."""
    import pyarrow as pa

    columns = [
        c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in table.columns
    ]
    return pa.table(columns, names=table.column_names)


def _dictionary_encoded(table: Any) -> Any:
    """Text columns dictionary-encoded: a key repeats in most cells of a whole table.

    (A slice of a table keeps plain text: its stream would carry the whole dictionary.)
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    columns = [
        pc.dictionary_encode(c) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type)
        else c
        for c in table.columns
    ]  # fmt: skip
    return pa.table(columns, names=table.column_names)


def pack_arrow(table: Any) -> dict[str, Any]:
    """An Arrow table (or a slice of one) as :func:`pack_table` packs it.

    The stream is compressed whole (one zstd frame), not buffer by buffer: a window's
    table is small, and compressing its thirty buffers one at a time costs more than
    writing it.
    """
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    stream = sink.getvalue()
    packed = _codec().compress(stream)
    return {PACKED_KEY: base64.b64encode(packed).decode("ascii"), SIZE_KEY: stream.size}


@functools.cache
def _codec() -> Any:
    import pyarrow as pa

    return pa.Codec("zstd")


def unpack_table(packed: dict[str, Any], columns: list[str]) -> pd.DataFrame:
    """The table :func:`pack_table` packed, its text columns as text again.

    Raises
    ------
    ValueError
        The payload is not an Arrow stream of these columns (a damaged record).
    """
    import pyarrow as pa

    try:
        data = base64.b64decode(packed[PACKED_KEY], validate=True)
        stream = _codec().decompress(data, decompressed_size=int(packed[SIZE_KEY]))
        table = pa.ipc.open_stream(stream).read_all()
    except (KeyError, TypeError, ValueError, OSError, pa.ArrowInvalid) as exc:
        raise ValueError(f"A stored cube table cannot be read: {exc}") from None
    if table.column_names != list(columns):
        raise ValueError(
            f"A stored cube table has columns {table.column_names}, expected {list(columns)}."
        )
    table = plain_text(table)  # counts narrowed to pack them are int64 again
    wide = [c.cast(pa.int64()) if pa.types.is_integer(c.type) else c for c in table.columns]
    frame: pd.DataFrame = pa.table(wide, names=table.column_names).to_pandas()
    return frame


def is_packed(rows: Any) -> bool:
    """Whether a table's rows are packed (:func:`pack_table`) rather than a list."""
    return isinstance(rows, dict) and PACKED_KEY in rows
