"""The demo shop's after-sale: bikes sold, tickets of every type and state (some overdue), maintenance plans,
promises and answered surveys."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import (TICKET_KINDS, TICKET_STATUSES, Customer, MaintenancePlan, Order, OrderLine, Product, Promise,
                    TicketCharge, User, utcnow)
from sales.clock import shop_today
from sales.support import rules

DEMO_PRODUCTS = (
    ("EBK-CITY", "Bicicleta eléctrica urbana E-City", Decimal("1890"), 24),
    ("MTB-TR29", "Bicicleta de montaña Trail 29", Decimal("1150"), 24),
    ("KID-20", "Bicicleta infantil 20\"", Decimal("289"), 12),
    ("RD-ALU", "Bicicleta de carretera Aluminio 105", Decimal("1390"), 36),
    ("CARGO-2", "Bicicleta de carga Familia", Decimal("3290"), 24),
)
TITLES = {
    "installation": ("Montar portabultos y alforjas", "Instalar cargador en el garaje"),
    "maintenance": ("Revisión de los 6 meses", "Ajuste de cambios y frenos"),
    "repair": ("El freno trasero chirría", "La batería no carga completa", "Radio roto en la rueda trasera"),
    "training": ("Explicar los modos de asistencia", "Cómo cambiar una cámara"),
    "complaint": ("Entrega con dos días de retraso", "Arañazo en el cuadro al recogerla"),
    "question": ("¿Qué presión para las ruedas?", "¿Puedo llevarla en el tren?"),
}
PUBLIC_REPLIES = ("Hola, ya estamos con ello. Le avisamos en cuanto esté lista.",
                  "Necesitamos que nos traiga la bici el martes por la mañana, ¿le va bien?")
CUSTOMER_REPLIES = ("Perfecto, el martes a las 10 la llevo.", "Gracias, quedo a la espera.")
INTERNAL_NOTES = ("Pedido el repuesto al proveedor, llega el jueves.", "Cliente habitual: tratar con cariño.")
COMMENTS = ("Muy amables y rápidos.", "Esperaba que estuviera antes, pero quedó perfecta.",
            "Me explicaron todo con mucha paciencia.", None, "Tardaron más de lo prometido.")


def _products():
    products = []
    for code, name, price, months in DEMO_PRODUCTS:
        product = db.session.scalar(select(Product).where(Product.code == code))
        if product is None:
            product = Product(code=code, name=name, unit_price=price, warranty_months=months, category="Bicicletas")
            db.session.add(product)
        products.append(product)
    return products


def _orders(rng, customers, sellers, products, today):
    """Orders sold over the last three years, so some are in warranty and some not."""
    orders = []
    for n, customer in enumerate(customers[:16], start=1):
        sold_on = today - timedelta(days=rng.randint(20, 1100))
        product = rng.choice(products)
        order = Order(number=f"O-{sold_on.year}-S{n:03d}", customer=customer, seller=rng.choice(sellers),
                      ordered_on=sold_on, delivered_on=sold_on + timedelta(days=rng.randint(1, 6)),
                      subtotal=product.unit_price, tax_total=(product.unit_price * Decimal("0.21")).quantize(
                          Decimal("0.01")), total=(product.unit_price * Decimal("1.21")).quantize(Decimal("0.01")))
        order.lines.append(OrderLine(position=1, product=product, description=product.name, quantity=Decimal("1"),
                                     unit_price=product.unit_price, tax_rate=Decimal("21"),
                                     line_total=product.unit_price, warranty_months=product.warranty_months,
                                     serial_number=f"WTU{rng.randint(100000, 999999)}"))
        db.session.add(order)
        orders.append(order)
    db.session.flush()
    return orders


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
    products = _products()
    if not db.session.scalar(select(func.count()).select_from(Order)):
        _orders(rng, customers, sellers, products, today)
    lines = db.session.scalars(select(OrderLine).join(Order).order_by(Order.ordered_on.desc(), OrderLine.id)).all()

    # Every type in every state; the open ones spread so that some are past their due time.
    n = 0
    tickets = []
    for kind in TICKET_KINDS:
        for status in TICKET_STATUSES:
            n += 1
            line = lines[n % len(lines)] if lines else None
            customer = line.order.customer if line else rng.choice(customers)
            opened = now - timedelta(hours=rng.choice((2, 20, 60, 100, 200, 400)))
            ticket = rules.open_ticket(customer, title=rng.choice(TITLES[kind]), kind=kind, order_line=line,
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
