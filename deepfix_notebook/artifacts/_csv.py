"""Reading ``metrics.csv`` (wide or long) with pyarrow's streaming CSV reader.

The file is parsed block by block into numpy columns, so memory stays near the size of the
resulting arrays and no Python code runs per row.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from deepfix_notebook.artifacts._errors import invalid, too_many_rows
from deepfix_notebook.artifacts._names import canonical_name, is_axis
from deepfix_notebook.artifacts._rows import Column, long_to_table, wide_to_table
from deepfix_notebook.artifacts._table import MetricsTable

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pacsv

BLOCK_SIZE = 1 << 20  # bytes per parsed block: amortises the per-block cost, bounds memory
# Empty cells are "not logged"; the strings nan/inf are data (a diverged loss) and stay NaN/Inf.
NULL_VALUES = ["", "null", "NULL", "None", "NA", "N/A"]
LONG_COLUMNS = ("key", "value", "step")
_COLUMN_NUMBER = re.compile(r"In CSV column #(\d+)")
_NUMBER = r"^\s*[+-]?((\d+\.?\d*|\.\d+)(e[+-]?\d+)?|nan|inf|infinity)\s*$"


def read_metrics_csv(
    path: str | Path, *, name: str | None = None, max_rows: int | None = None
) -> tuple[MetricsTable, list[str]]:
    """Read a wide or long ``metrics.csv`` into a table, with the warnings it raised.

    With ``max_rows``, a file of more steps is ``ARTIFACT_INVALID`` (`too_many_rows`), raised
    from the first block past the limit: the rest of the file is never parsed.
    """
    path = Path(path)
    file = name or path.name
    header = _read_header(path, file)
    lowered = [column.strip().lower() for column in header]
    if set(LONG_COLUMNS) <= set(lowered):
        return _read_long(path, header, lowered, file, max_rows)
    return _read_wide(path, header, file, max_rows)


def _read_header(path: Path, file: str) -> list[str]:
    with path.open("rb") as handle:
        head = handle.read(64 << 10)
    if not head.strip():
        raise invalid(
            "The file is empty; write a header line (step,epoch,<metrics>) and one row per step.",
            file=file,
        )
    if b"\x00" in head:
        raise invalid("The file is binary, not CSV text; write metrics as UTF-8 CSV.", file=file)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a cut multi-byte character at the end is fine
            raise invalid(
                f"The file is not UTF-8 text (byte {exc.start}); save metrics as UTF-8 CSV.",
                file=file,
            ) from exc
        text = head[: exc.start].decode("utf-8-sig")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    header = next(csv.reader(io.StringIO(first_line)), [])
    header = [column.strip() for column in header]
    if not any(header) or len(set(header)) != len(header) or "" in header:
        raise invalid(
            "The header line must name every column once (e.g. step,epoch,train_loss,val_loss); "
            f"got {first_line[:200]!r}.",
            file=file,
            field="header",
        )
    if len(text.splitlines()) < 2 and len(head) < (64 << 10):
        raise invalid(
            "The file has a header but no rows; log at least three steps of metrics.",
            file=file,
        )
    return header


def _read_wide(
    path: Path, header: list[str], file: str, max_rows: int | None
) -> tuple[MetricsTable, list[str]]:
    import pyarrow as pa

    warnings: list[str] = []
    included = list(header)
    while True:
        types: dict[str, pa.DataType] = {c: pa.float64() for c in included}
        try:
            columns = _stream_columns(path, included, types, file=file, max_rows=max_rows)
            break
        except pa.ArrowInvalid as exc:
            column = _failing_column(exc, header)
            if column is None:
                raise invalid(f"The CSV cannot be parsed: {exc}", file=file) from exc
            if is_axis(column) or canonical_name(column):
                value, row = _first_non_numeric(path, column)
                raise invalid(
                    f"{column} must hold numbers, but row {row} is {value!r}; write numbers "
                    "(nan and inf are fine), or leave the cell empty when not logged.",
                    file=file,
                    field=column,
                    row=row,
                    value=value,
                ) from exc
            included.remove(column)
            warnings.append(f"{file}: column '{column}' is not numeric and is ignored.")
    if not included:
        raise invalid("No numeric columns were found.", file=file)
    table, more = wide_to_table(columns, format="wide", file=file)
    return table, warnings + more


def _read_long(
    path: Path, header: list[str], lowered: list[str], file: str, max_rows: int | None
) -> tuple[MetricsTable, list[str]]:
    import pyarrow as pa

    names = {low: header[lowered.index(low)] for low in LONG_COLUMNS}
    types = {
        names["key"]: pa.dictionary(pa.int32(), pa.string()),
        names["value"]: pa.float64(),
        names["step"]: pa.float64(),
    }
    keys: dict[str, int] = {}
    estimate = _estimate_rows(path)
    if max_rows is not None:  # a long file has a row per metric and step: several per step
        estimate = min(estimate, 8 * max_rows + 16)
    key_ids = _Buffer(estimate, np.int32)
    values = _Buffer(estimate, np.float64)
    steps = _Buffer(estimate, np.float64)
    try:
        for batch in _open(path, list(types), types):
            key_column = cast("pa.DictionaryArray[Any, Any]", batch.column(names["key"]))
            if key_column.null_count:
                raise invalid("key must name a metric on every row.", file=file, field="key")
            # Each block has its own small dictionary of names: map it onto one global numbering.
            remap = np.array(
                [keys.setdefault(str(k), len(keys)) for k in key_column.dictionary.to_pylist()]
                or [0],
                dtype=np.int32,
            )
            value, logged = to_numpy(batch.column(names["value"]))  # empty = not logged
            ids = remap[to_numpy(key_column.indices)[0].astype(np.intp)]
            step, _ = to_numpy(batch.column(names["step"]))
            if not logged.all():
                ids, value, step = ids[logged], value[logged], step[logged]
            key_ids.append(ids)
            values.append(value)
            steps.append(step)
            # Fewer than max_rows steps hold at most max_rows values of each metric.
            if max_rows is not None and values.length > max_rows * max(len(keys), 1):
                raise too_many_rows(max_rows, file=file, read=values.length)
    except pa.ArrowInvalid as exc:
        column = _failing_column(exc, header) or names["value"]
        cell, row = _first_non_numeric(path, column)
        raise invalid(
            f"{column} must hold numbers, but row {row} is {cell!r}.",
            file=file,
            field=column,
            row=row,
            value=cell,
        ) from exc
    if not values.length:
        raise invalid("The file has a header but no logged values.", file=file)
    return long_to_table(
        key_ids.finish(),
        list(keys),
        values.finish(),
        steps.finish(),
        format="long",
        file=file,
    )


def _open(
    path: Path, include: list[str], types: dict[str, pa.DataType]
) -> pacsv.CSVStreamingReader:
    """A streaming reader of ``include`` typed as ``types``."""
    import pyarrow.csv as pacsv

    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            include_columns=include,
            null_values=NULL_VALUES,
            strings_can_be_null=True,
        ),
    )


def _stream_columns(
    path: Path,
    include: list[str],
    types: dict[str, pa.DataType],
    *,
    file: str,
    max_rows: int | None = None,
) -> dict[str, Column]:
    """Parse ``include`` as float64 columns: values (NaN where empty) and a logged mask.

    Each block is copied into buffers sized from the file, so peak memory stays close to the
    size of the final arrays instead of twice it; past ``max_rows`` rows, `too_many_rows`.
    """
    estimate = _estimate_rows(path)
    if max_rows is not None:
        estimate = min(estimate, max_rows + 16)
    values = {name: _Buffer(estimate, np.float64) for name in include}
    logged: dict[str, _Buffer] = {}
    rows = 0
    for batch in _open(path, include, types):
        for name in include:
            column, mask = to_numpy(batch.column(name))
            values[name].append(column)
            if name in logged or not mask.all():
                if name not in logged:  # the first empty cell: every earlier row was logged
                    logged[name] = _Buffer(estimate, np.bool_)
                    logged[name].append(np.ones(rows, dtype=bool))
                logged[name].append(mask)
        rows += batch.num_rows
        if max_rows is not None and rows > max_rows:
            raise too_many_rows(max_rows, file=file, read=rows)
    # Pop each buffer as it is finished so that at most one column exists twice at a time.
    return {
        name: (
            values.pop(name).finish(),
            logged.pop(name).finish() if name in logged else np.ones(rows, dtype=bool),
        )
        for name in include
    }


def to_numpy(array: pa.Array[Any]) -> tuple[np.ndarray, np.ndarray]:
    """A primitive arrow array as (values, valid mask), nulls as NaN for floats.

    Reads the buffers directly: ``Array.to_numpy`` would import pandas (0.15 s) when installed.
    """
    n, offset = len(array), array.offset
    validity, data = array.buffers()[:2]
    dtype = _DTYPES[str(array.type)]
    if data is None:  # an all-null column of a type without a data buffer
        return np.full(n, np.nan), np.zeros(n, dtype=bool)
    values = np.frombuffer(memoryview(data), dtype=dtype, count=n, offset=offset * dtype.itemsize)
    if array.null_count == 0 or validity is None:
        return values, np.ones(n, dtype=bool)
    bits = np.unpackbits(np.frombuffer(memoryview(validity), dtype=np.uint8), bitorder="little")
    valid = bits[offset : offset + n].astype(bool)
    if dtype.kind == "f":
        values = np.where(valid, values, np.nan)
    return values, valid


_DTYPES: dict[str, np.dtype[Any]] = {
    "double": np.dtype(np.float64),
    "int32": np.dtype(np.int32),
    "int64": np.dtype(np.int64),
    "int8": np.dtype(np.int8),
    "int16": np.dtype(np.int16),
}


def _estimate_rows(path: Path) -> int:
    """Rows in the file, from the bytes per line of its first block (over-estimated by 5%)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(min(size, BLOCK_SIZE))
    lines = max(head.count(b"\n") - 1, 1)
    return int(size / (len(head) / lines) * 1.05) + 16


class _Buffer:
    """A growable 1-d array filled block by block, trimmed when finished."""

    def __init__(self, capacity: int, dtype: type[np.generic]) -> None:
        self.data = np.empty(capacity, dtype=dtype)
        self.length = 0

    def append(self, block: np.ndarray) -> None:
        end = self.length + block.shape[0]
        if end > self.data.shape[0]:
            self.data = np.resize(self.data, max(end, int(self.data.shape[0] * 1.25)))
        self.data[self.length : end] = block
        self.length = end

    def finish(self) -> np.ndarray:
        data, self.data = self.data[: self.length], np.empty(0, dtype=self.data.dtype)
        if data.base is not None and data.base.shape[0] - self.length > self.length // 20:
            data = data.copy()  # give back a large unused tail
        return data


def _failing_column(exc: Exception, header: list[str]) -> str | None:
    match = _COLUMN_NUMBER.search(str(exc))
    if match is None or int(match.group(1)) >= len(header):
        return None
    return header[int(match.group(1))]


def _first_non_numeric(path: Path, column: str) -> tuple[str, int]:
    """The first cell of ``column`` that is not a number, and its 1-based row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offset = 0
    for batch in _open(path, [column], {column: pa.string()}):
        cells = batch.column(column)
        numeric = pc.match_substring_regex(cells, _NUMBER, ignore_case=True).fill_null(True)
        bad = pc.and_(pc.invert(numeric), pc.is_valid(cells))  # type: ignore[type-var,arg-type]
        index = pc.index(bad, True).as_py()
        if index >= 0:
            return str(cells[index].as_py())[:100], offset + index + 1
        offset += len(cells)
    return "", 0
