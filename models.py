"""Mostrador's data model: typed SQLAlchemy 2.0 mappings with their small domain methods."""
from __future__ import annotations

import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from flask import current_app, has_app_context, has_request_context
from flask_login import UserMixin, current_user
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    JSON,
    Numeric,
    String,
    Table,
    Text,
    event,
    false as sa_false,
    func,
    text as sa_text,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db


def hash_password(password: str) -> str:
    """Werkzeug's default scheme (scrypt: memory-hard and salted) unless PASSWORD_HASH_METHOD says otherwise.

    Only the test suite sets it (to one cheap round): thousands of test accounts at 0.1 s each would be minutes.
    """
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method) if method else generate_password_hash(password)
from sales.clock import utcnow  # noqa: F401 (the default of every created/updated time; others import it here)


ROLES = ("owner", "seller", "support")


class TrackedMixin:
    """Shared columns: who created and last changed a row, when, and a version for optimistic locking.

    `version` doubles as SQLAlchemy's version_id_col, so two concurrent UPDATEs of the same row can never
    both win: the loser gets StaleDataError instead of silently overwriting.
    """

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr
    def created_by_id(cls) -> Mapped[Optional[int]]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def updated_by_id(cls) -> Mapped[Optional[int]]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.version}

    # Columns whose changes are bookkeeping, not something a person changed.
    __audit_ignore__ = ("created_at", "updated_at", "version", "created_by_id", "updated_by_id")
    __audit_relations__: tuple[str, ...] = ()


class User(UserMixin, TrackedMixin, db.Model):
    __tablename__ = "users"
    __audit_ignore__ = TrackedMixin.__audit_ignore__ + ("password_hash", "session_token")
    __table_args__ = (
        CheckConstraint("role IN ('owner', 'seller', 'support')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    # None for a seller created by an import before the owner has their address: they cannot sign in yet.
    email: Mapped[Optional[str]] = mapped_column(String(254))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="seller")
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[Optional[str]] = mapped_column(String(8))
    # Rotated when the password changes or the account is deactivated: every open session ends.
    session_token: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(16))
    last_login_at: Mapped[Optional[datetime]]
    # The sales force's structure: one team each; a team's managers see and work its people's work
    # (sales/records.py). Managing is a record scope, not a role: a manager still sells as a seller.
    team_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL", use_alter=True),
                                                   index=True)
    manages_team: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    team: Mapped[Optional["Team"]] = relationship(foreign_keys=[team_id])

    def __init__(self, **kwargs):
        if "email" in kwargs:
            kwargs["email"] = normalise_email(kwargs["email"])
        super().__init__(**kwargs)

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """End every open session and make earlier set-password links useless."""
        self.session_token = secrets.token_hex(16)

    def deactivate(self) -> None:
        self.active = False
        self.session_token = secrets.token_hex(16)

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"

    @property
    def is_manager(self) -> bool:
        """Manages the team they belong to (and so works its people's records)."""
        return bool(self.manages_team and self.team_id and self.role != "owner")

    def __repr__(self):
        return f"<User {self.email} {self.role}>"


def normalise_email(email: Optional[str]) -> Optional[str]:
    return email.strip().lower() if email else email


BRANCH_ASSIGNMENTS = ("default", "round_robin")
BRANCH_RULE_FIELDS = ("city", "postal_code", "source")


class Branch(TrackedMixin, db.Model):
    """A shop, an office or a region: the territory its customers and leads belong to. A lead routed to it goes
    to its default seller, or round robin to its teams' sellers."""

    __tablename__ = "branches"
    __table_args__ = (CheckConstraint("assignment IN ('default', 'round_robin')", name="assignment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    assignment: Mapped[str] = mapped_column(String(12), default="default")
    default_seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Round robin's memory: the seller who got the branch's last lead.
    last_seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    default_seller: Mapped[Optional[User]] = relationship(foreign_keys=[default_seller_id])
    rules: Mapped[list["BranchRule"]] = relationship(back_populates="branch", cascade="all, delete-orphan",
                                                     order_by="BranchRule.id")

    def __str__(self):
        return self.name


class BranchRule(db.Model):
    """"Leads whose city / postal code / source is … go to this branch." A postal code matches by its start."""

    __tablename__ = "branch_rules"
    __table_args__ = (CheckConstraint("field IN ('city', 'postal_code', 'source')", name="field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(100))

    branch: Mapped[Branch] = relationship(back_populates="rules")


class Team(TrackedMixin, db.Model):
    """People who sell (or support) together within a branch, led by one or more managers."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    branch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"), index=True)

    branch: Mapped[Optional[Branch]] = relationship()
    members: Mapped[list[User]] = relationship(foreign_keys=[User.team_id], viewonly=True,
                                               order_by=(User.name, User.id))

    @property
    def managers(self) -> list[User]:
        return [person for person in self.members if person.manages_team]

    def __str__(self):
        return self.name


class LoginAttempt(db.Model):
    """Failed logins, kept in the database so every app server sees the same count."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UserSession(db.Model):
    """One signed-in browser. The cookie holds only a random key whose hash is kept here, so ending a session
    (signing out, a password change, deactivation, a role change, the owner) ends every copy of the cookie on
    every app server at once."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)     # sha256 of the cookie's key
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]                                       # absolute: SESSION_HOURS after sign-in
    ended_at: Mapped[Optional[datetime]]
    ended_why: Mapped[Optional[str]] = mapped_column(String(20))       # signed_out, password, role, owner, idle…
    address: Mapped[Optional[str]] = mapped_column(String(64))
    device: Mapped[Optional[str]] = mapped_column(String(200))

    user: Mapped[User] = relationship()


customer_tags = Table(
    "customer_tags",
    db.metadata,
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(db.Model):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)

    def __str__(self):
        return self.name


CUSTOMER_KINDS = ("person", "company")


class Customer(TrackedMixin, db.Model):
    __tablename__ = "customers"
    __audit_relations__ = ("tags",)
    __audit_ignore__ = TrackedMixin.__audit_ignore__ + ("phone_digits", "portal_token")
    __table_args__ = (
        CheckConstraint("kind IN ('person', 'company')", name="kind"),
        Index("ix_customers_active_name", "archived_at", "name", "id"),
        # The customer list's order (PostgreSQL cannot order `archived_at IS NULL` by the index above).
        Index("ix_customers_listed_name", "name", "id", sqlite_where=sa_text("archived_at IS NULL"),
              postgresql_where=sa_text("archived_at IS NULL")),
        Index("ix_customers_owner_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="person")
    name: Mapped[str] = mapped_column(String(160))
    contact_person: Mapped[Optional[str]] = mapped_column(String(160))
    tax_id: Mapped[Optional[str]] = mapped_column(String(40))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    phone: Mapped[Optional[str]] = mapped_column(String(40))
    mobile: Mapped[Optional[str]] = mapped_column(String(40))
    # Digits of both phone numbers, so "600 12" finds "600-123-456".
    phone_digits: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    street: Mapped[Optional[str]] = mapped_column(String(200))
    postal_code: Mapped[Optional[str]] = mapped_column(String(20))
    city: Mapped[Optional[str]] = mapped_column(String(100), index=True)
    region: Mapped[Optional[str]] = mapped_column(String(100))
    country: Mapped[Optional[str]] = mapped_column(String(100))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    owner_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    branch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"), index=True)
    archived_at: Mapped[Optional[datetime]]
    # Collaborative CRM: consent to mailings, and the customer's one portal link (None: revoked or never made).
    email_opt_in: Mapped[bool] = mapped_column(default=False)
    unsubscribed_at: Mapped[Optional[datetime]]
    portal_token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    # The account's ID in the file it was imported from: importing that file again updates, never copies.
    external_id: Mapped[Optional[str]] = mapped_column(String(80), index=True, unique=True)
    # The owner's own fields (sector, revenue…): {field key: value as text, see sales/custom_fields.py}.
    custom: Mapped[Optional[dict]] = mapped_column(JSON)
    # The language the shop writes to them in (sales/languages.py); None: the shop's own.
    language: Mapped[Optional[str]] = mapped_column(String(8))

    owner: Mapped[Optional[User]] = relationship(foreign_keys=[owner_id])
    branch: Mapped[Optional["Branch"]] = relationship()
    tags: Mapped[list[Tag]] = relationship(secondary=customer_tags, order_by=Tag.name)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def tag_names(self) -> list[str]:
        return [tag.name for tag in self.tags]

    def refresh_phone_digits(self) -> None:
        """After a phone changes: store both numbers in E.164 when valid, and the digits search looks in."""
        from sales import phones   # here, not at the top: sales/ imports the models

        self.phone, self.mobile = phones.stored_form(self.phone), phones.stored_form(self.mobile)
        self.phone_digits = phones.search_digits(self.phone, self.mobile)

    def __repr__(self):
        return f"<Customer {self.id} {self.name!r}>"


# Functional indexes need the mapped columns, so they are declared after the classes.
Index("uq_users_email_lower", func.lower(User.email), unique=True)
Index("ix_customers_email_lower", func.lower(Customer.email))
# Segments match a city in any capitalisation.
Index("ix_customers_city_lower", func.lower(Customer.city))


class AuditLog(db.Model):
    """One row per changed field: who changed what of which record, when, from what to what."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))  # create, update
    field: Mapped[Optional[str]] = mapped_column(String(60))
    old_value: Mapped[Optional[str]] = mapped_column(Text)
    new_value: Mapped[Optional[str]] = mapped_column(Text)

    user: Mapped[Optional[User]] = relationship()


# --- Audit trail -------------------------------------------------------------------------------------------


def acting_user_id(session: Session) -> Optional[int]:
    """The signed-in user in a request; a CLI command may name one in session.info['acting_user_id']."""
    if "acting_user_id" in session.info:
        return session.info["acting_user_id"]
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _as_text(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value)


def _changes(obj) -> list[tuple[str, Optional[str], Optional[str]]]:
    state = inspect(obj)
    changes = []
    for attr in state.mapper.column_attrs:
        if attr.key in obj.__audit_ignore__:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes.append((attr.key, _as_text(old), _as_text(new)))
    for key in obj.__audit_relations__:
        history = state.attrs[key].history
        if history.has_changes():
            old = sorted(str(item) for item in (history.unchanged or []) + (history.deleted or []))
            new = sorted(str(item) for item in (history.unchanged or []) + (history.added or []))
            if old != new:
                changes.append((key, ", ".join(old), ", ".join(new)))
    return changes


@event.listens_for(Session, "before_flush")
def _stamp_authors(session, flush_context, instances):
    user_id = acting_user_id(session)
    if user_id is None:
        return
    for obj in session.new:
        if isinstance(obj, TrackedMixin):
            obj.created_by_id = obj.created_by_id or user_id
            obj.updated_by_id = user_id
    for obj in session.dirty:
        if isinstance(obj, TrackedMixin) and session.is_modified(obj):
            obj.updated_by_id = user_id


@event.listens_for(Session, "after_flush")
def _write_audit_log(session, flush_context):
    # after_flush still sees each attribute's history, and new rows have their ids by now.
    rows = []
    user_id = acting_user_id(session)
    now = utcnow()
    for obj in session.new:
        if isinstance(obj, TrackedMixin):
            rows.append(dict(at=now, user_id=user_id, entity=obj.__tablename__, entity_id=obj.id,
                             action="create", field=None, old_value=None, new_value=None))
    for obj in session.dirty:
        if isinstance(obj, TrackedMixin):
            for field, old, new in _changes(obj):
                rows.append(dict(at=now, user_id=user_id, entity=obj.__tablename__, entity_id=obj.id,
                                 action="update", field=field, old_value=old, new_value=new))
    if rows:
        session.connection().execute(AuditLog.__table__.insert(), rows)


class FormDraft(db.Model):
    """A form that arrived after its session or its CSRF token had expired: what the person typed, kept until
    they sign in again and send it (sales/drafts.py). Only whoever holds the token (their browser) finds it."""

    __tablename__ = "form_drafts"
    __table_args__ = (
        Index("ix_form_drafts_created", "created_at"),
        Index("ix_form_drafts_address_created", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(2000))      # where the form was going, with its query string
    fields: Mapped[str] = mapped_column(Text)            # JSON: [[name, value], …] in the order sent
    address: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


class ShopSetting(db.Model):
    """The shop's own settings (name, and later address, tax id, currency…), one row per key."""

    __tablename__ = "shop_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Optional[str]] = mapped_column(Text)

    _READ_ALONE = ("shop_logo",)   # an image: read only by the pages that show it

    @staticmethod
    def get(key, default=None):
        # Read once per request: templates ask for the currency on every amount they show. A page asks for
        # several settings (name, currency, address…): the first one reads all the small ones in one statement.
        cache = _request_cache()
        if cache is None or key in ShopSetting._READ_ALONE or key in cache.setdefault("\0changed", set()):
            row = db.session.get(ShopSetting, key)
            value = row.value if row is not None else None
        else:
            if "\0all" not in cache:
                cache["\0all"] = True
                cache.update(db.session.execute(select(ShopSetting.key, ShopSetting.value)
                                                .where(ShopSetting.key.not_in(ShopSetting._READ_ALONE))).all())
            value = cache.get(key)
        return value if value is not None else default

    @staticmethod
    def put(key, value, default=None):
        """Set a setting; `default` is what it meant while unset, so its first change reads "24 → 8"."""
        row = db.session.get(ShopSetting, key)
        old = row.value if row is not None else default
        if row is None:
            db.session.add(ShopSetting(key=key, value=value))
        else:
            row.value = value
        if (old or None) != (value or None):
            # Settings have no id of their own: logged under 0, so each settings page shows its Changes.
            if key == "shop_logo":      # the image itself is no reading matter, only that there is one
                old, value = ("1" if old else None), ("1" if value else None)
            db.session.add(AuditLog(at=utcnow(), user_id=acting_user_id(db.session), entity="shop_settings",
                                    entity_id=0, action="update", field=key, old_value=old, new_value=value))
        cache = _request_cache()
        if cache is not None:      # read from the session from now on in this request (it may be rolled back)
            cache.setdefault("\0changed", set()).add(key)


def _request_cache():
    from flask import g, has_request_context

    if not has_request_context():
        return None
    if "shop_settings" not in g:
        g.shop_settings = {}
    return g.shop_settings


# --- Pre-sale: the lead funnel ------------------------------------------------------------------------------

STAGE_KINDS = ("open", "won", "lost")


class PipelineStage(TrackedMixin, db.Model):
    """A column of the shop's own pipeline. The owner renames, reorders and adds them; `kind` tells the
    rules which stages close a deal."""

    __tablename__ = "pipeline_stages"
    __table_args__ = (CheckConstraint("kind IN ('open', 'won', 'lost')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))      # in the shop's language: the API, exports, webhooks
    names: Mapped[Optional[dict]] = mapped_column(JSON)   # {language: name}, shown to each reader in theirs
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(8), default="open")
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def is_closed(self) -> bool:
        return self.kind != "open"

    @property
    def shown_name(self) -> str:
        """The name in the reader's language (sales/list_names.py)."""
        from sales.list_names import shown_name

        return shown_name(self.names, self.name)

    def __str__(self):
        return self.shown_name


LEAD_SOURCES = ("walk_in", "phone", "web_form", "referral", "campaign", "csv_import", "email", "whatsapp", "other")


class Lead(TrackedMixin, db.Model):
    """An opportunity: a customer who may buy something, moving through the pipeline's stages."""

    __tablename__ = "leads"
    __table_args__ = (
        # The board's columns and the list's default order, for everyone and per seller.
        Index("ix_leads_stage_priority", "stage_id", "priority", "id"),
        Index("ix_leads_seller_stage_priority", "seller_id", "stage_id", "priority", "id"),
        Index("ix_leads_priority", "priority", "id"),
        # Count and value per stage straight from the index (the board's column headers, the home page's
        # pipeline); with the qualification in it, since disqualified leads are left out of those totals.
        Index("ix_leads_stage_value", "stage_id", "qualification", "estimated_value"),
        # …and the same for one seller's board, without touching the rows.
        Index("ix_leads_seller_stage_value", "seller_id", "stage_id", "qualification", "estimated_value"),
        Index("ix_leads_customer", "customer_id"),
        # The open web-form leads nobody has called yet, counted per seller (sales.figures.awaiting_first_contact):
        # the seller second, in the GROUP BY's order, or SQLite walks ix_leads_seller_stage_value over every lead.
        Index("ix_leads_source_stage", "source", "seller_id", "stage_id", "qualification"),
        CheckConstraint("qualification IN ('pending', 'qualified', 'disqualified')", name="qualification"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="other")
    estimated_value: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    expected_close_date: Mapped[Optional[date]]
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    branch_id: Mapped[Optional[int]] = mapped_column(ForeignKey("branches.id", ondelete="SET NULL"), index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    description: Mapped[Optional[str]] = mapped_column(Text)

    # Qualification: four criteria, each rated 0–3 with a short note.
    need_rating: Mapped[Optional[int]]
    need_note: Mapped[Optional[str]] = mapped_column(String(300))
    buying_power_rating: Mapped[Optional[int]]
    buying_power_note: Mapped[Optional[str]] = mapped_column(String(300))
    receptivity_rating: Mapped[Optional[int]]
    receptivity_note: Mapped[Optional[str]] = mapped_column(String(300))
    access_rating: Mapped[Optional[int]]
    access_note: Mapped[Optional[str]] = mapped_column(String(300))
    qualification: Mapped[str] = mapped_column(String(14), default="pending")
    qualification_reason: Mapped[Optional[str]] = mapped_column(String(300))

    # Risk of waiting: feeds the priority.
    competitor_involved: Mapped[bool] = mapped_column(default=False)
    competitor_note: Mapped[Optional[str]] = mapped_column(String(300))
    decision_deadline: Mapped[Optional[date]]

    # The computed priority (0–100) with its reasons, kept on the row so lists can sort and index by it.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    priority_reasons: Mapped[Optional[str]] = mapped_column(Text)

    closed_at: Mapped[Optional[datetime]]
    close_reason: Mapped[Optional[str]] = mapped_column(String(300))   # the seller's words on why
    # Closing: what was won, or why it was lost (and to whom), and what comes next.
    won_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    lost_reason: Mapped[Optional[str]] = mapped_column(String(20))
    lost_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("competitors.id", ondelete="SET NULL"))
    # The deal's ID in the file it was imported from: importing that file again updates, never copies.
    external_id: Mapped[Optional[str]] = mapped_column(String(80), index=True, unique=True)
    # The owner's own fields: {field key: value as text, see sales/custom_fields.py}.
    custom: Mapped[Optional[dict]] = mapped_column(JSON)

    customer: Mapped[Customer] = relationship()
    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])
    branch: Mapped[Optional["Branch"]] = relationship()
    stage: Mapped[PipelineStage] = relationship()
    lost_to: Mapped[Optional["Competitor"]] = relationship(foreign_keys=[lost_to_id])
    products: Mapped[list["LeadProduct"]] = relationship(back_populates="lead", cascade="all, delete-orphan",
                                                         order_by="LeadProduct.id")
    # The lead page's stage history, newest first: read-only (a move adds a StageChange of its own).
    stage_changes: Mapped[list["StageChange"]] = relationship(
        viewonly=True, order_by="(StageChange.changed_at.desc(), StageChange.id.desc())")

    @property
    def is_closed(self) -> bool:
        return self.stage.is_closed

    def __repr__(self):
        return f"<Lead {self.id} {self.title!r}>"


class StageChange(db.Model):
    """Every move of a lead between stages, with who and when: the raw material of funnel reports."""

    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_lead_at", "lead_id", "changed_at"),
        Index("ix_stage_changes_to_stage_at", "to_stage_id", "changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    from_stage_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the lead had entered the stage it leaves here: the stay's length without pairing rows in reports.
    from_stage_entered_at: Mapped[Optional[datetime]]
    # Rebuilt from the dates of an imported file, not seen happening: reports may show or leave them out.
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    lead: Mapped[Lead] = relationship()
    from_stage: Mapped[Optional[PipelineStage]] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[PipelineStage] = relationship(foreign_keys=[to_stage_id])
    changed_by: Mapped[Optional[User]] = relationship()


CUSTOM_FIELD_KINDS = ("text", "number", "date", "choice", "yes_no")


class CustomField(TrackedMixin, db.Model):
    """A field the owner adds to customers or leads (sector, revenue, size of the fleet…)."""

    __tablename__ = "custom_fields"
    __table_args__ = (
        Index("uq_custom_fields_entity_key", "entity", "key", unique=True),
        CheckConstraint("entity IN ('customer', 'lead')", name="entity"),
        CheckConstraint("kind IN ('text', 'number', 'date', 'choice', 'yes_no')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(10), default="customer")
    key: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(10), default="text")
    choices: Mapped[Optional[str]] = mapped_column(Text)      # one per line, for kind "choice"
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.choices or "").splitlines() if line.strip()]


class LeadProduct(db.Model):
    """A product a deal is about, with its quantity: a won deal counts for its products in the reports."""

    __tablename__ = "lead_products"
    __table_args__ = (
        Index("ix_lead_products_lead", "lead_id"),
        Index("ix_lead_products_product", "product_id", "lead_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), default=Decimal("1"))

    lead: Mapped[Lead] = relationship(back_populates="products")
    product: Mapped["Product"] = relationship()


CONTACT_CHANNELS = ("visit", "call", "letter", "email", "direct_mail", "meeting", "phone_inquiry", "chat",
                    "whatsapp")


class ContactLog(TrackedMixin, db.Model):
    """One contact with a customer: a visit, a call, a letter… with its goal, outcome and next step."""

    __tablename__ = "contact_logs"
    __table_args__ = (
        Index("ix_contact_logs_customer_at", "customer_id", "happened_at"),
        Index("ix_contact_logs_lead_at", "lead_id", "happened_at"),
        # My day: open next steps of one seller by due date.
        Index("ix_contact_logs_next_step", "user_id", "next_step_done_at", "next_step_due"),
        # Everyone's steps due by today, counted per person (dashboard, My day's people): only the open ones, by
        # date first, as PostgreSQL cannot skip through the index above by user (it read all 1 000 000 contacts).
        Index("ix_contact_logs_open_steps", "next_step_due", "user_id",
              sqlite_where=sa_text("next_step_done_at IS NULL AND next_step_due IS NOT NULL"),
              postgresql_where=sa_text("next_step_done_at IS NULL AND next_step_due IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(20), default="call")
    happened_at: Mapped[datetime] = mapped_column(default=utcnow)
    goal: Mapped[Optional[str]] = mapped_column(String(300))
    outcome: Mapped[Optional[str]] = mapped_column(Text)
    next_step: Mapped[Optional[str]] = mapped_column(String(300))
    next_step_due: Mapped[Optional[date]]
    next_step_done_at: Mapped[Optional[datetime]]

    customer: Mapped[Customer] = relationship()
    lead: Mapped[Optional[Lead]] = relationship()
    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])


class ImportJob(db.Model):
    """A CSV import in progress: the file, the column mapping chosen, and the report, kept in the database
    so any app server can continue it."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default="leads")
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    settings: Mapped[Optional[str]] = mapped_column(Text)        # JSON: mapping, date format, duplicates…
    # sheet (choose one), mapping, values, checking, checked, importing, done
    status: Mapped[str] = mapped_column(String(12), default="mapping")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    checked_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported_rows: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    problems: Mapped[Optional[str]] = mapped_column(Text)        # JSON list of [line, field, message]
    result: Mapped[Optional[str]] = mapped_column(Text)          # JSON counts once done
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    # SHA-256 of the file: the same content imported again without an ID column is asked about first.
    content_hash: Mapped[Optional[str]] = mapped_column(String(64))
    # When a chunk was last checked or imported (by the page or by `flask run-imports`).
    advanced_at: Mapped[Optional[datetime]]

    __table_args__ = (Index("ix_import_jobs_kind_hash", "kind", "content_hash"),)


# --- Sale: negotiation ------------------------------------------------------------------------------------


class Competitor(TrackedMixin, db.Model):
    """A shop the customer may buy from instead: the shop-wide list deals refer to."""

    __tablename__ = "competitors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    strengths: Mapped[Optional[str]] = mapped_column(Text)
    weaknesses: Mapped[Optional[str]] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self):
        return self.name


class NegotiationNote(TrackedMixin, db.Model):
    __tablename__ = "negotiation_notes"
    __table_args__ = (Index("ix_negotiation_notes_lead_at", "lead_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)

    user: Mapped[Optional[User]] = relationship(foreign_keys=[user_id])


OBJECTION_KINDS = ("price", "timing", "need", "competitor", "trust", "authority", "other")


class Objection(TrackedMixin, db.Model):
    """A customer's reason not to buy yet, in their words, with the answer given: part of the decision."""

    __tablename__ = "objections"
    __table_args__ = (
        Index("ix_objections_lead", "lead_id", "resolved"),
        Index("ix_objections_kind", "kind", "resolved"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="price")
    customer_words: Mapped[str] = mapped_column(Text)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(default=False)
    resolved_at: Mapped[Optional[datetime]]

    lead: Mapped["Lead"] = relationship()


CONCESSION_KINDS = ("discount", "delivery", "payment_terms", "extra_service", "other")


class Concession(TrackedMixin, db.Model):
    """Something given to close the deal, its value, and what the shop got in return."""

    __tablename__ = "concessions"
    __table_args__ = (Index("ix_concessions_lead", "lead_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="discount")
    description: Mapped[str] = mapped_column(String(300))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    in_return: Mapped[Optional[str]] = mapped_column(String(300))


class DealCompetitor(TrackedMixin, db.Model):
    """A competitor in one deal: their offer and what they have going for them."""

    __tablename__ = "deal_competitors"
    __table_args__ = (Index("uq_deal_competitors_lead_competitor", "lead_id", "competitor_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitors.id", ondelete="CASCADE"))
    offer: Mapped[Optional[str]] = mapped_column(String(300))
    offer_value: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    strengths: Mapped[Optional[str]] = mapped_column(String(300))

    competitor: Mapped[Competitor] = relationship()


DECISION_ROLES = ("decides", "influences", "uses", "pays")
STANCES = ("supporter", "neutral", "opponent", "unknown")


class DecisionMaker(TrackedMixin, db.Model):
    """Who decides, who influences, and which way they lean."""

    __tablename__ = "decision_makers"
    __table_args__ = (Index("ix_decision_makers_lead", "lead_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(160))
    role: Mapped[str] = mapped_column(String(20), default="decides")
    stance: Mapped[str] = mapped_column(String(20), default="unknown")
    notes: Mapped[Optional[str]] = mapped_column(String(300))


# --- Sale: the product catalog -----------------------------------------------------------------------------


class Product(TrackedMixin, db.Model):
    """A product or service the shop sells, as the catalog lists it."""

    __tablename__ = "products"
    __table_args__ = (Index("ix_products_active_name", "active", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    is_service: Mapped[bool] = mapped_column(default=False)
    unit: Mapped[str] = mapped_column(String(20), default="unit")
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21"))
    category: Mapped[Optional[str]] = mapped_column(String(80), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    stock_on_hand: Mapped[Optional[int]]
    warranty_months: Mapped[Optional[int]]
    competitor_note: Mapped[Optional[str]] = mapped_column(Text)

    def __str__(self):
        return f"{self.code} · {self.name}"


INQUIRY_KINDS = ("availability", "price", "delivery", "other")


class Inquiry(TrackedMixin, db.Model):
    """A customer's request for information, open until answered."""

    __tablename__ = "inquiries"
    __table_args__ = (
        Index("ix_inquiries_customer_at", "customer_id", "created_at"),
        Index("ix_inquiries_open", "answered_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="availability")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[Optional[str]] = mapped_column(Text)
    answered_at: Mapped[Optional[datetime]]
    answered_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship()
    product: Mapped[Optional[Product]] = relationship()
    lead: Mapped[Optional[Lead]] = relationship()
    answered_by: Mapped[Optional[User]] = relationship(foreign_keys=[answered_by_id])

    @property
    def is_open(self) -> bool:
        return self.answered_at is None


# --- Sale: quotations ----------------------------------------------------------------------------------------


class YearCounter(db.Model):
    """The last number used per kind of document and year: numbering without gaps (Q-2026-0001, …)."""

    __tablename__ = "year_counters"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Quote(TrackedMixin, db.Model):
    """A quotation to a customer. Its content lives in revisions: a sent revision is never edited."""

    __tablename__ = "quotes"
    __table_args__ = (
        Index("ix_quotes_customer", "customer_id"),
        Index("ix_quotes_lead", "lead_id"),
        Index("ix_quotes_seller_created", "seller_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    inquiry_id: Mapped[Optional[int]] = mapped_column(ForeignKey("inquiries.id", ondelete="SET NULL"))
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))

    customer: Mapped[Customer] = relationship()
    lead: Mapped[Optional[Lead]] = relationship()
    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])
    revisions: Mapped[list["QuoteRevision"]] = relationship(back_populates="quote", order_by="QuoteRevision.number",
                                                            cascade="all, delete-orphan")

    @property
    def latest(self):
        return self.revisions[-1] if self.revisions else None


QUOTE_STATUSES = ("draft", "sent", "accepted", "declined", "superseded")


class QuoteRevision(TrackedMixin, db.Model):
    """One version of a quotation, with its lines and totals. Once sent, only its outcome may change."""

    __tablename__ = "quote_revisions"
    __table_args__ = (
        Index("uq_quote_revisions_quote_number", "quote_id", "number", unique=True),
        Index("ix_quote_revisions_status", "status", "valid_until"),
        CheckConstraint("status IN ('draft', 'sent', 'accepted', 'declined', 'superseded')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    valid_until: Mapped[date]
    need: Mapped[Optional[str]] = mapped_column(Text)          # the proposal: the need we understood,
    solution: Mapped[Optional[str]] = mapped_column(Text)      # the solution we propose,
    benefits: Mapped[Optional[str]] = mapped_column(Text)      # and what the customer gains.
    terms: Mapped[Optional[str]] = mapped_column(Text)
    notes: Mapped[Optional[str]] = mapped_column(Text)
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    tax_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    sent_at: Mapped[Optional[datetime]]
    token: Mapped[Optional[str]] = mapped_column(String(64), unique=True)
    decided_at: Mapped[Optional[datetime]]
    decided_by_name: Mapped[Optional[str]] = mapped_column(String(160))
    decided_from: Mapped[Optional[str]] = mapped_column(String(64))
    decline_reason: Mapped[Optional[str]] = mapped_column(String(500))

    quote: Mapped[Quote] = relationship(back_populates="revisions")
    lines: Mapped[list["QuoteLine"]] = relationship(back_populates="revision", order_by="QuoteLine.position",
                                                    cascade="all, delete-orphan")

    def is_expired(self, today) -> bool:
        return self.status == "sent" and self.valid_until < today


class QuoteRevisionPdf(db.Model):
    """A sent revision's PDF as it was made, once per language: a sent revision never changes, so its document
    is drawn once and every later download (and every app server sharing the database) gets the same bytes."""

    __tablename__ = "quote_revision_pdfs"

    revision_id: Mapped[int] = mapped_column(ForeignKey("quote_revisions.id", ondelete="CASCADE"),
                                             primary_key=True)
    language: Mapped[str] = mapped_column(String(16), primary_key=True)
    content: Mapped[bytes] = mapped_column(db.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuoteLine(db.Model):
    __tablename__ = "quote_lines"
    __table_args__ = (Index("ix_quote_lines_revision", "revision_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("quote_revisions.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    net: Mapped[Decimal] = mapped_column(Numeric(12, 2))       # after discount, before tax
    tax: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    revision: Mapped[QuoteRevision] = relationship(back_populates="lines")
    product: Mapped[Optional[Product]] = relationship()


# --- Sale: orders (what was sold, feeding after-sale and repeat purchases) ----------------------------------


class Order(TrackedMixin, db.Model):
    """A sale: what a customer bought, when, for how much. Made from an accepted quote or entered by hand."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_date", "customer_id", "ordered_on"),
        Index("ix_orders_date", "ordered_on"),
        # A won deal's first order, whose seller and currency it is credited with (sales/figures.py deal_*), per
        # lead; also how the deal import finds the orders of its won deals (sales/leads/import_orders.py).
        Index("ix_orders_lead", "lead_id", "ordered_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)          # e.g. O-2026-0001
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ordered_on: Mapped[date]                                               # the sale date: warranty starts here
    delivered_on: Mapped[Optional[date]]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    subtotal: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    tax_total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"))
    notes: Mapped[Optional[str]] = mapped_column(Text)
    # Made by a deal import from a won deal of the file (sales/leads/import_orders.py): a re-import keeps it in
    # step with the deal, and removes it when the deal is no longer won.
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    customer: Mapped[Customer] = relationship()
    lead: Mapped[Optional[Lead]] = relationship()
    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="OrderLine.position")


class OrderLine(db.Model):
    """One product sold on an order. Lines are written once, with the order, and never edited."""

    __tablename__ = "order_lines"
    __table_args__ = (
        Index("ix_order_lines_order", "order_id", "position"),
        Index("ix_order_lines_product", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    discount_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    line_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))           # before tax, after discount
    warranty_months: Mapped[Optional[int]]                                 # copied from the product when sold
    serial_number: Mapped[Optional[str]] = mapped_column(String(80))

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Optional[Product]] = relationship()


# --- After-sale: tickets, warranty, maintenance plans, promises, satisfaction -------------------------------

TICKET_KINDS = ("installation", "maintenance", "repair", "training", "complaint", "question")
TICKET_STATUSES = ("new", "in_progress", "waiting_customer", "resolved", "closed")
OPEN_TICKET_STATUSES = ("new", "in_progress", "waiting_customer")
TICKET_PRIORITIES = ("urgent", "high", "normal", "low")
ROOT_CAUSES = ("product_defect", "installation", "delivery", "service", "communication", "price", "other")


def _token() -> str:
    return secrets.token_urlsafe(32)


class Ticket(TrackedMixin, db.Model):
    """A customer's after-sale request: an installation, a repair, a complaint… about a product they bought."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint("kind IN ('installation', 'maintenance', 'repair', 'training', 'complaint', 'question')",
                        name="kind"),
        CheckConstraint("status IN ('new', 'in_progress', 'waiting_customer', 'resolved', 'closed')",
                        name="status"),
        CheckConstraint("priority IN ('urgent', 'high', 'normal', 'low')", name="priority"),
        CheckConstraint("warranty_override IN ('covered', 'billable')", name="warranty_override"),
        # The list pages: open tickets by due time, one person's tickets, one customer's tickets.
        Index("ix_tickets_status_due", "status", "due_at"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_customer_created", "customer_id", "created_at"),
        # One ticket per maintenance visit: running the cron job twice cannot double it.
        Index("uq_tickets_plan_due", "maintenance_plan_id", "maintenance_due_on", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"),
                                                         index=True)
    serial_number: Mapped[Optional[str]] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20), default="repair")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), default="new")
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[Optional[str]] = mapped_column(Text)
    assignee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]                                    # from the SLA of its priority (UTC)
    # While we wait on the customer the SLA clock stops; the wait is added to due_at when work resumes.
    waiting_since: Mapped[Optional[datetime]]
    resolved_at: Mapped[Optional[datetime]]
    closed_at: Mapped[Optional[datetime]]
    # The warranty is decided from the sale; a person may override that decision, saying why.
    warranty_override: Mapped[Optional[str]] = mapped_column(String(10))
    warranty_override_reason: Mapped[Optional[str]] = mapped_column(String(300))
    root_cause: Mapped[Optional[str]] = mapped_column(String(20))      # complaints: why it happened
    resolution: Mapped[Optional[str]] = mapped_column(Text)
    public_token: Mapped[str] = mapped_column(String(64), unique=True, default=_token)
    maintenance_plan_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("maintenance_plans.id", ondelete="SET NULL"))
    maintenance_due_on: Mapped[Optional[date]]

    customer: Mapped[Customer] = relationship()
    order_line: Mapped[Optional[OrderLine]] = relationship()
    assignee: Mapped[Optional[User]] = relationship(foreign_keys=[assignee_id])
    messages: Mapped[list["TicketMessage"]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketMessage.created_at")
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Attachment.id")
    charges: Mapped[list["TicketCharge"]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketCharge.id")

    @property
    def number(self) -> str:
        return self.number_of(self.id)

    @staticmethod
    def number_of(ticket_id) -> str:
        """The number of the ticket with this id (lists that read only the id)."""
        return f"T-{ticket_id:05d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TICKET_STATUSES

    def __repr__(self):
        return f"<Ticket {self.id} {self.kind} {self.status}>"


class TicketMessage(db.Model):
    """One entry of a ticket's conversation: an internal note, a reply the customer sees, or their reply."""

    __tablename__ = "ticket_messages"
    __table_args__ = (Index("ix_ticket_messages_ticket_at", "ticket_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    is_public: Mapped[bool] = mapped_column(default=False)     # False: an internal note, never shown outside
    from_customer: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[Optional[User]] = relationship()


class Attachment(db.Model):
    """A photo of a ticket, stored under the instance folder with a generated name."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_ticket", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[Optional[str]] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    uploaded_by: Mapped[Optional[User]] = relationship()


class TicketCharge(db.Model):
    """A part or an hour of labour on billable work: the lines a quotation for the repair would carry."""

    __tablename__ = "ticket_charges"
    __table_args__ = (
        CheckConstraint("kind IN ('part', 'labour')", name="kind"),
        Index("ix_ticket_charges_ticket", "ticket_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default="part")
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("21"))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")   # the shop's when it was charged

    ticket: Mapped[Ticket] = relationship(back_populates="charges")
    product: Mapped[Optional[Product]] = relationship()

    @property
    def total(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class MaintenancePlan(TrackedMixin, db.Model):
    """Scheduled maintenance of a product sold: every N months a maintenance ticket is opened."""

    __tablename__ = "maintenance_plans"
    __table_args__ = (
        CheckConstraint("every_months > 0", name="every_months"),
        Index("ix_maintenance_plans_due", "active", "next_due_on"),
        Index("ix_maintenance_plans_customer", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    order_line_id: Mapped[Optional[int]] = mapped_column(ForeignKey("order_lines.id", ondelete="SET NULL"))
    every_months: Mapped[int] = mapped_column(Integer, default=12)
    next_due_on: Mapped[date]
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[Optional[str]] = mapped_column(String(300))

    customer: Mapped[Customer] = relationship()
    order_line: Mapped[Optional[OrderLine]] = relationship()


# What a product comes with, for the customer to read…
PRODUCT_DOCUMENT_KINDS = ("datasheet", "manual", "installation", "care", "safety")
# …and what the shop keeps on a customer, a deal or a quote.
RECORD_DOCUMENT_KINDS = ("signed_order", "plan", "supplier_offer", "photo", "other")
DOCUMENT_KINDS = PRODUCT_DOCUMENT_KINDS + RECORD_DOCUMENT_KINDS


class Document(TrackedMixin, db.Model):
    """A document on a catalog product (its datasheet, manual, care instructions…) or on a customer, a lead or a
    quote (a signed order, a site plan, a supplier's offer). Either a file (PDF or picture, kept by
    sales/storage.py under `stored_name`) or a short page written in the app (`body`).

    It belongs to exactly one record, and whoever may see that record may see it (sales/records.py).
    """

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("kind IN (%s)" % ", ".join(f"'{k}'" for k in DOCUMENT_KINDS), name="kind"),
        CheckConstraint("(CASE WHEN product_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN customer_id IS NULL THEN 0 "
                        "ELSE 1 END) + (CASE WHEN lead_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN quote_id IS NULL "
                        "THEN 0 ELSE 1 END) = 1", name="one_holder"),
        CheckConstraint("stored_name IS NOT NULL OR body IS NOT NULL", name="file_or_page"),
        CheckConstraint("every_months IS NULL OR every_months > 0", name="every_months"),
        Index("ix_documents_product", "product_id", "kind"),
        Index("ix_documents_customer", "customer_id"),
        Index("ix_documents_lead", "lead_id"),
        Index("ix_documents_quote", "quote_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="datasheet")
    title: Mapped[str] = mapped_column(String(200))
    language: Mapped[Optional[str]] = mapped_column(String(8))          # None: the shop's one language
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    quote_id: Mapped[Optional[int]] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"))
    body: Mapped[Optional[str]] = mapped_column(Text)                   # a page written in the app
    stored_name: Mapped[Optional[str]] = mapped_column(String(80), unique=True)
    original_name: Mapped[Optional[str]] = mapped_column(String(200))
    content_type: Mapped[Optional[str]] = mapped_column(String(40))
    size: Mapped[Optional[int]]
    every_months: Mapped[Optional[int]]                                  # care: "service every N months"

    product: Mapped[Optional[Product]] = relationship()
    customer: Mapped[Optional[Customer]] = relationship()
    lead: Mapped[Optional[Lead]] = relationship()
    quote: Mapped[Optional[Quote]] = relationship()
    created_by: Mapped[Optional[User]] = relationship(foreign_keys="Document.created_by_id")

    @property
    def holder(self):
        """The record it belongs to, whose rule decides who sees it."""
        return self.product or self.customer or self.lead or self.quote

    @property
    def is_file(self) -> bool:
        return self.stored_name is not None

    @property
    def is_image(self) -> bool:
        return (self.content_type or "").startswith("image/")

    @property
    def paragraphs(self) -> list[str]:
        """A written page's paragraphs: an empty line starts a new one."""
        text = (self.body or "").replace("\r\n", "\n").replace("\r", "\n")
        return [part.strip() for part in text.split("\n\n") if part.strip()]


PROMISE_KINDS = ("delivery", "installation", "training", "other")


class Promise(TrackedMixin, db.Model):
    """What the shop promised when it sold something (delivery by a date, installation, training)."""

    __tablename__ = "promises"
    __table_args__ = (
        CheckConstraint("kind IN ('delivery', 'installation', 'training', 'other')", name="kind"),
        # My day: a seller's open promises by due date.
        Index("ix_promises_seller_open", "seller_id", "done_at", "due_on"),
        Index("ix_promises_order", "order_id"),
        # The API's pages of open (or closed) promises in id order, read along the index and stopped at the page.
        Index("ix_promises_done", "done_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20), default="delivery")
    description: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date]
    # When it stopped being open: kept then, or — with `broken` — found broken then (the customer waited in
    # vain). Open promises are those without it, on every page and report.
    done_at: Mapped[Optional[datetime]]
    broken: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    order: Mapped[Order] = relationship()
    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])

    @property
    def status(self) -> str:
        return "open" if self.done_at is None else "broken" if self.broken else "kept"


class Survey(db.Model):
    """A satisfaction survey sent after a ticket closed or an order was delivered.

    What it is about (product, seller, ticket type) is copied in when it is sent, so the reports are plain
    GROUP BYs and do not change when an order or ticket is edited later.
    """

    __tablename__ = "surveys"
    __table_args__ = (
        CheckConstraint("expectation BETWEEN 1 AND 5", name="expectation"),
        CheckConstraint("experience BETWEEN 1 AND 5", name="experience"),
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps"),
        Index("ix_surveys_answered", "answered_at"),
        Index("ix_surveys_customer", "customer_id", "created_at"),
        Index("uq_surveys_ticket", "ticket_id", unique=True),
        Index("uq_surveys_order", "order_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=_token)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    order_id: Mapped[Optional[int]] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    product_id: Mapped[Optional[int]] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ticket_kind: Mapped[Optional[str]] = mapped_column(String(20))   # None: a survey after a delivery
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[Optional[datetime]]
    expectation: Mapped[Optional[int]]       # 1–5: what the customer expected
    experience: Mapped[Optional[int]]        # 1–5: what they got
    csat: Mapped[Optional[int]]              # 1–5: overall satisfaction
    nps: Mapped[Optional[int]]               # 0–10: would they recommend us
    comment: Mapped[Optional[str]] = mapped_column(Text)

    customer: Mapped[Customer] = relationship()
    ticket: Mapped[Optional[Ticket]] = relationship()
    order: Mapped[Optional[Order]] = relationship()
    product: Mapped[Optional[Product]] = relationship()
    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])

    @property
    def gap(self) -> Optional[int]:
        """Perceived quality: experience minus expectation (negative: we fell short)."""
        if self.experience is None or self.expectation is None:
            return None
        return self.experience - self.expectation


# --- Collaborative CRM: email out and in, mailing campaigns -------------------------------------------------

OUTGOING_STATUSES = ("queued", "sent", "failed")


class OutgoingEmail(db.Model):
    """One email in the outbox. It is written whole (headers, body, attachments) when queued, so a mail server
    that is down loses nothing: the message waits here until a send succeeds or the server refuses it for good.

    Sending goes queued → sending (claimed by one run: `claim_token`, `claimed_at`) → handed over (`handed_at`,
    recorded just before the server is told "that is the whole message") → sent or failed, each step committed
    on its own, so a run killed at any point is resumed without sending anything twice (sales/messaging/outbox.py).
    """

    __tablename__ = "outgoing_emails"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'sending', 'sent', 'failed')", name="status"),
        Index("ix_outgoing_emails_status_id", "status", "id"),
        Index("ix_outgoing_emails_customer_at", "customer_id", "created_at"),
        Index("ix_outgoing_emails_about", "about", "about_id"),
        Index("ix_outgoing_emails_campaign", "campaign_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    campaign_id: Mapped[Optional[int]] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"))
    about: Mapped[str] = mapped_column(String(20), default="other")   # quote, ticket, survey, password, campaign…
    about_id: Mapped[Optional[int]]
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)                            # the plain text, for the timeline
    raw: Mapped[bytes] = mapped_column(db.LargeBinary)                 # the whole message as it goes out
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[Optional[str]] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[Optional[datetime]]
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The Message-ID in `raw`, fixed when queued: the receiving server and the customer's client can tell a copy.
    message_id: Mapped[Optional[str]] = mapped_column(String(255))
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    claimed_at: Mapped[Optional[datetime]]
    handed_at: Mapped[Optional[datetime]]

    customer: Mapped[Optional[Customer]] = relationship()
    created_by: Mapped[Optional[User]] = relationship()


class IncomingEmail(db.Model):
    """An email read from the shop's mailbox, and where it landed: a customer, a ticket, a new lead."""

    __tablename__ = "incoming_emails"
    __table_args__ = (
        Index("ix_incoming_emails_customer_at", "customer_id", "received_at"),
        Index("uq_incoming_emails_message_id", "message_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300))               # read twice, stored once
    from_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    ticket_id: Mapped[Optional[int]] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))

    customer: Mapped[Optional[Customer]] = relationship()


CAMPAIGN_CHANNELS = ("email", "letter")


class Campaign(TrackedMixin, db.Model):
    """A mailing to many customers at once, by email or by letter, with the audience chosen by a filter."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("channel IN ('email', 'letter')", name="channel"),
        CheckConstraint("status IN ('draft', 'sending', 'done')", name="status"),
        Index("ix_campaigns_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(10), default="email")
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    filters: Mapped[str] = mapped_column(Text, default="{}")           # JSON: tag, city, lead source, product
    status: Mapped[str] = mapped_column(String(10), default="draft")
    follow_days: Mapped[int] = mapped_column(Integer, default=30)      # sales within N days count as results
    # One message in several languages: `subject` and `body` are written in `language` (None: the shop's), the
    # other versions are in `versions` ({"de": {"subject": …, "body": …}}); each recipient gets the version in
    # their language, and those whose language has none get `fallback_language`'s (sales/messaging/campaigns.py).
    language: Mapped[Optional[str]] = mapped_column(String(8))
    versions: Mapped[Optional[dict]] = mapped_column(JSON)
    fallback_language: Mapped[Optional[str]] = mapped_column(String(8))
    started_at: Mapped[Optional[datetime]]
    finished_at: Mapped[Optional[datetime]]

    recipients: Mapped[list["CampaignRecipient"]] = relationship(back_populates="campaign",
                                                                 cascade="all, delete-orphan")


class CampaignRecipient(db.Model):
    """One customer a campaign goes to, fixed when sending starts, so batches and results agree."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        Index("uq_campaign_recipients_customer", "campaign_id", "customer_id", unique=True),
        Index("ix_campaign_recipients_pending", "campaign_id", "done", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    done: Mapped[bool] = mapped_column(default=False)
    email_id: Mapped[Optional[int]] = mapped_column(ForeignKey("outgoing_emails.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign] = relationship(back_populates="recipients")
    customer: Mapped[Customer] = relationship()


# --- Management: goals, commission rules, saved customer segments -------------------------------------------

GOAL_METRICS = ("revenue", "deals_won", "new_leads", "contacts")


class Goal(TrackedMixin, db.Model):
    """What the owner expects of one seller in one period (a month "2026-11" or a quarter "2026-Q4")."""

    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("metric IN ('revenue', 'deals_won', 'new_leads', 'contacts')", name="metric"),
        CheckConstraint("target >= 0", name="target"),
        Index("uq_goals_seller_period_metric", "seller_id", "period", "metric", unique=True),
        Index("ix_goals_period", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))          # "2026-11" or "2026-Q4"
    metric: Mapped[str] = mapped_column(String(12))
    target: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    seller: Mapped[User] = relationship(foreign_keys=[seller_id])


class CommissionRule(TrackedMixin, db.Model):
    """A percentage of what a seller sold, for one seller or everyone, one product category or all of them,
    optionally only on the part above a threshold per period. The most specific rule wins."""

    __tablename__ = "commission_rules"
    __table_args__ = (
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent"),
        CheckConstraint("threshold IS NULL OR threshold >= 0", name="threshold"),
        Index("uq_commission_rules_seller_category", "seller_id", "category", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # None: everyone
    category: Mapped[Optional[str]] = mapped_column(String(80))                                   # None: all
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    threshold: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))

    seller: Mapped[Optional[User]] = relationship(foreign_keys=[seller_id])


class Segment(TrackedMixin, db.Model):
    """A saved group of customers, defined by filters (JSON), counted and exported live, reused by campaigns."""

    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    filters: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def filter_values(self) -> dict:
        import json

        try:
            values = json.loads(self.filters or "{}")
        except ValueError:
            return {}
        return values if isinstance(values, dict) else {}

    def __str__(self):
        return self.name


# The reports group sales and closed deals by seller and date.
Index("ix_orders_seller_date", Order.seller_id, Order.ordered_on)
# Repeat purchase and segments read each customer's orders (dates and totals) from this index alone.
Index("ix_orders_customer_history", Order.customer_id, Order.ordered_on, Order.total)
Index("ix_leads_seller_closed", Lead.seller_id, Lead.closed_at)
Index("ix_leads_closed", Lead.closed_at)
Index("ix_leads_created", Lead.created_at)
Index("ix_leads_seller_created", Lead.seller_id, Lead.created_at)
Index("ix_contact_logs_user_at", ContactLog.user_id, ContactLog.happened_at, ContactLog.channel)
# The period picker's first and last contact (min/max read one end of it; without it, 1 000 000 rows scanned), and
# a period's contacts counted per person from the index alone (PostgreSQL does not skip by user through the next).
Index("ix_contact_logs_at", ContactLog.happened_at, ContactLog.user_id, ContactLog.channel)
# The funnel report reads moves in a period straight from this index (covering).
Index("ix_stage_changes_at_flow", StageChange.changed_at, StageChange.from_stage_id, StageChange.to_stage_id,
      StageChange.from_stage_entered_at, StageChange.lead_id)
# …and counts the moves from stage to stage along this one, already in (from, to) order: no sort to do.
# It covers the stays too, so a planner that picks it for them reads no table rows.
Index("ix_stage_changes_from_to_at", StageChange.from_stage_id, StageChange.to_stage_id, StageChange.changed_at,
      StageChange.from_stage_entered_at)


# --- Connecting the shop: WhatsApp, calendar feeds, webhooks, API tokens ------------------------------------

class WhatsAppMessage(db.Model):
    """A message received through the WhatsApp Business Cloud API. Meta retries a webhook until it gets a 200,
    so the message id (wamid) is kept unique: a retried delivery files nothing twice."""

    __tablename__ = "whatsapp_messages"
    __table_args__ = (
        Index("uq_whatsapp_messages_wamid", "wamid", unique=True),
        Index("ix_whatsapp_messages_customer_at", "customer_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wamid: Mapped[str] = mapped_column(String(200))
    from_number: Mapped[str] = mapped_column(String(40))               # digits with country code, as Meta sends
    kind: Mapped[str] = mapped_column(String(20), default="text")      # text, image, audio, location…
    body: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    customer_id: Mapped[Optional[int]] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    contact_log_id: Mapped[Optional[int]] = mapped_column(ForeignKey("contact_logs.id", ondelete="SET NULL"))
    lead_id: Mapped[Optional[int]] = mapped_column(ForeignKey("leads.id", ondelete="SET NULL"))


class CalendarFeed(db.Model):
    """A user's secret calendar address (an iCalendar feed their phone subscribes to). Revoking deletes the row:
    the old address stops working at once; a new one is a new token."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=lambda: secrets.token_urlsafe(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_read_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()


WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed")


class WebhookEndpoint(TrackedMixin, db.Model):
    """A URL of the shop's other software (web shop, accounting) that hears about chosen events, signed with
    its own secret (Standard Webhooks)."""

    __tablename__ = "webhook_endpoints"
    __audit_ignore__ = TrackedMixin.__audit_ignore__ + ("secret", "failing_since")

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[Optional[str]] = mapped_column(String(200))
    events: Mapped[str] = mapped_column(Text, default="")            # event types, space separated
    secret: Mapped[str] = mapped_column(String(80))                  # whsec_ + base64 of the key
    active: Mapped[bool] = mapped_column(default=True)
    # Failing without a break since; after days of it the endpoint is paused and the owner told.
    failing_since: Mapped[Optional[datetime]]
    paused_reason: Mapped[Optional[str]] = mapped_column(String(300))

    @property
    def event_types(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(db.Model):
    """One message to one endpoint: the outbox row, written in the same transaction as the change it tells of.

    `message_id` is the webhook-id header: the same on every retry, so a receiver that got it twice drops one.
    `claimed_until` is a worker's lease on the row while it sends: another worker skips it until the lease ends.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        Index("uq_webhook_deliveries_message_id", "message_id", unique=True),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)                        # the JSON body, exactly as signed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[Optional[datetime]]
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    delivered_at: Mapped[Optional[datetime]]
    last_attempt_at: Mapped[Optional[datetime]]
    last_status_code: Mapped[Optional[int]]
    last_response: Mapped[Optional[str]] = mapped_column(String(500))   # the receiver's answer, its start

    endpoint: Mapped[WebhookEndpoint] = relationship()


class ApiToken(db.Model):
    """A personal API token: acts as its user, with their role and record rules. Only a hash is kept; the token
    itself is shown once, when made."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))                  # the first characters, to tell tokens apart
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)   # SHA-256 (the token is 256 random bits)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[Optional[date]]
    last_used_at: Mapped[Optional[datetime]]
    revoked_at: Mapped[Optional[datetime]]

    user: Mapped[User] = relationship()


class ApiRateWindow(db.Model):
    """Requests of one token in one minute: the rate limit, kept in the database so every app server counts
    the same requests."""

    __tablename__ = "api_rate_windows"

    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class ApiIdempotencyKey(db.Model):
    """The answer to a POST sent with an Idempotency-Key: a retry of the same request gets it again instead of
    creating a second record. Written in the same transaction as what the POST created."""

    __tablename__ = "api_idempotency_keys"
    __table_args__ = (Index("uq_api_idempotency_keys_token_key", "token_id", "key", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    location: Mapped[Optional[str]] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- The tablet app ----------------------------------------------------------------------------------------

class SubmissionKey(db.Model):
    """A form already stored: the key the tablet sent with it, so a retry stores nothing twice (see
    sales/idempotency.py)."""

    __tablename__ = "submission_keys"

    # Per person: someone else's key, guessed or not, neither finds nor blocks anything.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))       # contact, inquiry, ticket_message
    record_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Scheduled jobs ----------------------------------------------------------------------------------------

JOB_RUN_STATUSES = ("running", "succeeded", "failed")


class JobRun(db.Model):
    """One run of a cron command (send-mail, read-mail, maintenance-due, deliver-webhooks) on one machine: when
    it started and ended, what it did, and why it failed. A run still "running" long after it started was killed.

    The owner's page of scheduled jobs and /metrics read these rows; nothing else depends on them, so a run that
    cannot write its row still does its work."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'succeeded', 'failed')", name="status"),
        Index("ix_job_runs_job_started", "job", "started_at"),
        Index("ix_job_runs_job_status_finished", "job", "status", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    host: Mapped[str] = mapped_column(String(100))                    # which app server ran it
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[Optional[datetime]]
    status: Mapped[str] = mapped_column(String(10), default="running")
    counts: Mapped[Optional[dict]] = mapped_column(JSON)               # {"sent": 12, "refused": 0}
    summary: Mapped[Optional[str]] = mapped_column(String(300))        # the line the command printed last
    error: Mapped[Optional[str]] = mapped_column(String(500))


class JobLease(db.Model):
    """A job whose work is one thing outside the database (read-mail: the shop's one mailbox) is done by one run
    at a time on all machines: the run holding this row's claim (sales/claims.py), renewed as it goes."""

    __tablename__ = "job_leases"
    __table_args__ = (Index("uq_job_leases_job", "job", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    claim_token: Mapped[Optional[str]] = mapped_column(String(32))
    claimed_at: Mapped[Optional[datetime]]


class BulkAction(db.Model):
    """One bulk change of many records ("move these 37 leads to Proposal"), kept so it can be undone for ten
    minutes: what each record was before, and the version it had right after, so an undo leaves alone a record
    someone changed since (sales/leads/bulk_actions.py). In the database, not the process: any app server, and
    a restart, can still undo it."""

    __tablename__ = "bulk_actions"
    __table_args__ = (Index("ix_bulk_actions_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(40))                    # the records' table: "leads"
    action: Mapped[str] = mapped_column(String(20))                    # reassign, move, lose
    summary: Mapped[str] = mapped_column(String(300))                  # the result message, in the user's words
    # {record id: {"before": {field: value}, "version": version after the change}}
    records: Mapped[dict] = mapped_column(JSON)
    undone_at: Mapped[Optional[datetime]]


class OnboardingItem(TrackedMixin, db.Model):
    """One line of the checklist the owner writes for a new seller's first days ("Sit in on two sales with
    Ana"), shown on the onboarding page with the playbook and the catalog's competitor notes."""

    __tablename__ = "onboarding_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)


class OnboardingCheck(db.Model):
    """A person has done one item of the checklist: ticked by them, seen by their manager and the owner."""

    __tablename__ = "onboarding_checks"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("onboarding_items.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)
