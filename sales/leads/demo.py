"""Demo leads for the bicycle shop: every stage, contacts with goals and next steps, a few inquiries."""
from datetime import datetime, timedelta
from decimal import Decimal

from extensions import db
from models import ContactLog, Customer, Inquiry, Lead, User, utcnow
from sales.clock import shop_today
from sales.leads.rules import refresh_priority
from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

LEAD_IDEAS = (
    ("Bici eléctrica para ir al trabajo", Decimal("2400")), ("Bicicleta infantil 20\"", Decimal("320")),
    ("Flota de 6 bicis de carga", Decimal("18500")), ("Revisión y cambio de transmisión", Decimal("180")),
    ("Gravel de carbono", Decimal("3200")), ("Bicis de alquiler para el hotel", Decimal("7800")),
    ("Casco y luces para toda la familia", Decimal("260")), ("Bici de montaña doble suspensión", Decimal("2900")),
    ("Mantenimiento anual del club", Decimal("1500")), ("Bicicleta urbana plegable", Decimal("850")),
    ("Rodillo de entrenamiento inteligente", Decimal("990")), ("Renovación flota de reparto", Decimal("12400")),
)
GOALS = (
    ("Conocer qué uso le dará y su presupuesto", "Usa la bici 20 km al día; presupuesto ~2.500 €.",
     "Enviar dos opciones por correo"),
    ("Que venga a probar la bici a la tienda", "Vendrá el sábado por la mañana.", "Preparar bici de prueba"),
    ("Confirmar quién decide la compra", "Decide la junta del club el día 15.", "Llamar tras la junta"),
    ("Resolver dudas sobre la garantía", "Le preocupa la batería; explicada la garantía de 2 años.",
     "Mandar ficha técnica de la batería"),
    ("Cerrar fecha de entrega", "Quiere la entrega antes de fin de mes.", "Confirmar stock con el proveedor"),
)
CHANNELS = ("call", "visit", "email", "meeting", "phone_inquiry", "chat")
# (type, question, answer): what customers ask, filed under the type that fits it.
INQUIRIES = (
    ("availability", "¿Tenéis la talla M de la gravel en stock?", "Sí, nos queda una en M; se la guardamos."),
    ("availability", "¿Hay bicis infantiles de 20\" para probar?", "Sí, tenemos dos en tienda para probar."),
    ("price", "¿Cuánto cuesta el montaje de un portabultos?", "El montaje son 35 €, el portabultos 39 €."),
    ("price", "¿Qué precio tiene la revisión anual?", "La revisión anual completa cuesta 65 €."),
    ("delivery", "¿Cuándo llega la eléctrica que encargué?", "Llega el jueves; le avisamos al recibirla."),
    ("delivery", "¿Me la podéis llevar a casa montada?", "Sí, la llevamos montada en Madrid por 15 €."),
)


def fill_demo_leads(owner, rng):
    stages = ensure_default_stages()
    sellers = db.session.query(User).filter_by(role="seller").order_by(User.id).all() or [owner]
    customers = db.session.query(Customer).order_by(Customer.id).all()
    today = shop_today()
    now = utcnow()
    for index, customer in enumerate(customers[:36]):
        title, value = LEAD_IDEAS[index % len(LEAD_IDEAS)]
        seller = customer.owner if customer.owner in sellers else rng.choice(sellers)
        created = now - timedelta(days=rng.randint(5, 60))
        lead = Lead(customer=customer, title=title, source=rng.choice(("walk_in", "phone", "web_form", "referral")),
                    estimated_value=value, seller=seller, created_at=created,
                    expected_close_date=today + timedelta(days=rng.randint(-5, 45)),
                    competitor_involved=rng.random() < 0.3)
        if lead.competitor_involved:
            lead.competitor_note = rng.choice(("Decathlon ofrece 10 % menos", "Tienda online con envío gratis"))
        start_in_stage(lead, stages[0], user_id=seller.id, when=created)
        db.session.add(lead)
        # Walk the lead along the pipeline: every stage gets some leads, later stages fewer.
        target = min(index % 7, len(stages) - 1)
        when = created
        for stage in stages[1:target + 1]:
            if stage.kind == "lost" and stages[target].kind != "lost":
                continue
            if stage.kind == "won" and stages[target].kind == "lost":
                continue
            when = when + timedelta(days=rng.randint(1, 6))
            move_to_stage(lead, stage, user_id=seller.id, when=min(when, now))
        if target >= 2:
            lead.need_rating, lead.buying_power_rating = rng.randint(2, 3), rng.randint(1, 3)
            lead.receptivity_rating, lead.access_rating = rng.randint(1, 3), rng.randint(1, 3)
            lead.qualification = "qualified"
        for step in range(rng.randint(1, 3)):
            goal, outcome, next_step = rng.choice(GOALS)
            happened = created + timedelta(days=step * 3 + 1)
            due = today + timedelta(days=rng.randint(-3, 6))
            is_last = step == 0
            db.session.add(ContactLog(customer=customer, lead=lead, user_id=seller.id,
                                      channel=rng.choice(CHANNELS), goal=goal, outcome=outcome,
                                      happened_at=min(datetime.combine(happened.date(), datetime.min.time())
                                                      + timedelta(hours=rng.randint(9, 19)), now),
                                      next_step=next_step if is_last else None,
                                      next_step_due=due if is_last else None))
        db.session.flush()
        refresh_priority(lead)
    for customer in customers[36:42]:
        # The question and its type go together: a price question is filed as one.
        kind, question, answer = rng.choice(INQUIRIES)
        inquiry = Inquiry(customer=customer, kind=kind, question=question)
        if rng.random() < 0.4:
            inquiry.answer, inquiry.answered_at, inquiry.answered_by_id = answer, now, owner.id
        db.session.add(inquiry)
