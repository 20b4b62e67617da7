"""Read an answer's HTML as markup (selectolax's HTML5 parser with CSS selectors), not as a string.

    page = markup.parse(response)
    page.texts("#leads td.name a")             # the visible text of every match
    page.one("#overall-median").text()          # exactly one match, else the test fails
    page.attr("input[name=csrf_token]", "value")
"""
import json

from selectolax.lexbor import LexborHTMLParser, LexborNode


class Markup:
    def __init__(self, html: str):
        self.html = html
        # A row swapped in by htmx arrives alone; outside a table the HTML parser would drop its tags.
        self.tree = LexborHTMLParser(f"<table>{html}</table>" if html.lstrip().startswith("<tr") else html)

    def select(self, css: str) -> list[LexborNode]:
        return self.tree.css(css)

    def one(self, css: str) -> LexborNode:
        found = self.select(css)
        assert len(found) == 1, f"{len(found)} elements match {css!r}"
        return found[0]

    def has(self, css: str) -> bool:
        return bool(self.select(css))

    def text(self, css: str) -> str:
        """The text of the one element `css` matches, whitespace collapsed."""
        return _text(self.one(css))

    def texts(self, css: str) -> list[str]:
        return [_text(node) for node in self.select(css)]

    def attr(self, css: str, name: str) -> str | None:
        return self.one(css).attributes.get(name)

    def attrs(self, css: str, name: str) -> list[str | None]:
        return [node.attributes.get(name) for node in self.select(css)]

    def csrf_token(self) -> str | None:
        """The token a browser would send: a form's hidden field, else the one htmx sends in a header."""
        fields = self.attrs("input[name=csrf_token]", "value")
        if fields:
            return fields[0]
        headers = self.attrs("body[hx-headers]", "hx-headers")
        return json.loads(headers[0])["X-CSRFToken"] if headers else None


def parse(response_or_html) -> Markup:
    """A Flask/werkzeug response, or HTML text."""
    html = response_or_html if isinstance(response_or_html, str) else response_or_html.get_data(as_text=True)
    return Markup(html)


def _text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True).split())
