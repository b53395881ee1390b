"""What every resource module shares: id and pagination parameters, and paging helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query
from sqlalchemy import func
from sqlalchemy.orm import Session

from sitekeeper.api.schemas import ErrorBody, Page
from sitekeeper.results.queries import AnySelect

T = TypeVar("T")

# Ids are INTEGER columns; bounding them keeps an absurd id a 422, not a database error.
MAX_ID = 2**31 - 1
MAX_LIMIT = 500

Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def error_doc(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    401: error_doc("Not signed in, or the token is unknown, revoked or expired"),
    403: error_doc("Signed in, but not allowed to do this"),
    404: error_doc("No such object, or it belongs to a client the caller may not see"),
    422: error_doc("The request is not valid; `details` says where"),
}
WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    400: error_doc("The body could not be read (e.g. not UTF-8, or not JSON)"),
    409: error_doc("Conflicts with the current state"),
    413: error_doc("The request body is too large"),
}


@dataclass(frozen=True)
class Pagination:
    limit: int
    offset: int

    def page(self, items: Sequence[T]) -> Page[T]:
        """One page of an already filtered, ordered list."""
        return Page[T](
            items=list(items[self.offset : self.offset + self.limit]),
            total=len(items),
            limit=self.limit,
            offset=self.offset,
        )

    def rows(self, session: Session, stmt: AnySelect) -> tuple[list[Any], int]:
        """One page of an ordered statement's rows, and how many rows match in all."""
        counting = stmt.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
        total = session.scalar(counting)
        rows = list(session.execute(stmt.limit(self.limit).offset(self.offset)).all())
        return rows, int(total or 0)


def pagination(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")] = 0,
) -> Pagination:
    return Pagination(limit=limit, offset=offset)


PageDep = Annotated[Pagination, Depends(pagination)]
FilterId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
