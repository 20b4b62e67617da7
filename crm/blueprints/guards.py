"""Role checks for whole pages; single objects are looked up through visibility instead (404)."""
from functools import wraps

from flask import abort
from flask_login import current_user


def roles_required(*roles: str):
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator
