"""Demo negotiations: objections with answers, concessions, competitors, decision makers, deals won and lost."""
from datetime import timedelta
from decimal import Decimal

from extensions import db
from models import Competitor, Concession, DealCompetitor, DecisionMaker, Lead, NegotiationNote, Objection, utcnow
from sales.clock import shop_today
from sales.leads.stages import ensure_default_stages
from sales.negotiation.rules import close_lost, close_won

COMPETITORS = (
    ("Decathlon", "Precio bajo, mucho stock", "Poco asesoramiento y taller lento"),
    ("BiciOnline.es", "Envío gratis, catálogo enorme", "Sin taller ni prueba antes de comprar"),
    ("Ciclos Martín", "Cerca del polígono, conocido en el club", "Poco stock de eléctricas"),
)
OBJECTIONS = (
    ("price", "Es más cara que en internet.", "Incluye montaje, ajuste y la primera revisión gratis.", True),
    ("price", "No llego a ese presupuesto.", "Financiación en 12 meses sin intereses.", True),
    ("timing", "Prefiero esperar a las rebajas.", "El modelo se agota antes de primavera; reservamos talla.", True),
    ("trust", "¿Y si la batería falla?", "Dos años de garantía y bici de sustitución mientras se repara.", True),
    ("competitor", "En Decathlon la tienen un 10 % más barata.", "Igualamos si es el mismo modelo y añadimos casco.", False),
    ("authority", "Lo tengo que hablar con mi pareja.", "Os invitamos a probarla juntos el sábado.", True),
    ("need", "No sé si la usaré tanto.", "Calculamos el ahorro en transporte: se paga en 14 meses.", False),
)


def fill_demo_negotiations(owner, rng):
    competitors = []
    for name, strengths, weaknesses in COMPETITORS:
        competitor = Competitor(name=name, strengths=strengths, weaknesses=weaknesses)
        db.session.add(competitor)
        competitors.append(competitor)
    db.session.flush()
    stages = {s.kind: s for s in reversed(ensure_default_stages())}
    open_stages = [s for s in ensure_default_stages() if s.kind == "open"]
    negotiation, proposal = open_stages[-1], open_stages[-2]  # the last two steps before closing
    leads = db.session.query(Lead).filter(Lead.stage_id.in_([negotiation.id, stages["won"].id,
                                                             stages["lost"].id])).all()
    leads += db.session.query(Lead).filter(Lead.stage_id == proposal.id).limit(4).all()
    today = shop_today()
    for index, lead in enumerate(leads):
        seller_id = lead.seller_id or owner.id
        for kind, words, answer, resolved in rng.sample(OBJECTIONS, rng.randint(1, 3)):
            db.session.add(Objection(lead_id=lead.id, user_id=seller_id, kind=kind, customer_words=words,
                                     answer=answer if resolved or rng.random() < 0.5 else None,
                                     resolved=resolved, resolved_at=utcnow() if resolved else None))
        if rng.random() < 0.7:
            value = (lead.estimated_value or Decimal("500")) * Decimal("0.05")
            db.session.add(Concession(lead_id=lead.id, user_id=seller_id, kind="discount",
                                      description="5 % de descuento", value=value.quantize(Decimal("0.01")),
                                      in_return="Pago por adelantado"))
        if rng.random() < 0.4:
            db.session.add(Concession(lead_id=lead.id, user_id=seller_id, kind="extra_service",
                                      description="Primera revisión gratis", value=Decimal("45"),
                                      in_return="Reseña en Google"))
        if rng.random() < 0.5:
            rival = rng.choice(competitors)
            db.session.add(DealCompetitor(lead_id=lead.id, competitor_id=rival.id, offer="Mismo modelo",
                                          offer_value=(lead.estimated_value or Decimal("500")) * Decimal("0.9")))
            lead.competitor_involved = True
        db.session.add(DecisionMaker(lead_id=lead.id, name=lead.customer.contact_person or lead.customer.name,
                                     role="decides", stance=rng.choice(("supporter", "neutral", "unknown"))))
        db.session.add(NegotiationNote(lead_id=lead.id, user_id=seller_id,
                                       body="Quiere cerrar antes de fin de mes si la entrega es rápida."))
        # Leave a few in Negotiation; close the rest both ways, with a follow-up.
        if lead.stage.kind == "open" and index % 3 == 0:
            continue
        follow = today + timedelta(days=rng.randint(3, 20))
        if lead.stage.kind == "lost" or (lead.stage.kind == "open" and index % 2):
            reason = rng.choice(("price", "competitor", "no_budget", "timing"))
            close_lost(lead, reason, rng.choice(competitors).id if reason == "competitor" else None,
                       "Eligió otra opción", "Llamar en primavera con la nueva colección", follow, seller_id,
                       goal="Oportunidad perdida")
        else:
            close_won(lead, lead.estimated_value, "Cerrada con entrega en una semana",
                      "Comprobar la entrega y el ajuste", follow, seller_id, goal="Oportunidad ganada")
