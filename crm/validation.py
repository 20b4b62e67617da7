"""Input checks shared by forms and the events API."""
import re

EMAIL_PATTERN = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def is_email(value: str) -> bool:
    return bool(EMAIL_PATTERN.match(value or "")) and len(value) <= 254


def is_phone(value: str) -> bool:
    return 7 <= len(re.sub(r"\D", "", value or "")) <= 15
