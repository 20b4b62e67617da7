"""The one check for a redirect target taken from a request (`?next=`, a form, HX-Current-URL)."""
import re
from urllib.parse import urlsplit

# Control characters (tab and CR/LF included), spaces and backslashes: browsers strip or reinterpret
# them, so `/\t/evil.example` or `/\\evil.example` would leave the site.
UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


def safe_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (no scheme, no host, no `//`), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or UNSAFE_CHARACTERS.search(target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
