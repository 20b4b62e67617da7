"""What the Leads list shows, read from its markup (shared by the Leads test modules)."""
import markup

ROWS = "table.lead-rows tbody tr[id^=lead-row-], table.lead-rows tbody tr[id^=contact-]"


def listed_rows(response) -> list[tuple[str, str]]:
    """(name, inquiry type) of each row, in order."""
    return [(row.css_first("td.name > a[href^='/contacts/']").text(),
             row.css_first("td.inquiry").text(deep=False).strip()) for row in markup.parse(response).select(ROWS)]


def listed_names(response) -> list[str]:
    """The contacts listed, each once, in order of their first row."""
    return list(dict.fromkeys(name for name, _inquiry in listed_rows(response)))


def lead_row_ids(response) -> list[int]:
    """The ids of the leads listed, in order (lead rows only)."""
    row_ids = markup.parse(response).attrs("table.lead-rows tr[id^=lead-row-]", "id")
    return [int(row_id.removeprefix("lead-row-")) for row_id in row_ids]
