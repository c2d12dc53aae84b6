"""Row locks for use cases that must not race: the same code is correct on PostgreSQL and on SQLite.

PostgreSQL locks the rows a use case reads before it decides (SELECT ... FOR UPDATE). SQLite has no row locks:
the use case instead opens an immediate write transaction (BEGIN IMMEDIATE), which makes every other writer wait
(up to the connection's busy timeout) until it commits, so whatever it reads after that cannot change under it.
Lock order, to rule out deadlocks on PostgreSQL: the request first, then the offer or the match.
"""

from __future__ import annotations

from sqlalchemy import select

from matcher.extensions import db
from matcher.models import HousingRequest, Match, Offer


def begin_write() -> None:
    """Start the use case's transaction as a write transaction (SQLite: BEGIN IMMEDIATE; elsewhere a no-op)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    # Python's sqlite3 only begins a transaction before the first write; after one, this transaction already
    # holds SQLite's write lock and nothing can change under it.
    if not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def in_one_transaction(work):
    """Run a use case's work and commit it, or roll everything back if it raises: one use case, one transaction."""
    try:
        result = work()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


def _locked(stmt):
    return db.session.scalar(stmt.with_for_update().execution_options(populate_existing=True))


def lock_request_for_update(request_id: int) -> HousingRequest | None:
    """The request, locked until the transaction ends, with fresh values; None when it does not exist."""
    begin_write()
    return _locked(select(HousingRequest).where(HousingRequest.id == request_id))


def lock_offer_for_update(offer_id: int) -> Offer | None:
    """The offer, locked until the transaction ends, with fresh values; None when it does not exist."""
    begin_write()
    return _locked(select(Offer).where(Offer.id == offer_id))


def lock_match_for_update(match_id: int) -> Match | None:
    """The match and its request, both locked (request first), with fresh values; None when it does not exist."""
    begin_write()
    request_id = db.session.scalar(select(Match.request_id).where(Match.id == match_id))
    if request_id is None:
        return None
    lock_request_for_update(request_id)
    return _locked(select(Match).where(Match.id == match_id))
