"""Newest-first pages of a contact's history (Contact Details loads more as the user scrolls)."""
from sqlalchemy import Select, select, tuple_

from crm.extensions import db

PAGE_SIZE = 25


def newest_first(query: Select, model, moment, before_id: int | None, size: int = PAGE_SIZE) -> tuple[list, bool]:
    """Up to `size` rows of `query` older than the row `before_id` (by `moment`, then id), and
    whether more follow. A keyset page: as fast at the end of a long history as at its start."""
    if before_id is not None:
        anchor = select(moment).where(model.id == before_id).scalar_subquery()
        query = query.where(tuple_(moment, model.id) < tuple_(anchor, before_id))
    rows = list(db.session.scalars(query.order_by(moment.desc(), model.id.desc()).limit(size + 1)))
    return rows[:size], len(rows) > size
