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

    The form (version 2) is, after a header naming the form and the rows, per column in name
    order: its name, canonical type and length, then the sha256 of each of its streams:

    - the packed null mask;
    - integers and booleans: each value as one signed byte, ``-128`` standing for "the next
      value of the wide stream", and the wide stream, those values as int64 (a null's slot
      counts as 0); floats and decimals as float64 bits, times as int64 (a null's as 0);
    - text and binary: each value's length in bytes as one unsigned byte, ``255`` standing
      for "the next length of the wide stream", the wide stream (int64), and the values'
      bytes (text as UTF-8).

    The form depends only on the values and their kind (an int32 and an int64 column of the
    same numbers hash alike) and is unambiguous: the values can be read back from it. Most
    values fit one byte, so the form is a fraction of the column's size. Columns are
    converted and hashed piece by piece (no column is copied whole), on two threads
    (hashlib releases the GIL).
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

    def pieces(column: Any) -> Any:
        """The column's arrays in order, each within one chunk and at most SLICE_ROWS long."""
        for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
            for start in range(0, len(chunk), SLICE_ROWS):
                yield to_canonical_type(chunk.slice(start, SLICE_ROWS))

    def canonical(name: str) -> bytes:
        column = table.column(name)
        kind = to_canonical_type(column.slice(0, 0)).type
        given = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        given = given.storage_type if isinstance(given, pa.ExtensionType) else given
        whole_numbers = pa.types.is_integer(given) or pa.types.is_boolean(given)
        digest = hashlib.sha256(f"column={name};type={kind};rows={len(column)}".encode())
        # the streams of pieces converted one at a time: a text column is never copied
        # whole. The packed null bits are those of the whole column: the bits past a
        # piece's last whole byte are carried to the next piece, zero bits padded at the end.
        masks, values, wide, texts = (hashlib.sha256() for _ in range(4))
        carried = np.zeros(0, dtype=bool)
        for array in pieces(column):
            nulls = None
            if array.null_count:
                nulls = pc.is_null(array).to_numpy(zero_copy_only=False)
            if nulls is not None or carried.any():
                mask = nulls if nulls is not None else np.zeros(len(array), dtype=bool)
                bits = np.concatenate([carried, mask]) if len(carried) else mask
                whole = len(bits) - len(bits) % 8
                masks.update(np.packbits(bits[:whole]).tobytes())
                carried = bits[whole:]
            else:  # the same packed bits, all zero, without building them
                pending = len(carried) + len(array)
                masks.update(bytes(pending // 8))
                carried = np.zeros(pending % 8, dtype=bool)
            buffers = array.buffers()
            if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type):
                offsets = np.frombuffer(buffers[1], dtype=np.int64)[
                    array.offset : array.offset + len(array) + 1
                ]
                lengths = np.diff(offsets)
                values.update(_one_byte(lengths, np.uint8, 255, wide))
                texts.update(memoryview(buffers[2])[int(offsets[0]) : int(offsets[-1])])
                continue
            numbers = np.frombuffer(buffers[1], dtype=array.type.to_pandas_dtype())
            numbers = numbers[array.offset : array.offset + len(array)]
            if nulls is not None:  # a null's slot holds anything: hashed as 0 (bits)
                keep = nulls.view(np.int8).astype(np.int64) - 1  # 0 where null, else ~0
                numbers = numbers.view(np.int64) & keep
            if whole_numbers:
                values.update(_one_byte(numbers, np.int8, -128, wide))
            else:
                values.update(np.ascontiguousarray(numbers).data.cast("B"))
        if len(carried):
            masks.update(np.packbits(carried).tobytes())
        for part in (masks, values, wide, texts):
            digest.update(part.digest())
        return digest.digest()

    # the largest columns first, so that the two threads finish together; the parts are
    # then combined in name order
    names = sorted(columns, key=lambda name: -table.column(name).nbytes)
    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = dict(zip(names, pool.map(canonical, names), strict=True))
    total = hashlib.sha256(f"fairloop table digest 2;rows={table.num_rows}\n".encode())
    for name in sorted(columns):
        total.update(parts[name])
    return total.hexdigest()


def _one_byte(numbers: Any, kind: Any, escape: int, wide: Any) -> Any:
    """``numbers`` as one byte each, ``escape`` for those that do not fit (added to ``wide``)."""
    info = np.iinfo(kind)
    low, high = (info.min + 1, info.max) if escape == info.min else (info.min, info.max - 1)
    if len(numbers) and (numbers.min() < low or numbers.max() > high):
        escaped = (numbers < low) | (numbers > high)
        wide.update(np.ascontiguousarray(numbers[escaped], dtype=np.int64).data.cast("B"))
        numbers = np.where(escaped, escape, numbers)
    return np.ascontiguousarray(numbers.astype(kind)).data.cast("B")


def file_sha256(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
