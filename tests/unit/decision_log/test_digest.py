"""The in-memory content hash: its documented canonical form, rebuilt here value by value."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pyarrow as pa
import pytest

from fairloop.decision_log import _digest


def _reference(table: pa.Table, columns: list[str]) -> str:
    """The form of ``table_sha256``'s docstring, written from the docstring in plain Python."""
    total = hashlib.sha256(f"fairloop table digest 2;rows={table.num_rows}\n".encode())
    for name in sorted(columns):
        values = table.column(name).to_pylist()
        kind = table.column(name).type
        if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
            canonical = "int64"
        elif pa.types.is_floating(kind):
            canonical = "double"
        else:
            canonical = "large_string"
        head = hashlib.sha256(f"column={name};type={canonical};rows={len(values)}".encode())
        bits = "".join("1" if v is None else "0" for v in values)
        bits += "0" * (-len(bits) % 8)
        mask = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
        small, wide, text = b"", b"", b""
        for v in values:
            if canonical == "int64":
                number = 0 if v is None else int(v)
                if -127 <= number <= 127:
                    small += struct.pack("<b", number)
                else:
                    small += struct.pack("<b", -128)
                    wide += struct.pack("<q", number)
            elif canonical == "double":
                small += struct.pack("<d", 0.0 if v is None else v)
            else:
                data = b"" if v is None else v.encode()
                if len(data) < 255:
                    small += bytes([len(data)])
                else:
                    small += bytes([255])
                    wide += struct.pack("<q", len(data))
                text += data
        for stream in (mask, small, wide, text):
            head.update(hashlib.sha256(stream).digest())
        total.update(head.digest())
    return total.hexdigest()


@pytest.fixture
def table() -> pa.Table:
    rng = np.random.default_rng(11)
    n = 1_013
    words = np.array(["", "a", "ümlaut", "x" * 300, None], dtype=object)
    return pa.table(
        {
            "text": pa.array(words[rng.integers(0, 5, n)], pa.string()),
            "number": pa.array(np.where(rng.random(n) < 0.1, None, rng.integers(-300, 300, n))),
            "small": pa.array(rng.integers(0, 2, n), pa.int32()),
            "flag": pa.array(rng.random(n) < 0.5),
            "score": pa.array(np.where(rng.random(n) < 0.1, None, rng.random(n))),
        }
    )


def test_digest_is_the_documented_form(table: pa.Table) -> None:
    columns = table.column_names
    assert _digest.table_sha256(table, columns) == _reference(table, columns)


def test_digest_does_not_depend_on_pieces_chunks_or_width(
    table: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns = table.column_names
    whole = _digest.table_sha256(table, columns)
    monkeypatch.setattr(_digest, "SLICE_ROWS", 24)
    # chunks of 97 rows: the null masks' bits run across chunk ends
    chunked = pa.Table.from_batches(table.to_batches(max_chunksize=97))
    assert _digest.table_sha256(chunked, columns) == whole
    widened = table.set_column(2, "small", table.column("small").cast(pa.int64()))
    assert _digest.table_sha256(widened, columns) == whole
    one = table.column("number").to_pylist()
    one[500] = 1_000 if one[500] != 1_000 else 999
    changed = table.set_column(1, "number", pa.array(one))
    assert _digest.table_sha256(changed, columns) != whole
