from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField

from crm.services.imports import FIELDS

NOT_IMPORTED = ""


class UploadForm(FlaskForm):
    file = FileField("CSV or Excel file")


def mapping_form(headers: list[str], mapping: dict[str, int], agents, routing_allowed: bool,
                 formdata=None) -> FlaskForm:
    """One select per CRM field (`map_<field>`, the column index), and who gets the new people."""
    columns = [(NOT_IMPORTED, "— not imported —")] + [
        (str(index), f"Column {index + 1}: {header or '(no header)'}") for index, header in enumerate(headers)]

    class MappingForm(FlaskForm):
        pass

    for name, (label, _aliases) in FIELDS.items():
        setattr(MappingForm, f"map_{name}", SelectField(
            label, choices=columns, default=str(mapping[name]) if name in mapping else NOT_IMPORTED))
    owners = ([(NOT_IMPORTED, "By the lead-flow rules")] if routing_allowed else []) + [
        (str(agent.id), agent.name) for agent in agents]
    MappingForm.assign_to = SelectField("New people go to", choices=owners)
    MappingForm.mapping_name = StringField("Save this mapping as")
    return MappingForm(formdata=formdata)
