"""CSV downloads: the one writer of every export (dashboard, stock, requisitions).

UTF-8 with a byte-order mark, so spreadsheet programs read Vietnamese names instead of guessing
a legacy code page; rows end in CRLF (RFC 4180); ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from litestar import Response

BOM = "\ufeff"
# Litestar appends "; charset=utf-8" to text types itself.
CSV_MEDIA_TYPE = "text/csv"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The header and rows as CSV text, starting with the BOM."""
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Response[str]:
    """A CSV download named ``filename``."""
    return Response(
        csv_text(header, rows), media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
