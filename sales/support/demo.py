"""The demo shop's after-sale: bikes sold, tickets of every type and state (some overdue), maintenance plans,
promises and answered surveys."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models import (TICKET_KINDS, TICKET_STATUSES, Customer, MaintenancePlan, Order, OrderLine, Product, Promise,
                    TicketCharge, User, utcnow)
from sales.clock import shop_today
from sales.support import rules

TITLES = {
    "installation": ("Montar portabultos y alforjas", "Montar guardabarros y caballete"),
    "maintenance": ("Revisión de los 6 meses", "Ajuste de cambios y frenos"),
    "repair": ("El freno trasero chirría", "Radio roto en la rueda trasera", "El cambio salta de piñón"),
    "training": ("Cómo cambiar una cámara", "Cómo ajustar el sillín y el manillar"),
    "complaint": ("Entrega con dos días de retraso", "Arañazo en el cuadro al recogerla"),
    "question": ("¿Qué presión para las ruedas?", "¿Puedo llevarla en el tren?"),
}
PUBLIC_REPLIES = ("Hola, ya estamos con ello. Le avisamos en cuanto esté lista.",
                  "Necesitamos que nos traiga la bici el martes por la mañana, ¿le va bien?")
CUSTOMER_REPLIES = ("Perfecto, el martes a las 10 la llevo.", "Gracias, quedo a la espera.")
INTERNAL_NOTES = ("Pedido el repuesto al proveedor, llega el jueves.", "Cliente habitual: tratar con cariño.")
# What only an electric bike has: its battery, its charger, its assistance modes.
ELECTRIC_TITLES = {
    "installation": ("Instalar cargador en el garaje",),
    "repair": ("La batería no carga completa",),
    "training": ("Explicar los modos de asistencia",),
}
COMMENTS = ("Muy amables y rápidos.", "Esperaba que estuviera antes, pero quedó perfecta.",
            "Me explicaron todo con mucha paciencia.", None, "Tardaron más de lo prometido.")


def _bikes():
    """The catalog's bicycles (sales/quotes/demo.py made it): what the shop sold and now looks after."""
    return db.session.scalars(select(Product).where(Product.category.in_(("Bicicletas", "Eléctricas")))
                              .order_by(Product.id)).all()


def _orders(rng, customers, sellers, bikes, today):
    """A bike sold to each of these customers over the last three years: every other one still in its warranty
    (sold within the last 18 months), the others past it (26 to 40 months ago)."""
    lines = []
    for n, customer in enumerate(customers, start=1):
        months_ago = rng.randint(1, 18) if n % 2 else rng.randint(26, 40)
        sold_on = today - timedelta(days=months_ago * 30 + rng.randint(0, 20))
        bike = rng.choice(bikes)
        tax = (bike.unit_price * bike.tax_rate / 100).quantize(Decimal("0.01"))
        order = Order(number=f"O-{sold_on.year}-S{n:03d}", customer=customer, seller=customer.owner or
                      rng.choice(sellers), ordered_on=sold_on, delivered_on=sold_on + timedelta(days=rng.randint(1, 6)),
                      subtotal=bike.unit_price, tax_total=tax, total=bike.unit_price + tax)
        line = OrderLine(position=1, product=bike, description=bike.name, quantity=Decimal("1"),
                         unit_price=bike.unit_price, tax_rate=bike.tax_rate, line_total=bike.unit_price,
                         warranty_months=bike.warranty_months, serial_number=f"WTU{rng.randint(100000, 999999)}")
        order.lines.append(line)
        db.session.add(order)
        lines.append(line)
    db.session.flush()
    return lines


def _title(rng, kind, line):
    titles = TITLES[kind]
    if line is not None and line.product is not None and line.product.category == "Eléctricas":
        titles = titles + ELECTRIC_TITLES.get(kind, ())
    return rng.choice(titles)


def _answer(rng, survey, now):
    expectation = rng.randint(3, 5)
    experience = max(1, min(5, expectation + rng.choice((-2, -1, 0, 0, 1))))
    rules.answer_survey(survey, expectation=expectation, experience=experience,
                        csat=max(1, min(5, experience + rng.choice((-1, 0, 0)))),
                        nps=max(0, min(10, experience * 2 + rng.choice((-1, 0, 0, 1)))),
                        comment=rng.choice(COMMENTS), now=now)


def fill_demo_support(owner, rng):
    now = utcnow()
    today = shop_today()
    customers = db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))
                                   .order_by(Customer.id)).all()
    if not customers:
        return
    sellers = db.session.scalars(select(User).where(User.role == "seller").order_by(User.id)).all() or [owner]
    staff = db.session.scalars(select(User).where(User.role == "support").order_by(User.id)).all() or [owner]
    bikes = _bikes()
    # Tickets are about a bike the customer bought here: each of these customers bought one.
    lines = _orders(rng, customers[:16], sellers, bikes, today) if bikes else []

    # Every type in every state; the open ones spread so that some are past their due time.
    n = 0
    tickets = []
    for kind in TICKET_KINDS:
        for status in TICKET_STATUSES:
            n += 1
            line = lines[n % len(lines)] if lines else None
            customer = line.order.customer if line else rng.choice(customers)
            if kind == "question" and n % 2:
                line = None         # a question need not be about one bike
            opened = now - timedelta(hours=rng.choice((2, 20, 60, 100, 200, 400)))
            ticket = rules.open_ticket(customer, title=_title(rng, kind, line), kind=kind, order_line=line,
                                       priority=rng.choice(("urgent", "high", "normal", "normal", "low")),
                                       assignee_id=rng.choice(staff + [owner]).id, now=opened)
            tickets.append(ticket)
            db.session.flush()
            if status != "new":
                rules.add_message(ticket, rng.choice(INTERNAL_NOTES), public=False, author_id=ticket.assignee_id,
                                  now=opened + timedelta(hours=1))
                rules.add_message(ticket, rng.choice(PUBLIC_REPLIES), public=True, author_id=ticket.assignee_id,
                                  now=opened + timedelta(hours=2))
            if status in ("resolved", "closed") and n % 2:
                rules.add_message(ticket, rng.choice(CUSTOMER_REPLIES), public=True, from_customer=True,
                                  now=opened + timedelta(hours=5))
            if kind == "complaint":
                ticket.root_cause = rng.choice(("delivery", "service", "product_defect", "communication"))
            moved = opened + timedelta(hours=3)
            if status in ("in_progress", "waiting_customer", "resolved", "closed"):
                rules.change_status(ticket, "in_progress", moved)
            if status != "in_progress":
                survey = rules.change_status(ticket, status, moved + timedelta(hours=1))
                if survey is not None and n % 3:
                    db.session.flush()
                    _answer(rng, survey, moved + timedelta(days=1))
            if status in ("resolved", "closed"):
                ticket.resolution = "Solucionado en el taller."
            if kind == "repair" and not rules.ticket_warranty(ticket).covered:
                db.session.add(TicketCharge(ticket=ticket, kind="part", description="Pastillas de freno",
                                            quantity=Decimal("2"), unit_price=Decimal("14.50")))
                db.session.add(TicketCharge(ticket=ticket, kind="labour", description="Mano de obra taller",
                                            quantity=Decimal("0.5"), unit_price=Decimal("40")))
    # A decision by hand: a fall is not a defect, so this repair is billable although under warranty.
    dropped = next((t for t in tickets if t.kind == "repair" and rules.ticket_warranty(t).covered), None)
    if dropped is not None:
        rules.override_warranty(dropped, "billable", "Daño por caída: la garantía no lo cubre")
        db.session.add(TicketCharge(ticket=dropped, kind="part", description="Patilla de cambio",
                                    quantity=Decimal("1"), unit_price=Decimal("18")))

    # Maintenance plans: one due already (the cron job opens it), others coming up.
    for i, line in enumerate(lines[:5]):
        db.session.add(MaintenancePlan(customer=line.order.customer, order_line=line, every_months=(6, 12)[i % 2],
                                       next_due_on=today + timedelta(days=(-3, 4, 12, 25, 80)[i]),
                                       notes="Revisión general, frenos y cadena"))

    # Promises made at the sale: some kept, some late (they show in the seller's My day).
    for i, order in enumerate(db.session.scalars(select(Order).order_by(Order.id)).all()[:8]):
        promise = Promise(order=order, seller_id=order.seller_id, kind=("delivery", "installation", "training")[i % 3],
                          description=("Entrega en su domicilio", "Montar el portabultos", "Enseñar el manejo de "
                                       "la app")[i % 3], due_on=today + timedelta(days=(-4, -1, 2, 6, -10, 9, 0, 3)[i]))
        if i == 4:
            promise.done_at = now
        db.session.add(promise)

    # Surveys after deliveries, most of them answered.
    for i, order in enumerate(db.session.scalars(select(Order).where(Order.delivered_on.is_not(None))
                                                 .order_by(Order.id)).all()[:10]):
        survey = rules.survey_for_delivered_order(order)
        if i % 4:
            db.session.flush()
            _answer(rng, survey, now - timedelta(days=rng.randint(1, 200)))
    db.session.flush()
