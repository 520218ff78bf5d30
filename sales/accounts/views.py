from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from extensions import db
from models import ShopSetting, User
from sales.accounts import bp
from sales.accounts import rules
from sales.accounts.sessions import sign_in, sign_out
from sales.accounts.forms import AccountForm, ChangePasswordForm, LoginForm, SetPasswordForm, SetupForm
from sales.forms import EmptyForm
from sales.policy import public


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    # Only the very first visit may create the owner; afterwards the page does not exist.
    if rules.has_users():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        owner = User(name=form.name.data.strip(), email=form.email.data, role="owner",
                     language=form.language.data or None)
        owner.set_password(form.password.data)
        db.session.add(owner)
        if form.shop_name.data:
            ShopSetting.put("shop_name", form.shop_name.data.strip())
        db.session.commit()
        if form.demo.data:
            from sales.demo import fill_demo_shop

            fill_demo_shop(owner)
        sign_in(owner)
        flash(_("Welcome to Mostrador, %(name)s. Your shop is ready.", name=owner.name), "success")
        return redirect(url_for("pages.home"), 303)
    return render_template("accounts/setup.html", form=form), 422 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if not rules.has_users():
        return redirect(url_for("accounts.setup"))
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        user, error, status = rules.authenticate(form.email.data, form.password.data,
                                                 request.remote_addr or "?")
        if user:
            sign_in(user)   # ends SESSION_HOURS later, or after SESSION_IDLE_MINUTES unused
            target = request.args.get("next")
            return redirect(target if rules.is_safe_next(target) else url_for("pages.home"), 303)
    elif form.errors:
        status = 422
    expired = request.args.get("why") == "expired"
    hours = int(current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() // 3600)
    return render_template("accounts/login.html", form=form, error=error, expired=expired, hours=hours), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    sign_out()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
@public
def set_password(token):
    user, problem = rules.user_from_password_token(token)
    if user is None:
        return render_template("accounts/link_problem.html", problem=problem), 410 if problem != "invalid" else 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        sign_in(user)
        flash(_("Your password is set. Welcome, %(name)s.", name=user.name), "success")
        from sales.onboarding.rules import still_to_do

        # A new seller's first page is their first days, while the owner's checklist is not done.
        return redirect(url_for("onboarding.page") if still_to_do(user) else url_for("pages.home"), 303)
    return render_template("accounts/set_password.html", form=form, user=user), 422 if form.errors else 200


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user, prefix="account")
    password_form = ChangePasswordForm(prefix="pw")
    if request.method == "GET":
        form.language.data = current_user.language or ""
    status = 200
    which = request.form.get("which") if request.method == "POST" else None
    if which == "account" and form.validate():
        current_user.name = form.name.data.strip()
        current_user.language = form.language.data or None
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("accounts.account"), 303)
    if which == "password" and password_form.validate():
        if current_user.check_password(password_form.current_password.data):
            current_user.set_password(password_form.password.data)
            db.session.commit()
            # Every session ended with the old password, this one too: sign this browser in again (with the
            # user, not the proxy) while every other device stays signed out.
            sign_in(current_user._get_current_object())
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("accounts.account"), 303)
        password_form.current_password.errors.append(_("This is not your current password."))
    if which and (form.errors or password_form.errors):
        status = 422
    return render_template("accounts/account.html", form=form, password_form=password_form,
                           logout_form=EmptyForm()), status
