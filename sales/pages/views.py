from datetime import date, timedelta

from flask import redirect, url_for
from flask_login import current_user
from sqlalchemy import func, select

from extensions import db, login_manager
from models import ContactLog, Customer, utcnow
from sales.accounts.rules import has_users
from sales.htmx import render_page
from sales.pages import bp
from sales.policy import public

@bp.route("/")
@public
def home():
    # The home page is the one place that also leads a brand-new install to its first-run setup.
    if not has_users():
        return redirect(url_for("accounts.setup"))
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    active = Customer.archived_at.is_(None)
    stats = {
        "customers": db.session.scalar(select(func.count()).where(active)),
        "mine": db.session.scalar(select(func.count()).where(active, Customer.owner_id == current_user.id)),
        "new_this_week": db.session.scalar(
            select(func.count()).where(active, Customer.created_at >= utcnow() - timedelta(days=7))),
    }
    recent = db.session.scalars(select(Customer).where(active)
                                .order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(5)).all()
    today = date.today()
    stats["steps_due"] = db.session.scalar(
        select(func.count()).select_from(ContactLog)
        .where(ContactLog.user_id == current_user.id, ContactLog.next_step_done_at.is_(None),
               ContactLog.next_step_due <= today))
    return render_page("pages/home.html", "pages/_home.html", stats=stats, recent=recent)
