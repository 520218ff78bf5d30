"""The demo shop's management: a purchase history with regulars, one-off and lapsed customers, this month's
goals for each seller, commission rules and a few saved segments."""
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import CommissionRule, Customer, Goal, Order, OrderLine, Product, User, utcnow
from sales.clock import shop_date, shop_today
from sales.management import metrics, segments
from sales.management.periods import period_of

SEGMENTS = (
    ("VIP sin compras en 6 meses", {"tag": "vip", "no_purchase_for_days": 180}),
    ("Madrid, más de 1.000 €", {"city": "Madrid", "min_spent": "1000"}),
    ("Compraron bici, nunca accesorios", {"bought_category": "Bicicletas", "not_bought_category": "Accesorios"}),
)


def _order(products, **fields):
    """A delivered order of one of each product, its totals with each product's own tax rate."""
    order = Order(**fields)
    for position, product in enumerate(products, start=1):
        order.lines.append(OrderLine(position=position, product=product, description=product.name,
                                     quantity=Decimal("1"), unit_price=product.unit_price, tax_rate=product.tax_rate,
                                     line_total=product.unit_price, warranty_months=product.warranty_months))
    order.subtotal = sum((product.unit_price for product in products), Decimal("0"))
    order.tax_total = sum(((product.unit_price * product.tax_rate / 100).quantize(Decimal("0.01"))
                           for product in products), Decimal("0"))
    order.total = order.subtotal + order.tax_total
    return order


def _history(rng, customers, sellers, products, today):
    """Regulars who come back every few months, one-off buyers, and some who stopped coming."""
    n = 0
    for customer in customers:
        orders = rng.choice((1, 1, 2, 3, 4, 5))
        every = rng.randint(45, 200)
        last = today - timedelta(days=rng.choice((rng.randint(5, 60), rng.randint(100, 400), rng.randint(400, 700))))
        for k in range(orders):
            n += 1
            day = last - timedelta(days=every * k + rng.randint(0, 10))
            picked = rng.sample(products, rng.randint(1, 2))
            db.session.add(_order(picked, number=f"O-{day.year}-M{n:03d}", customer=customer,
                                  seller=rng.choice(sellers), ordered_on=day, delivered_on=day + timedelta(days=2)))


HISTORY_DEALS = (
    ("Bici eléctrica para el día a día", "EBK-CITY"), ("Bici de montaña para la sierra", "BIC-MTB-29"),
    ("Gravel para salir en grupo", "BIC-GRV-C"), ("Bici infantil para el cumpleaños", "BIC-INF-20"),
    ("Urbana para ir a clase", "BIC-URB-01"), ("Bici de carga para llevar a los niños", "EBK-CARGO"),
)
LOST_REASONS = ("price", "competitor", "no_budget", "timing")


def _deal_history(rng, customers, sellers, products, now):
    """A year of closed deals, three to five a month: each was a lead of one of the seller's customers, with a
    call or a visit, and ended won (an order of that bike, on the day it was won) or lost (with its reason). So
    Performance, Funnel, Commissions and the negotiation reports have something in every month."""
    from models import ContactLog, Lead
    from sales.leads.stages import ensure_default_stages, move_to_stage, start_in_stage

    stages = ensure_default_stages()
    open_stages = [s for s in stages if s.kind == "open"]
    won = next(s for s in stages if s.kind == "won")
    lost = next(s for s in stages if s.kind == "lost")
    by_code = {p.code: p for p in products}
    extras = [p for p in products if p.category == "Accesorios"]
    n = 0
    month = period_of("month", shop_date(now))
    for _month in range(12):
        month = month.previous
        for deal in range(rng.randint(3, 5)):
            n += 1
            customer = rng.choice(customers)
            seller = customer.owner if customer.owner in sellers else rng.choice(sellers)
            title, code = rng.choice(HISTORY_DEALS)
            bike = by_code.get(code) or rng.choice(products)
            # Opened in the first half of the month and closed within it: every month has its leads and outcomes.
            created = datetime.combine(month.start + timedelta(days=rng.randint(0, 8)), time(9 + rng.randint(0, 8)))
            lead = Lead(customer=customer, title=title, source=rng.choice(("walk_in", "phone", "web_form", "referral")),
                        estimated_value=bike.unit_price, seller=seller, created_at=created, qualification="qualified")
            start_in_stage(lead, open_stages[0], user_id=seller.id, when=created)
            db.session.add(lead)
            db.session.add(ContactLog(customer=customer, lead=lead, user_id=seller.id,
                                      channel=rng.choice(("call", "visit", "email")),
                                      goal="Conocer qué bici necesita", outcome="Le enseñamos dos modelos.",
                                      happened_at=created + timedelta(days=1)))
            when = created
            for stage in open_stages[1:rng.randint(2, len(open_stages))]:
                when += timedelta(days=rng.randint(1, 3))
                move_to_stage(lead, stage, user_id=seller.id, when=when)
            closed = min(when + timedelta(days=rng.randint(1, 4)), now)
            if deal == 0 or (deal > 1 and rng.random() < 0.6):    # at least one won and one lost a month
                move_to_stage(lead, won, user_id=seller.id, when=closed)
                lead.won_amount, lead.close_reason = bike.unit_price, "Se la lleva montada y ajustada"
                picked = [bike] + rng.sample(extras, 1 if extras else 0)
                db.session.add(_order(picked, number=f"O-{closed.year}-H{n:03d}", customer=customer, lead=lead,
                                      seller=seller, ordered_on=closed.date(),
                                      delivered_on=closed.date() + timedelta(days=2)))
            else:
                move_to_stage(lead, lost, user_id=seller.id, when=closed)
                lead.lost_reason, lead.close_reason = rng.choice(LOST_REASONS), "Lo compró en otro sitio"
    db.session.flush()


def _goals(rng, sellers, today):
    """Goals a little above what each seller is on course for, so the bars sit at different heights."""
    period = period_of("month", today)
    numbers = metrics.performance(period, [s.id for s in sellers])
    share = max(period.elapsed_share(today), 0.2)
    for seller in sellers:
        mine = numbers[seller.id]
        for metric, floor, rounding in (("revenue", 3000, 500), ("deals_won", 3, 1), ("new_leads", 5, 1),
                                        ("contacts", 10, 5)):
            on_course = float(mine.value(metric)) / share * rng.uniform(0.8, 1.4)
            target = max(floor, round(on_course / rounding) * rounding)
            db.session.add(Goal(seller_id=seller.id, period=period.key, metric=metric, target=Decimal(target)))


def fill_demo_management(owner, rng):
    today = shop_today()
    sellers = db.session.scalars(select(User).where(User.role == "seller").order_by(User.id)).all() or [owner]
    products = db.session.scalars(select(Product).where(Product.active, Product.category.is_not(None))
                                  .order_by(Product.id)).all()
    customers = db.session.scalars(select(Customer).where(Customer.archived_at.is_(None))
                                   .order_by(Customer.id)).all()
    if products and customers:
        _history(rng, customers[4:34], sellers, products, today)
        _deal_history(rng, customers, sellers, products, utcnow())
    if not db.session.scalar(select(func.count()).select_from(Goal)):
        _goals(rng, sellers, today)
    if not db.session.scalar(select(func.count()).select_from(CommissionRule)):
        db.session.add(CommissionRule(percent=Decimal("3"), threshold=Decimal("2000")))
        db.session.add(CommissionRule(category="Accesorios", percent=Decimal("8")))
    for name, filters in SEGMENTS:
        if not segments.name_taken(name):
            segments.save(name, filters)
