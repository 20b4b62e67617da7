"""The events API fuzzed from its own OpenAPI document (Schemathesis): no input answers 500 and
every answer is one the document names. Marked `fuzz`, sized to run in CI within a minute.

(Schemathesis' pytest plugin does not load under pytest 9, so the operations' Hypothesis strategies
are driven directly.)"""
import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from crm.extensions import db
from crm.models import Contact
from crm.services import api_keys

EXAMPLES_PER_OPERATION = 150


@pytest.mark.fuzz
def test_the_events_api_never_fails_on_generated_input(app, users):
    _key, plain = api_keys.create_key("fuzz.example", rate_limit_per_minute=1_000_000)
    db.session.commit()
    authorization = "Basic " + base64.b64encode(f"{plain}:".encode()).decode()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert [operation.label for operation in operations] == ["POST /events"]
    answered = []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def call(case):
            case.headers = {**(case.headers or {}), "Authorization": authorization}
            response = case.call_and_validate(checks=[checks.not_a_server_error, checks.status_code_conformance,
                                                      checks.content_type_conformance])
            answered.append(response.status_code)
        call()
    assert len(answered) >= EXAMPLES_PER_OPERATION // 2
    assert {200, 201} & set(answered), "no generated event was ever accepted"
    assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) > 0
