"""The OpenAPI 3.1 description of the events API, served at /api/v1/openapi.json."""
from crm.services.events import EVENT_TYPES, INQUIRY_SHORTHAND, MAX_DEPTH


def _string(max_length: int, description: str = "", **extra) -> dict:
    return {"type": "string", "maxLength": max_length, **({"description": description} if description else {}), **extra}


def _number(description: str = "", integer: bool = False) -> dict:
    return {"type": "integer" if integer else "number", "minimum": 0,
            **({"description": description} if description else {})}


def _values(schema: dict) -> dict:
    return {"type": "array", "maxItems": 20,
            "items": {"type": "object", "required": ["value"], "properties": {"value": schema}}}


def _error_response(description: str, example_field: str, example: str) -> dict:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Errors"},
        "example": {"errors": [{"field": example_field, "message": example}]}}}}


SCHEMAS = {
    "Event": {
        "type": "object", "required": ["type", "person"],
        "description": f"A consumer's action on a website (Follow Up Boss events format). "
                       f"JSON nested at most {MAX_DEPTH} levels; unknown fields are ignored.",
        "properties": {
            "source": _string(120, "The website or system the event comes from; lead-flow rules match on it."),
            "system": _string(60),
            "type": {"type": "string", "enum": [*EVENT_TYPES, INQUIRY_SHORTHAND],
                     "description": f"`{INQUIRY_SHORTHAND}` means `Property Inquiry` when `property` is given, "
                                    "else `General Inquiry`."},
            "message": _string(10_000), "description": _string(10_000),
            "occurredAt": _string(40, "ISO 8601; the time of the request when missing.", format="date-time"),
            "person": {"$ref": "#/components/schemas/Person"},
            "property": {"$ref": "#/components/schemas/Property"},
            "propertySearch": {"$ref": "#/components/schemas/PropertySearch"},
            "campaign": {"type": "object", "properties": {"source": _string(120), "medium": _string(120)}},
            "pageUrl": _string(500),
        },
    },
    "Person": {
        "type": "object", "description": "Needs at least one email or phone. Matched by email "
                                         "(case-insensitive), else by phone plus first and last name.",
        "properties": {
            "firstName": _string(80), "lastName": _string(80),
            "emails": _values(_string(254, format="email")), "phones": _values(_string(40)),
            "tags": {"type": "array", "maxItems": 20, "items": _string(60)},
            "addresses": {"type": "array", "maxItems": 20, "items": {"type": "object", "properties": {
                "street": _string(200), "city": _string(80), "state": _string(2), "code": _string(10)}}},
        },
    },
    "Property": {
        "type": "object", "properties": {
            "street": _string(200), "city": _string(80), "state": _string(2, "Two-letter code."),
            "code": _string(10, "Zip code; used for routing."), "mlsNumber": _string(40),
            "price": _number(), "url": _string(500), "type": _string(60),
            "bedrooms": _number(integer=True), "bathrooms": _number(), "area": _number("Square feet.", integer=True),
        },
    },
    "PropertySearch": {
        "type": "object", "properties": {
            "type": _string(80), "neighborhood": _string(80), "city": _string(80), "state": _string(80),
            "code": {"oneOf": [_string(10), {"type": "array", "maxItems": 20, "items": _string(10)}]},
            "minPrice": _number(), "maxPrice": _number(), "minBedrooms": _number(), "maxBedrooms": _number(),
            "minBathrooms": _number(), "maxBathrooms": _number(),
        },
    },
    "PersonResult": {
        "type": "object", "required": ["id", "firstName", "lastName", "leadId", "created"],
        "properties": {
            "id": {"type": "integer", "description": "The contact."},
            "firstName": {"type": "string"}, "lastName": {"type": "string"},
            "leadId": {"type": "integer", "description": "The lead this event became."},
            "type": {"type": "string", "description": "The lead's Inquiry Type."},
            "created": {"type": "boolean"},
            "assignedUserId": {"type": ["integer", "null"]}, "assignedTo": {"type": ["string", "null"]},
            "url": {"type": "string", "description": "The contact in the CRM."},
        },
    },
    "Errors": {
        "type": "object", "required": ["errors"],
        "properties": {"errors": {"type": "array", "items": {
            "type": "object", "required": ["field", "message"],
            "properties": {"field": {"type": "string", "description": "Path of the offending field, "
                                                                      "like person.emails[0].value."},
                           "message": {"type": "string"}}}}},
    },
}

EXAMPLE = {
    "source": "smithandassociates.com", "system": "IDX", "type": "Showing Request",
    "message": "Can I see it Saturday?", "occurredAt": "2026-11-21T18:02:00Z",
    "person": {"firstName": "Ana", "lastName": "Ruiz", "emails": [{"value": "ana@example.com"}],
               "phones": [{"value": "555-201-3344"}], "tags": ["idx"]},
    "property": {"street": "12 Oak St", "city": "Tampa", "state": "FL", "code": "33602", "mlsNumber": "T123456",
                 "price": 450000, "bedrooms": 3, "bathrooms": 2, "area": 1800},
}


REPLAYED = {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]},
                                    "description": "Present when this is the stored answer to an earlier "
                                                   "request with the same Idempotency-Key."}}


def openapi_document() -> dict:
    person = {"application/json": {"schema": {"$ref": "#/components/schemas/PersonResult"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Lead CRM events API", "version": "1",
                 "description": "Websites send consumer activity here; each event becomes one lead."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "components": {
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "basic",
                                           "description": "The API key as the user name, an empty password."}},
            "schemas": SCHEMAS,
        },
        "paths": {"/events": {"post": {
            "summary": "Record one consumer action as a lead",
            "operationId": "createEvent",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                            "description": "Retrying with the same key returns the first answer and stores "
                                           "nothing new (answers are kept for 7 days)."}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Event"}, "example": EXAMPLE}}},
            "responses": {
                "201": {"description": "A new contact was created (and routed to an owner).", "content": person,
                        "headers": REPLAYED},
                "200": {"description": "An existing contact was matched; the lead was added to it.",
                        "content": person, "headers": REPLAYED},
                "400": _error_response("Invalid input; nothing was stored.", "person.emails[0].value",
                                       "person.emails[0].value is not an email address."),
                "401": _error_response("Missing or wrong API key.", "Authorization",
                                       "Send an API key as the user name of HTTP Basic authentication."),
                "413": _error_response("The body is over 64 KiB.", "body", "The body may be at most 64 KiB."),
                "415": _error_response("The body is not JSON.", "body", "The body is not valid JSON."),
                "429": {**_error_response("The key's rate limit per minute is exceeded.", "Authorization",
                                          "Rate limit of 600 requests per minute exceeded; retry in 12 s."),
                        "headers": {"Retry-After": {"schema": {"type": "integer"},
                                                    "description": "Seconds until the next minute."}}},
            },
        }}},
    }
