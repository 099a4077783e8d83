"""The database's data exceptions map to 400; other database failures stay 500."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import DBAPIError

from api.errors import dbapi_error_handler


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg {sqlstate}")
        self.sqlstate = sqlstate


class _Request:
    method = "GET"

    class url:  # mimics request.url.path
        path = "/x"


def _wrapped(sqlstate: str) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, _PgError(sqlstate))


def test_data_exception_is_a_client_error() -> None:
    req: Any = _Request()
    assert dbapi_error_handler(req, _wrapped("22003")).status_code == 400  # numeric out of range
    assert dbapi_error_handler(req, _wrapped("22021")).status_code == 400  # bad character


def test_other_database_errors_stay_server_errors() -> None:
    req: Any = _Request()
    assert dbapi_error_handler(req, _wrapped("57014")).status_code == 500  # query cancelled
