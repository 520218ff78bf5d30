"""The pipeline's stages and moving a lead between them. Every move is recorded with who and when."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from extensions import db
from models import PipelineStage, StageChange, utcnow
from sales.languages import shop_language
from sales.list_names import in_every_language

# (name, kind) of a new shop's pipeline, in order. Named in every language the catalogue speaks, whoever first
# needs them: each member of staff then reads them in their own.
DEFAULT_STAGES = (
    (_l("New"), "open"),
    (_l("Contacted"), "open"),
    (_l("Qualified"), "open"),
    (_l("Proposal"), "open"),
    (_l("Negotiation"), "open"),
    (_l("Won"), "won"),
    (_l("Lost"), "lost"),
)


def ensure_default_stages():
    """Create the default pipeline if the shop has none yet; return the active stages in order."""
    # One statement when the stages exist (every page that shows the pipeline asks): all of them, the active kept.
    stages = db.session.scalars(select(PipelineStage).order_by(PipelineStage.position, PipelineStage.id)).all()
    if stages:
        return [stage for stage in stages if stage.active]
    shop = shop_language()
    for position, (name, kind) in enumerate(DEFAULT_STAGES, start=1):
        names = in_every_language(name)
        db.session.add(PipelineStage(name=names[shop], names=names, kind=kind, position=position * 10))
    db.session.flush()
    db.session.info["stages_created"] = True     # for a GET that must commit what it made
    return active_stages()


def active_stages():
    return db.session.scalars(
        select(PipelineStage).where(PipelineStage.active).order_by(PipelineStage.position, PipelineStage.id)
    ).all()


def first_open_stage():
    return next(s for s in ensure_default_stages() if s.kind == "open")


def stage_of_kind(kind):
    """The first active stage of a kind: "won" or "lost" (where closing a deal puts it)."""
    return next(s for s in ensure_default_stages() if s.kind == kind)


def move_to_stage(lead, stage, user_id=None, when=None):
    """Move `lead` to `stage`, recording the change. Closing stages stamp closed_at; leaving them clears it.

    Returns the StageChange, or None when the lead is already there.
    """
    # A lead placed in this same unit of work has its stage object but no stage_id yet.
    current_id = lead.stage.id if lead.stage is not None else lead.stage_id
    if current_id == stage.id:
        return None
    when = when or utcnow()
    change = StageChange(lead=lead, from_stage_id=current_id, to_stage_id=stage.id, changed_at=when,
                         changed_by_id=user_id, from_stage_entered_at=lead.stage_entered_at if current_id else None)
    db.session.add(change)
    lead.stage = stage
    lead.stage_entered_at = when
    lead.closed_at = when if stage.kind != "open" else None
    return change


def start_in_stage(lead, stage=None, user_id=None, when=None):
    """Put a brand-new lead in its first stage, recorded like any other move."""
    stage = stage or first_open_stage()
    when = when or utcnow()
    lead.stage = stage
    lead.stage_entered_at = when
    db.session.add(StageChange(lead=lead, from_stage_id=None, to_stage_id=stage.id, changed_at=when,
                               changed_by_id=user_id))
    return lead
