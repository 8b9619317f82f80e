"""Content hashes of decision logs: of a file's bytes, or of a canonical form of a table."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["file_sha256", "table_sha256"]


def table_sha256(table: Any, columns: Sequence[str]) -> str:
    """Hash a canonical form of the columns with sha256.

    Per column in name order: its name and type, its null mask and its values' bytes
    (text as UTF-8 with offsets, numbers as int64 or float64, times as int64). Columns
    are hashed on two threads (hashlib releases the GIL).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def canonical(name: str) -> bytes:
        column = table.column(name)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if isinstance(column.type, pa.ExtensionType):
            column = column.cast(column.type.storage_type)
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            column = column.cast(pa.int64())
        elif pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_temporal(kind):
            column = column.cast(pa.timestamp("ns")) if pa.types.is_date(kind) else column
            column = column.cast(pa.int64()) if not pa.types.is_int64(column.type) else column
        elif pa.types.is_binary(kind) or pa.types.is_fixed_size_binary(kind):
            column = column.cast(pa.large_binary())
        elif not pa.types.is_large_string(kind):
            try:
                column = column.cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                # nested or exotic values: hash their text form
                column = pa.array([None if v is None else str(v) for v in column.to_pylist()],
                                  pa.large_string())  # fmt: skip
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        digest = hashlib.sha256(f"column={name};type={array.type};rows={len(array)}".encode())
        nulls = pc.is_null(array).to_numpy(zero_copy_only=False)
        digest.update(np.packbits(nulls).tobytes())
        buffers = array.buffers()
        if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type):
            offsets = np.frombuffer(buffers[1], dtype=np.int64)[
                array.offset : array.offset + len(array) + 1
            ]
            digest.update((offsets - offsets[0]).tobytes())
            digest.update(memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])])
        else:
            values = np.frombuffer(buffers[1], dtype=array.type.to_pandas_dtype())
            values = values[array.offset : array.offset + len(array)].copy()
            values[nulls] = 0
            digest.update(values.tobytes())
        return digest.digest()

    names = sorted(columns)
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(canonical, names))
    total = hashlib.sha256(f"rows={table.num_rows}\n".encode())
    for part in parts:
        total.update(part)
    return total.hexdigest()


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
