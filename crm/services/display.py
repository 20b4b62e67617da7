"""How a value reads wherever it is shown (screens, emails, history lines): one rule each, used by
Python and by templates as filters and globals (crm/template_helpers.py)."""

NO_NAME = "(no name)"
NOTHING = "—"


def name(value: str | None) -> str:
    """A contact's name, or a placeholder for a contact nobody named."""
    return value or NO_NAME


def address(*parts: str | None) -> str:
    """The parts of an address that are there, joined by commas ("" when none is)."""
    return ", ".join(part for part in parts if part)


def money(value: float) -> str:
    return f"${value:,.0f}"


def field_value(value) -> str:
    """A contact field as Contact Details and its history show it."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return NOTHING if value in (None, "") else str(value)
