"""The demo shop: Bicicletas Rueda Libre, a small bicycle shop. Later parts of the sales cycle add to it."""
import random
import unicodedata

from extensions import db
from models import Customer, ShopSetting, Tag, User

DEMO_STAFF = (
    ("Carmen Ortega", "owner@ruedalibre.example", "owner", "es"),
    ("Lucía Fernández", "lucia@ruedalibre.example", "seller", "es"),
    ("Marcos Ruiz", "marcos@ruedalibre.example", "seller", "es"),
    ("Sofía Navarro", "sofia@ruedalibre.example", "support", "es"),
)

FIRST_NAMES = ("Ana", "Javier", "María", "Pablo", "Elena", "Diego", "Laura", "Sergio", "Marta", "Álvaro",
               "Irene", "Raúl", "Nuria", "Hugo", "Paula", "Iván", "Clara", "Andrés", "Julia", "Óscar")
LAST_NAMES = ("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Martín", "Jiménez", "Hernández",
              "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Alonso", "Gutiérrez", "Torres", "Domínguez")
COMPANIES = (
    ("Club Ciclista Sierra Norte", "club"), ("Mensajería Pedalea S.L.", "empresa"),
    ("Hotel Los Almendros", "hotel"), ("Colegio San Gabriel", "colegio"),
    ("Rutas Verdes Turismo Activo", "empresa"), ("Ayuntamiento de Villanueva", "administración"),
    ("Triatlón Costa Azul", "club"), ("Reparto Urbano Eco S.Coop.", "empresa"),
)
CITIES = (("Madrid", "28004", "Madrid"), ("Alcobendas", "28100", "Madrid"), ("Getafe", "28901", "Madrid"),
          ("Toledo", "45001", "Toledo"), ("Segovia", "40001", "Segovia"), ("Guadalajara", "19001", "Guadalajara"))
STREETS = ("Calle Mayor", "Avenida de la Constitución", "Calle del Pez", "Paseo de la Estación",
           "Calle Real", "Plaza de España", "Calle de los Olivos", "Camino del Río")
PERSON_TAGS = ("montaña", "carretera", "urbana", "eléctrica", "infantil", "gravel", "vip", "taller")
NOTES = (
    "Prefiere que le llamen por la tarde.",
    "Viene al taller cada primavera para la revisión.",
    "Interesado en pasarse a una eléctrica el año que viene.",
    "Compra para toda la familia; dos hijos en edad de bici infantil.",
    "Sale en grupo los domingos con el club.",
    "",
)


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def create_demo_staff(password=None):
    """The owner, two sellers and a support person. Without a password they wait for a set-password link."""
    staff = []
    for name, email, role, language in DEMO_STAFF:
        user = User(name=name, email=email, role=role, language=language)
        if password:
            user.set_password(password)
        db.session.add(user)
        staff.append(user)
    db.session.commit()
    return staff


def _tags(names, cache):
    result = []
    for name in names:
        if name not in cache:
            cache[name] = db.session.query(Tag).filter_by(name=name).one_or_none() or Tag(name=name)
        result.append(cache[name])
    return result


def fill_demo_shop(owner, customers=50, seed=7):
    """Customers for the demo shop. `owner` is the shop owner; demo sellers are added if missing."""
    rng = random.Random(seed)
    ShopSetting.put("shop_name", ShopSetting.get("shop_name") or "Bicicletas Rueda Libre")
    existing = {u.email for u in db.session.query(User).all()}
    for name, email, role, language in DEMO_STAFF[1:]:
        if email not in existing:
            db.session.add(User(name=name, email=email, role=role, language=language))
    db.session.flush()
    sellers = db.session.query(User).filter_by(role="seller").order_by(User.id).all() or [owner]
    db.session.info["acting_user_id"] = owner.id
    tag_cache = {}
    for i in range(customers):
        city, postal, region = rng.choice(CITIES)
        if i < len(COMPANIES):
            company, tag = COMPANIES[i]
            contact = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            customer = Customer(kind="company", name=company, contact_person=contact,
                                tax_id=f"B{rng.randint(10000000, 99999999)}",
                                email=f"info@{company.split()[0].lower()}{i}.example",
                                phone=f"91 {rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}")
            tag_names = {tag, rng.choice(("vip", "taller", "flota"))}
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            second = rng.choice(LAST_NAMES)
            customer = Customer(kind="person", name=f"{first} {last} {second}",
                                email=_ascii(f"{first}.{last}{i}@correo.example") if rng.random() < 0.85 else None,
                                mobile=f"6{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)}")
            tag_names = set(rng.sample(PERSON_TAGS, rng.randint(0, 2)))
        customer.street = f"{rng.choice(STREETS)}, {rng.randint(1, 120)}"
        customer.city, customer.postal_code, customer.region = city, postal, region
        customer.country = "España"
        customer.notes = rng.choice(NOTES) or None
        customer.owner = rng.choice(sellers)
        customer.tags = _tags(sorted(tag_names), tag_cache)
        customer.refresh_phone_digits()
        db.session.add(customer)
    db.session.commit()
    # Each part of the sales cycle adds its own demo records, in the order a sale runs.
    for extend in demo_extensions():
        extend(owner, rng)
        db.session.commit()
    db.session.info.pop("acting_user_id", None)


def demo_extensions():
    """Functions `extend(owner, rng)` that add demo data for one blueprint, in sales-cycle order."""
    from sales.leads.demo import fill_demo_leads
    from sales.management.demo import fill_demo_management
    from sales.messaging.demo import fill_demo_messaging
    from sales.negotiation.demo import fill_demo_negotiations
    from sales.quotes.demo import fill_demo_quotes
    from sales.support.demo import fill_demo_support

    return [fill_demo_leads, fill_demo_quotes, fill_demo_negotiations, fill_demo_support, fill_demo_management,
            fill_demo_messaging]
