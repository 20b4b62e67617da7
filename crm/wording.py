"""Counted words for people to read: the one plural rule (`1 minute`, `2 minutes`)."""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun agreeing with it; `plural_form` for nouns not made plural by an `s`."""
    return f"{count:,} {singular if count == 1 else plural_form or singular + 's'}"
