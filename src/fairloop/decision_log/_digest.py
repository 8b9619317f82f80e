"""Content hashes of decision logs: of a file's bytes, or of a canonical form of a table."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

__all__ = ["file_sha256", "table_sha256"]


#: Rows converted and hashed at a time (a multiple of 8).
SLICE_ROWS = 1 << 20


def table_sha256(table: Any, columns: Sequence[str]) -> str:
    """Hash a canonical form of the columns with sha256.

    Per column in name order: its name, type and length, then the sha256 of its packed null
    mask, of its values (numbers as int64 or float64, times as int64; for text, the
    offsets) and of its text as UTF-8. Columns are converted and hashed slice by slice (no
    column is copied whole), on two threads (hashlib releases the GIL).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def to_canonical_type(column: Any) -> Any:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if isinstance(column.type, pa.ExtensionType):
            column = column.cast(column.type.storage_type)
        kind = column.type
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            return column.cast(pa.int64())
        if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            return column.cast(pa.float64())
        if pa.types.is_temporal(kind):
            column = column.cast(pa.timestamp("ns")) if pa.types.is_date(kind) else column
            return column.cast(pa.int64()) if not pa.types.is_int64(column.type) else column
        if pa.types.is_binary(kind) or pa.types.is_fixed_size_binary(kind):
            return column.cast(pa.large_binary())
        if not pa.types.is_large_string(kind):
            try:
                return column.cast(pa.large_string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                # nested or exotic values: hash their text form
                return pa.array([None if v is None else str(v) for v in column.to_pylist()],
                                pa.large_string())  # fmt: skip
        return column

    def canonical(name: str) -> bytes:
        column = table.column(name)
        kind = to_canonical_type(column.slice(0, 0)).type
        digest = hashlib.sha256(f"column={name};type={kind};rows={len(column)}".encode())
        # the null masks, then the values (for text: the offsets, then the bytes), of
        # slices converted one at a time: a text column is never copied whole. Slices of a
        # multiple of 8 rows keep the packed null bits identical to the whole column's.
        masks, values, texts = hashlib.sha256(), hashlib.sha256(), hashlib.sha256()
        base = 0
        for start in range(0, max(len(column), 1), SLICE_ROWS):
            part = to_canonical_type(column.slice(start, SLICE_ROWS))
            array = part.combine_chunks() if isinstance(part, pa.ChunkedArray) else part
            if array.null_count:
                nulls = pc.is_null(array).to_numpy(zero_copy_only=False)
                masks.update(np.packbits(nulls).tobytes())
            else:  # the same packed bits, all zero, without building them
                nulls = None
                masks.update(bytes((len(array) + 7) // 8))
            buffers = array.buffers()
            if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type):
                if len(array) == 0:
                    continue
                offsets = np.frombuffer(buffers[1], dtype=np.int64)[
                    array.offset : array.offset + len(array) + 1
                ]
                # offsets as in the whole column: relative to its first value
                relative = offsets - offsets[0] + base
                values.update((relative if start == 0 else relative[1:]).tobytes())
                texts.update(memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])])
                base = int(relative[-1])
            elif len(array):
                numbers = np.frombuffer(buffers[1], dtype=array.type.to_pandas_dtype())
                numbers = numbers[array.offset : array.offset + len(array)]
                if nulls is not None:  # a null's slot holds anything: hashed as 0
                    numbers = numbers.copy()
                    numbers[nulls] = 0
                values.update(np.ascontiguousarray(numbers).data.cast("B"))
        for part in (masks, values, texts):
            digest.update(part.digest())
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
