"""Domain rules of SPEC §4 as plain functions over the session: no Flask request in here."""
