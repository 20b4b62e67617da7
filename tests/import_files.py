"""Files to import, made in the tests: CSV text and minimal .xlsx workbooks (a zip of XML parts); and the
two steps every import test takes through the screens: upload a file, start its import."""
import csv
import io
import json
import zipfile
from xml.sax.saxutils import escape

from sqlalchemy import select

from crm.extensions import db
from crm.models import ContactImport

FUB_HEADERS = ["First Name", "Last Name", "Email 1", "Phone 1", "Source", "Address 1 - Zip", "Background"]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        name = chr(65 + remainder) + name
    return name


def xlsx_bytes(rows: list[list]) -> bytes:
    """A one-sheet workbook; numbers stay numbers (as Excel keeps phone numbers)."""
    def cell(row: int, col: int, value) -> str:
        ref = f"{_column(col)}{row}"
        if isinstance(value, (int, float)):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    sheet_rows = "".join(f'<row r="{r}">' + "".join(cell(r, c, v) for c, v in enumerate(row)) + "</row>"
                         for r, row in enumerate(rows, start=1))
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1"'
            ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
            ' Target="xl/workbook.xml"/>'
            '</Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Contacts" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1"'
            ' Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
            ' Target="worksheets/sheet1.xml"/>'
            '</Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{sheet_rows}</sheetData></worksheet>'
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def generated_rows(count: int, start: int = 0) -> list[list[str]]:
    """`count` distinct people in the Follow Up Boss layout."""
    return [[f"First{n}", f"Last{n}", f"person{n}@example.com", f"555-{n // 10000 % 1000:03d}-{n % 10000:04d}",
             "Zillow" if n % 3 == 0 else "Realtor.com", f"{33600 + n % 10}", f"Imported note {n}"]
            for n in range(start, start + count)]


def upload_file(web, content: bytes, filename: str = "people.csv"):
    web.get("/settings/import")
    return web.post("/settings/import", {"file": (io.BytesIO(content), filename)}, content_type="multipart/form-data")


def start_import(web, response, **choices):
    """Start the uploaded import with the guessed mapping, changed by `choices`."""
    location = response.headers["Location"]
    page = web.get(location)
    assert page.status_code == 200
    stored = db.session.scalars(select(ContactImport).order_by(ContactImport.id.desc())).first()
    mapping = json.loads(stored.mapping)
    data = {f"map_{name}": str(index) for name, index in mapping.items()}
    data.update(choices)
    return stored, web.post(f"{location}/start", data)
