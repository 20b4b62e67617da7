"""Domain rules of docs/product.md#rules as plain functions over the session: no Flask request in here.

Who commits:
- Services never commit. A route (or CLI command) commits once its whole change is made, and rolls
  back when a service raises (`errors.FieldError` and its kin: nothing is changed).
- A refusal worth keeping in a log is logged after that rollback, by an explicit call of the route:
  `referrals.log_refusal`, `offers.refusal` (a refused claim or decline returns None first).
- Worker jobs (what crm/worker.py runs) own their transaction and commit as they go: imports every
  chunk of 1,000 rows, the outbox each claim and each message sent, the offer expiry each offer.
- The events API commits the key's rate-limit count right after `api_keys.claim_request`, before
  storing the event, on PostgreSQL: every request of a key updates one row, which must not stay
  locked while the event is stored (see `api_keys.claim_request`). On SQLite the database's single
  write lock makes that pointless, and the count commits with the event.
- A CSV export's log line is committed before the file streams; its row count is added, and
  committed by the export route, when the file ends.

Imports between services form no cycle (tests/test_service_imports.py): a rule that needs two
services lives in the higher one (`manage.decide` performs what `requests.decide` records).
"""
