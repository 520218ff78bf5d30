"""The demo shop's management: a purchase history with regulars, one-off and lapsed customers, this month's
goals for each seller, commission rules and a few saved segments."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from extensions import db
from models import CommissionRule, Customer, Goal, Order, OrderLine, Product, User
from sales.clock import shop_today
from sales.management import metrics, segments
from sales.management.periods import period_of

SEGMENTS = (
    ("VIP sin compras en 6 meses", {"tag": "vip", "no_purchase_for_days": 180}),
    ("Madrid, más de 1.000 €", {"city": "Madrid", "min_spent": "1000"}),
    ("Compraron bici, nunca accesorios", {"bought_category": "Bicicletas", "not_bought_category": "Accesorios"}),
)


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
            order = Order(number=f"O-{day.year}-M{n:03d}", customer=customer, seller=rng.choice(sellers),
                          ordered_on=day, delivered_on=day + timedelta(days=2))
            subtotal = Decimal("0")
            for position, product in enumerate(picked, start=1):
                order.lines.append(OrderLine(position=position, product=product, description=product.name,
                                             quantity=Decimal("1"), unit_price=product.unit_price,
                                             tax_rate=product.tax_rate, line_total=product.unit_price,
                                             warranty_months=product.warranty_months))
                subtotal += product.unit_price
            order.subtotal = subtotal
            order.tax_total = (subtotal * Decimal("0.21")).quantize(Decimal("0.01"))
            order.total = subtotal + order.tax_total
            db.session.add(order)


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
    if not db.session.scalar(select(func.count()).select_from(Goal)):
        _goals(rng, sellers, today)
    if not db.session.scalar(select(func.count()).select_from(CommissionRule)):
        db.session.add(CommissionRule(percent=Decimal("3"), threshold=Decimal("2000")))
        db.session.add(CommissionRule(category="Accesorios", percent=Decimal("8")))
    for name, filters in SEGMENTS:
        if not segments.name_taken(name):
            segments.save(name, filters)
