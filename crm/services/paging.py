"""Pages of a list: the one reading of `?page=`, offset pages with a Next link, and newest-first
keyset pages (Contact Details loads more history as the user scrolls). The links are the
`pagination` macro of crm/templates/macros.html."""
from collections.abc import Callable, Mapping

from sqlalchemy import Select, select, tuple_

from crm.extensions import db

PAGE_SIZE = 25
MAX_PAGE = 100_000


def page_number(args: Mapping[str, str]) -> int:
    """`?page=` as a page number from 1 (at most MAX_PAGE); anything else is page 1."""
    raw = args.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) >= 1 else 1


def scalars(query: Select) -> list:
    return list(db.session.scalars(query))


def rows(query: Select) -> list:
    return list(db.session.execute(query))


def offset_page(query: Select, page: int, size: int, read: Callable[[Select], list] = scalars) -> tuple[list, bool]:
    """Page `page` of `query` (already ordered), read by `read`, and whether another page follows."""
    found = read(query.limit(size + 1).offset((page - 1) * size))
    return found[:size], len(found) > size


def newest_first(query: Select, model, moment, before_id: int | None, size: int = PAGE_SIZE) -> tuple[list, bool]:
    """Up to `size` rows of `query` older than the row `before_id` (by `moment`, then id), and
    whether more follow. A keyset page: as fast at the end of a long history as at its start."""
    if before_id is not None:
        anchor = select(moment).where(model.id == before_id).scalar_subquery()
        query = query.where(tuple_(moment, model.id) < tuple_(anchor, before_id))
    rows = list(db.session.scalars(query.order_by(moment.desc(), model.id.desc()).limit(size + 1)))
    return rows[:size], len(rows) > size
