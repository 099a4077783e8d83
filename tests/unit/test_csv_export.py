"""The one CSV writer: a BOM, CRLF rows, empty cells for None, Vietnamese names intact."""

from __future__ import annotations

import csv
import io

from api.csv_export import csv_response, csv_text


def test_text_starts_with_the_bom_and_round_trips_vietnamese() -> None:
    text = csv_text(["code", "name", "note"], [["26734", "Phường Tân Định", None]])
    data = text.encode()
    assert data.startswith(b"\xef\xbb\xbf")
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [["code", "name", "note"], ["26734", "Phường Tân Định", ""]]


def test_response_is_a_named_attachment() -> None:
    resp = csv_response("stock.csv", ["a"], [[1]])
    assert resp.media_type == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="stock.csv"'
