"""Demo sale data: the bicycle shop's catalog, and quotations in every state, some with revisions."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from extensions import db
from models import Lead, PipelineStage, Product, ShopSetting
from sales.clock import shop_today
from sales.quotes import rules

CATALOG = (
    # code, name, category, price, tax, warranty months, stock, service?
    ("BIC-URB-01", "Bicicleta urbana Rueda City 7v", "Bicicletas", "549.00", "21", 24, 6, False),
    ("BIC-MTB-29", "Bicicleta de montaña Sierra 29\"", "Bicicletas", "1290.00", "21", 24, 3, False),
    ("BIC-GRV-C", "Gravel de carbono Senda", "Bicicletas", "3190.00", "21", 24, 2, False),
    ("BIC-INF-20", "Bicicleta infantil 20\"", "Bicicletas", "319.00", "21", 24, 8, False),
    ("EBK-CITY", "Bicicleta eléctrica E-City 500 Wh", "Eléctricas", "2399.00", "21", 24, 4, False),
    ("EBK-CARGO", "Bicicleta de carga eléctrica Familia", "Eléctricas", "4650.00", "21", 24, 1, False),
    ("ACC-CASCO", "Casco urbano con luz", "Accesorios", "59.90", "21", 12, 25, False),
    ("ACC-CANDADO", "Candado en U de alta seguridad", "Accesorios", "44.50", "21", 12, 30, False),
    ("ACC-LUCES", "Juego de luces USB", "Accesorios", "29.95", "21", 12, 40, False),
    ("ACC-PORTA", "Portabultos trasero", "Accesorios", "39.00", "21", 12, 12, False),
    ("SRV-MONTAJE", "Montaje y ajuste", "Servicios", "35.00", "21", None, None, True),
    ("SRV-REVISION", "Revisión anual completa", "Servicios", "65.00", "21", None, None, True),
    ("SRV-BATERIA", "Diagnóstico de batería", "Servicios", "25.00", "21", None, None, True),
)


def fill_demo_quotes(owner, rng):
    ShopSetting.put("shop_address", ShopSetting.get("shop_address") or "Calle Mayor, 12\n28013 Madrid")
    ShopSetting.put("shop_tax_id", ShopSetting.get("shop_tax_id") or "B12345678")
    ShopSetting.put("quote_terms", ShopSetting.get("quote_terms") or
                    "Precios con IVA desglosado. Entrega en tienda. Pago al recoger o por transferencia.")
    products = []
    for code, name, category, price, tax, months, stock, service in CATALOG:
        product = db.session.scalar(select(Product).where(Product.code == code)) or Product(code=code)
        product.name, product.category, product.unit_price = name, category, Decimal(price)
        product.tax_rate, product.warranty_months, product.stock_on_hand = Decimal(tax), months, stock
        product.is_service = service
        product.unit = "servicio" if service else "unidad"
        db.session.add(product)
        products.append(product)
    db.session.flush()
    bikes = [p for p in products if p.category in ("Bicicletas", "Eléctricas")]
    extras = [p for p in products if p.category in ("Accesorios", "Servicios")]
    leads = db.session.scalars(
        select(Lead).join(PipelineStage).where(PipelineStage.kind == "open", PipelineStage.position >= 30)
        .order_by(Lead.id)).all()
    today = shop_today()
    plan = ("draft", "sent", "revised", "accepted", "declined", "expired")
    for index, lead in enumerate(leads[:12]):
        state = plan[index % len(plan)]
        quote, revision = rules.new_quote(lead.customer, lead.seller_id or owner.id, lead=lead)
        revision.need = lead.description or "Quiere una bici fiable para el día a día."
        revision.solution = "Proponemos el modelo que mejor encaja con su uso, montado y ajustado a su talla."
        revision.benefits = "Garantía de dos años, primera revisión gratis y bici de sustitución si hay avería."
        bike = rng.choice(bikes)
        lines = [dict(product_id=bike.id, description=bike.name, quantity=Decimal(1), unit_price=bike.unit_price,
                      discount_percent=Decimal("0"), tax_rate=bike.tax_rate)]
        for extra in rng.sample(extras, 2):
            lines.append(dict(product_id=extra.id, description=extra.name, quantity=Decimal(1),
                              unit_price=extra.unit_price, discount_percent=Decimal("0"), tax_rate=extra.tax_rate))
        rules.set_lines(revision, lines)
        db.session.flush()
        if state == "draft":
            continue
        if state == "expired":
            revision.valid_until = today - timedelta(days=3)
        rules.send(revision)
        if state == "revised":
            second = rules.revise(quote)
            lines[0]["discount_percent"] = Decimal("5")
            rules.set_lines(second, lines)
            rules.send(second)
        elif state == "accepted":
            rules.accept(revision, lead.customer.contact_person or lead.customer.name, "192.0.2.10",
                         user_id=lead.seller_id)
        elif state == "declined":
            rules.decline(revision, lead.customer.name, "Nos lo pensamos para la primavera.", "192.0.2.11")
        db.session.flush()
