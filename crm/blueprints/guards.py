"""Role checks for whole pages; single objects are looked up through visibility instead (404)."""
from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from crm.policy import HasRole


def roles_required(rule: Callable[[HasRole], bool]):
    """403 unless the signed-in user passes `rule`, one of crm/policy.py's questions."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not rule(current_user):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
