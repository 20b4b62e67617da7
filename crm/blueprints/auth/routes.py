from flask import flash, g, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from crm import hx
from crm.blueprints.auth import bp
from crm.blueprints.auth.forms import ForgotPasswordForm, LoginForm, SetPasswordForm
from crm.extensions import db, login_manager
from crm.models import User
from crm.safe_redirect import safe_path
from crm.services import passwords, sessions
from crm.services.errors import FieldError
from crm.template_helpers import datetime_display


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """A session signed in before sign-out or a password change, or of a deactivated user, ends."""
    return sessions.user_for_session(session_id)


@login_manager.unauthorized_handler
def unauthorized():
    """Signed out: to sign-in and back. An htmx swap must not get the login page as a fragment."""
    if hx.is_partial_request():
        page = hx.current_url_path() or "/"
        return hx.redirect(make_response("", 401), url_for("auth.login", next=page))
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_path(request.args.get("next")) or url_for("contacts.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.errors else 200
    attempt = sessions.sign_in(form.email.data, form.password.data, request.remote_addr or "")
    if attempt.blocked_until:
        flash(f"Too many failed sign-ins. Try again after {datetime_display(attempt.blocked_until)}.", "error")
        response = make_response(render_template("auth/login.html", form=form), 429)
        response.headers["Retry-After"] = str(sessions.seconds_until(attempt.blocked_until))
        return response
    if attempt.user is None:
        db.session.commit()  # the failure counts
        flash("Wrong email or password.", "error")
        return render_template("auth/login.html", form=form), 401
    _start_session(attempt.user)
    return redirect(safe_path(request.args.get("next")) or url_for("contacts.index"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    sessions.end_sessions(current_user)
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        passwords.send_reset_link(form.email.data)
        db.session.commit()
        return hx.answer("If an account uses that email, a link to reset its password is on its way. "
                         "Check your inbox.", back_to=url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """The page an invitation or reset link opens: `New password`, `Confirm password`, `Set password`."""
    form = SetPasswordForm()
    try:
        link = passwords.link_token(token)
    except FieldError as error:
        return render_template("auth/set_password.html", form=None, refused=str(error)), 410
    if form.validate_on_submit():
        try:
            user = passwords.set_password_with_link(token, form.new_password.data, form.confirm_password.data)
        except FieldError as error:
            db.session.rollback()
            if not error.field:
                return render_template("auth/set_password.html", form=None, refused=str(error)), 410
            form[error.field].errors.append(str(error))
        else:
            db.session.commit()
            return hx.answer(f"Your password is set. Sign in with {user.email} and your new password.",
                             back_to=url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/set_password.html", form=form, link=link), status


def _start_session(user: User) -> None:
    """A fresh CSRF token at sign-in: one seen before signing in is worth nothing after."""
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    login_user(user)
