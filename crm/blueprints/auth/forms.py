from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    submit = SubmitField("Sign in")


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", [InputRequired("Enter your email."), Length(max=254)])


class SetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", [InputRequired("Enter a new password."), Length(max=200)])
    confirm_password = PasswordField("Confirm password", [InputRequired("Type the new password again.")])


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField("Current password", [InputRequired("Enter your current password.")])
