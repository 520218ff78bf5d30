"""The API's shapes, as Pydantic models: they validate what comes in, serialise what goes out, and are pasted
into the OpenAPI document as they are (JSON Schema 2020-12)."""
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StrictBool,
                      StringConstraints, WithJsonSchema, create_model)

from models import (CONTACT_CHANNELS, CUSTOMER_KINDS, INQUIRY_KINDS, LEAD_SOURCES, PROMISE_KINDS, TICKET_KINDS,
                    TICKET_PRIORITIES, TICKET_STATUSES)
from sales.clock import from_shop_time
from sales.texts import shown
from sales.languages import NAMES


def text(max_length, min_length=0):
    # No NUL characters: PostgreSQL cannot store them, and no person types one.
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length,
                                            pattern=r"^[^\x00]*$")]


# Times are stored in UTC without a zone; they go out as RFC 3339 with it (2026-12-01T09:30:00Z).
Utc = Annotated[datetime, AfterValidator(lambda value: value if value.tzinfo else value.replace(tzinfo=timezone.utc))]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Money = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=9, decimal_places=3)]
# Amounts go out as decimal strings ("1210.00"), never as floats: a float cannot hold every cent.
Amount = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
                                            "examples": ["1210.00"]}, mode="serialization")]


def _shop_time(value: datetime) -> datetime:
    # A time without an offset is the shop's wall clock (SHOP_TIMEZONE), as typed on the web forms.
    if not 1970 <= value.year <= 2100:
        raise ValueError("Give a time between 1970 and 2100.")
    return from_shop_time(value)


def _iso_day(value):
    # A query string is text, and Pydantic would read "0" as a day of 1970 (a timestamp): only YYYY-MM-DD is one.
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("Write the day as YYYY-MM-DD.")
    return value


QueryDay = Annotated[date, BeforeValidator(_iso_day)]
ShopTime = Annotated[datetime, AfterValidator(_shop_time), Field(
    description="RFC 3339. Without an offset (2026-12-01T09:30) it is read on the shop's clock.")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Record(Out):
    """What every stored record answers with: its id, when it was made and last changed, and its version (the
    ETag a change sends back in If-Match)."""

    id: int
    created_at: Utc
    updated_at: Utc
    version: int


def page_of(model, name=None):
    """The page of a list: `items` and the link to the next page (`CustomerPage`, `QuotePage`…)."""
    return create_model(name or f"{model.__name__}Page", items=(list[model], ...),
                        next=(Optional[str], Field(description="URL of the next page; null on the last one.")))


def list_of(model):
    """A short list that needs no pages (a lead's moves, a ticket's messages)."""
    return create_model(f"{model.__name__}List", items=(list[model], ...))


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: Optional[str] = None
    instance: Optional[str] = None
    errors: Optional[list[dict]] = Field(default=None, description="Field errors: a JSON pointer and a message.")


# --- The owner's own fields (sales/custom_fields.py) ---------------------------------------------------------------

CUSTOM_FIELDS_OUT = ("The owner's own fields (Settings → Custom fields), by key, every active one: a text or a "
                     "choice as a string, a date as YYYY-MM-DD, a number as a decimal string (\"1100.04\"), yes/no "
                     "as true/false; null when empty.")
CUSTOM_FIELDS_IN = ("The owner's own fields by key (only the keys sent change; null empties one): text, a choice "
                    "(one of the field's choices), a date YYYY-MM-DD, a number as a JSON number or a decimal "
                    "string in point notation (\"1100.04\", no thousands separator), yes/no as true/false. A "
                    "value the field cannot take is a 422 on /body/custom_fields/<key>.")
# Left to right: a string stays the text it is ("007"); only a JSON number becomes a Decimal.
CustomValue = Annotated[Optional[Union[StrictBool, Annotated[str, StringConstraints(max_length=500)], Decimal]],
                        Field(union_mode="left_to_right")]
CustomFieldsIn = Optional[Annotated[dict[Annotated[str, StringConstraints(min_length=1, max_length=40)], CustomValue],
                                    Field(max_length=100, description=CUSTOM_FIELDS_IN)]]
CustomFieldsOut = Annotated[dict[str, Optional[Union[bool, str]]], Field(description=CUSTOM_FIELDS_OUT)]


class ListQuery(Strict):
    cursor: Optional[text(200)] = Field(default=None, description="The `next` link's cursor, to go on reading.")
    limit: int = Field(default=25, ge=1, le=100, description="Items per page.")


# --- Customers ---------------------------------------------------------------------------------------------------

LANGUAGE = ("The language the shop writes to the customer in, one of the languages Mostrador speaks; null: the "
            "shop's own. A language the shop has stopped offering is kept, and they are written to in the shop's.")
CustomerLanguage = Annotated[Optional[Literal[tuple(NAMES)]], Field(description=LANGUAGE)]

class CustomerQuery(ListQuery):
    q: Optional[text(100)] = Field(default=None, description="Name, email, phone or tag contains this.")
    tag: Optional[text(40)] = None
    show: Literal["active", "archived", "all"] = "active"


class CustomerFields(Strict):
    kind: Literal[CUSTOMER_KINDS] = "person"
    contact_person: Optional[text(160)] = None
    tax_id: Optional[text(40)] = None
    email: Optional[EmailStr] = Field(default=None, max_length=254)
    phone: Optional[text(40)] = None
    mobile: Optional[text(40)] = None
    street: Optional[text(200)] = None
    postal_code: Optional[text(20)] = None
    city: Optional[text(100)] = None
    region: Optional[text(100)] = None
    country: Optional[text(100)] = None
    notes: Optional[text(5000)] = None
    owner_id: Optional[Id] = Field(default=None, description="The user who looks after the customer.")
    language: CustomerLanguage = None
    tags: list[text(40, 1)] = Field(default_factory=list, max_length=30)
    custom_fields: CustomFieldsIn = None


class CustomerCreate(CustomerFields):
    name: text(160, 1)


class CustomerUpdate(Strict):
    """Only the fields sent are changed."""

    kind: Optional[Literal[CUSTOMER_KINDS]] = None
    name: Optional[text(160, 1)] = None
    contact_person: Optional[text(160)] = None
    tax_id: Optional[text(40)] = None
    email: Optional[EmailStr] = Field(default=None, max_length=254)
    phone: Optional[text(40)] = None
    mobile: Optional[text(40)] = None
    street: Optional[text(200)] = None
    postal_code: Optional[text(20)] = None
    city: Optional[text(100)] = None
    region: Optional[text(100)] = None
    country: Optional[text(100)] = None
    notes: Optional[text(5000)] = None
    owner_id: Optional[Id] = None
    language: CustomerLanguage = None
    tags: Optional[list[text(40, 1)]] = Field(default=None, max_length=30)
    custom_fields: CustomFieldsIn = None


class Customer(Record):
    kind: str
    name: str
    contact_person: Optional[str]
    tax_id: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    mobile: Optional[str]
    street: Optional[str]
    postal_code: Optional[str]
    city: Optional[str]
    region: Optional[str]
    country: Optional[str]
    notes: Optional[str]
    owner_id: Optional[int]
    language: Annotated[Optional[str], Field(description=LANGUAGE)]
    tags: list[str]
    archived_at: Optional[Utc]
    email_opt_in: bool
    custom_fields: CustomFieldsOut


CustomerPage = page_of(Customer)


# --- Leads -------------------------------------------------------------------------------------------------------

class LeadQuery(ListQuery):
    q: Optional[text(100)] = Field(default=None, description="Title or customer name contains this.")
    stage_id: Optional[Id] = None
    seller_id: Optional[Id] = None
    source: Optional[Literal[LEAD_SOURCES]] = None
    customer_id: Optional[Id] = None
    open: Optional[bool] = Field(default=None, description="true: only open leads; false: only closed ones.")


class LeadCreate(Strict):
    customer_id: Id
    title: text(200, 1)
    source: Literal[LEAD_SOURCES] = "other"
    estimated_value: Optional[Money] = None
    expected_close_date: Optional[date] = None
    seller_id: Optional[Id] = Field(default=None, description="Sellers may only name themselves (the default).")
    description: Optional[text(5000)] = None
    custom_fields: CustomFieldsIn = None


class LeadUpdate(Strict):
    title: Optional[text(200, 1)] = None
    source: Optional[Literal[LEAD_SOURCES]] = None
    estimated_value: Optional[Money] = None
    expected_close_date: Optional[date] = None
    seller_id: Optional[Id] = None
    description: Optional[text(5000)] = None
    custom_fields: CustomFieldsIn = None


class StageMoveCreate(Strict):
    stage_id: Id
    lost_reason: Optional[Literal["price", "competitor", "no_budget", "no_decision", "timing", "other"]] = Field(
        default=None, description="Required when the move loses the deal (to a stage of kind lost): why it was lost.")
    reason: Optional[text(300)] = Field(
        default=None, description="Required when the move reopens a closed deal: why. When losing one: a note.")


class Lead(Record):
    customer_id: int
    title: str
    source: str
    estimated_value: Optional[Amount]
    expected_close_date: Optional[date]
    seller_id: Optional[int]
    stage_id: int
    stage: str = Field(description="The stage's name in the shop's language.")
    stage_names: dict[str, str] = Field(description="Its name in each language the owner gave one, by code.")
    stage_kind: Literal["open", "won", "lost"]
    priority: int
    qualification: str
    description: Optional[str]
    closed_at: Optional[Utc]
    won_amount: Optional[Amount]
    lost_reason: Optional[str]
    custom_fields: CustomFieldsOut


LeadPage = page_of(Lead)


class StageMove(Out):
    id: int
    lead_id: int
    from_stage_id: Optional[int]
    to_stage_id: int
    changed_at: Utc
    changed_by_id: Optional[int]


StageMoveList = list_of(StageMove)


# --- Catalog -----------------------------------------------------------------------------------------------------

class ProductQuery(ListQuery):
    q: Optional[text(100)] = None
    category: Optional[text(80)] = None
    active: bool = True


class Product(Out):
    id: int
    code: str
    name: str
    description: Optional[str]
    is_service: bool
    unit: str
    unit_price: Amount
    tax_rate: Amount
    category: Optional[str]
    active: bool
    stock_on_hand: Optional[int]
    warranty_months: Optional[int]
    version: int


ProductPage = page_of(Product)


# --- Contacts and inquiries ----------------------------------------------------------------------------------------

class ContactQuery(ListQuery):
    customer_id: Optional[Id] = Field(default=None, description="Only the contacts with this customer.")
    lead_id: Optional[Id] = Field(default=None, description="Only the contacts about this lead.")
    open_step: Optional[bool] = Field(default=None, description="true: only those with a next step still to do.")


class ContactCreate(Strict):
    customer_id: Id
    lead_id: Optional[Id] = Field(default=None, description="One of the customer's open leads you work.")
    channel: Literal[CONTACT_CHANNELS] = "call"
    happened_at: Optional[ShopTime] = Field(default=None, description="When it happened (default: now). "
                                            "Without an offset it is read on the shop's clock.")
    goal: text(300, 1) = Field(description="What you wanted from this contact.")
    outcome: Optional[text(5000)] = None
    next_step: Optional[text(300)] = Field(default=None, description="Needs next_step_due, and the other way round.")
    next_step_due: Optional[date] = None
    completes_step_id: Optional[Id] = Field(default=None, description="An open next step of yours (a contact's id) "
                                                                      "that this contact carries out: it is marked done.")


class Contact(Record):
    customer_id: int
    lead_id: Optional[int]
    user_id: Optional[int] = Field(description="Who had the contact.")
    channel: str
    happened_at: Utc
    goal: Annotated[Optional[str], BeforeValidator(shown)]      # a goal the app wrote, in the reader's language
    outcome: Optional[str]
    next_step: Optional[str]
    next_step_due: Optional[date]
    next_step_done_at: Optional[Utc]


ContactPage = page_of(Contact)


class InquiryQuery(ListQuery):
    show: Literal["open", "answered", "all"] = "open"
    customer_id: Optional[Id] = None
    lead_id: Optional[Id] = None


class InquiryCreate(Strict):
    customer_id: Id
    kind: Literal[INQUIRY_KINDS] = "availability"
    product_id: Optional[Id] = Field(default=None, description="An active product of the catalog it is about.")
    question: text(3000, 1)


class InquiryAnswer(Strict):
    answer: text(3000, 1)


class Inquiry(Record):
    customer_id: int
    product_id: Optional[int]
    lead_id: Optional[int]
    kind: str
    question: str
    answer: Optional[str]
    answered_at: Optional[Utc]
    answered_by_id: Optional[int]
    is_open: bool


InquiryPage = page_of(Inquiry)


# --- Money on documents: quotes and orders ---------------------------------------------------------------------

class Totals(Out):
    """A document's amounts, in its own currency (a quote keeps the currency it was written in)."""

    currency: str = Field(description="ISO 4217 code of every amount of the document.")
    subtotal: Amount
    tax_total: Amount
    total: Amount


class SoldLine(Out):
    """What a quote line and an order line share: a catalog product (or free text), how many, at what price."""

    position: int
    product_id: Optional[int]
    description: str
    quantity: Amount
    unit_price: Amount
    discount_percent: Amount
    tax_rate: Amount


# --- Quotes --------------------------------------------------------------------------------------------------------

class QuoteQuery(ListQuery):
    show: Literal["open", "accepted", "declined", "all"] = Field(
        default="open", description="By the status of the latest revision; open: a draft or sent.")
    customer_id: Optional[Id] = None
    lead_id: Optional[Id] = None


class QuoteLineIn(Strict):
    """A product of the catalog (its name, price and tax unless given), or free text with its own price."""

    product_id: Optional[Id] = None
    description: Optional[text(300)] = None
    quantity: Quantity
    unit_price: Optional[Money] = None
    discount_percent: Optional[Percent] = None
    tax_rate: Optional[Percent] = None


class QuoteFields(Strict):
    lead_id: Optional[Id] = Field(default=None, description="One of the customer's leads you work.")
    valid_until: Optional[date] = Field(default=None, description="Default: the shop's validity from today.")
    need: Optional[text(3000)] = None
    solution: Optional[text(3000)] = None
    benefits: Optional[text(3000)] = None
    terms: Optional[text(3000)] = None
    notes: Optional[text(3000)] = None


class QuoteCreate(QuoteFields):
    customer_id: Id
    inquiry_id: Optional[Id] = Field(default=None, description="The inquiry the quote answers.")
    lines: list[QuoteLineIn] = Field(min_length=1, max_length=60)


class QuoteUpdate(QuoteFields):
    """Only the fields sent change; `lines`, when sent, replace them all. On a sent quote this starts a new
    revision (the sent one stays as it was)."""

    lines: Optional[list[QuoteLineIn]] = Field(default=None, min_length=1, max_length=60)


class QuoteLine(SoldLine):
    net: Amount = Field(description="After the discount, before tax.")
    tax: Amount


class QuoteRevisionSummary(Totals):
    number: int
    status: Literal["draft", "sent", "accepted", "declined", "superseded", "expired"]
    valid_until: date
    sent_at: Optional[Utc]
    decided_at: Optional[Utc]


class QuoteRevision(QuoteRevisionSummary):
    need: Optional[str]
    solution: Optional[str]
    benefits: Optional[str]
    terms: Optional[str]
    notes: Optional[str]
    decided_by_name: Optional[str]
    decline_reason: Optional[str]
    lines: list[QuoteLine]


class QuoteSummary(Record):
    number: str
    customer_id: int
    lead_id: Optional[int]
    inquiry_id: Optional[int]
    seller_id: Optional[int]
    order_id: Optional[int]
    status: str = Field(description="The latest revision's status (expired: sent and past its validity).")
    currency: str
    total: Amount = Field(description="The latest revision's total.")


class Quote(QuoteSummary):
    revision: QuoteRevision = Field(description="The latest revision, with its lines and totals.")
    revisions: list[QuoteRevisionSummary]


QuotePage = page_of(QuoteSummary, "QuotePage")


# --- Orders --------------------------------------------------------------------------------------------------------

class OrderQuery(ListQuery):
    customer_id: Optional[Id] = None
    ordered_from: Optional[QueryDay] = Field(default=None, description="Sold on this day or later.")
    ordered_to: Optional[QueryDay] = Field(default=None, description="Sold on this day or earlier.")


class OrderLine(SoldLine):
    id: int
    line_total: Amount = Field(description="After the discount, before tax.")
    warranty_months: Optional[int]
    serial_number: Optional[str]


class Order(Record, Totals):
    number: str
    customer_id: int
    lead_id: Optional[int]
    seller_id: Optional[int]
    ordered_on: date
    delivered_on: Optional[date]
    notes: Optional[str]
    lines: list[OrderLine]


OrderPage = page_of(Order)


# --- Tickets -------------------------------------------------------------------------------------------------------

class TicketQuery(ListQuery):
    view: Literal["open", "overdue", "mine", "closed", "all"] = "open"
    kind: Optional[Literal[TICKET_KINDS]] = None
    q: Optional[text(100)] = Field(default=None, description="Number, title, serial number or customer name.")


class TicketCreate(Strict):
    customer_id: Id
    title: text(200, 1)
    kind: Literal[TICKET_KINDS] = "repair"
    priority: Literal[TICKET_PRIORITIES] = "normal"
    order_line_id: Optional[Id] = Field(default=None, description="The product sold it is about (an order line "
                                                                  "of the customer's you may see): the warranty "
                                                                  "is decided from it.")
    serial_number: Optional[text(80)] = None
    description: Optional[text(5000)] = None
    assignee_id: Optional[Id] = None


class TicketMessageCreate(Strict):
    body: text(5000, 1)
    public: bool = Field(default=False, description="true: a reply the customer sees on their link; false: an "
                                                    "internal note.")


class TicketMessage(Out):
    id: int
    ticket_id: int
    author_id: Optional[int]
    is_public: bool
    from_customer: bool
    body: str
    created_at: Utc


class Ticket(Record):
    number: str
    customer_id: int
    order_line_id: Optional[int]
    serial_number: Optional[str]
    kind: str
    priority: str
    status: Literal[TICKET_STATUSES]
    title: str
    description: Optional[str]
    assignee_id: Optional[int]
    due_at: Utc = Field(description="When the answer is due by the priority's response time.")
    resolved_at: Optional[Utc]
    closed_at: Optional[Utc]
    root_cause: Optional[str]
    resolution: Optional[str]


class TicketDetail(Ticket):
    messages: list[TicketMessage]


TicketPage = page_of(Ticket)


# --- Promises ------------------------------------------------------------------------------------------------------

class PromiseQuery(ListQuery):
    show: Literal["open", "overdue", "kept", "broken", "all"] = Field(
        default="open", description="open: not kept yet (as on Support → Promises); overdue: open and past its day.")
    customer_id: Optional[Id] = Field(default=None, description="Promises made to this customer.")
    order_id: Optional[Id] = None
    seller_id: Optional[Id] = Field(default=None, description="Whoever keeps the promise.")
    due_from: Optional[QueryDay] = Field(default=None, description="Due on this day or later.")
    due_to: Optional[QueryDay] = Field(default=None, description="Due on this day or earlier.")


class PromiseCreate(Strict):
    order_id: Id = Field(description="The sale it was promised with: an order you may change.")
    kind: Literal[PROMISE_KINDS] = "delivery"
    description: text(300, 1) = Field(description="What was promised.")
    due_on: date = Field(description="By when.")
    seller_id: Optional[Id] = Field(default=None, description="Who keeps it (default: you). Sellers only name "
                                                              "themselves; the owner anyone who sells.")


class Promise(Record):
    order_id: int
    customer_id: int
    seller_id: Optional[int] = Field(description="Who keeps it.")
    kind: Literal[PROMISE_KINDS]
    description: str
    due_on: date
    status: Literal["open", "kept", "broken"]
    overdue: bool = Field(description="Open and past its day (the shop's calendar).")
    done_at: Optional[Utc] = Field(description="When it was marked kept or broken.")


PromisePage = page_of(Promise)


# --- Report figures ------------------------------------------------------------------------------------------------

class FiguresQuery(Strict):
    period: Optional[text(40)] = Field(default=None, description="2026-11 (a month), 2026-Q4, 2026, all, or a "
                                       "range 2026-01-15..2026-03-31, on the shop's calendar. Default: this month.")
    seller_id: Optional[Id] = Field(default=None, description="One person's figures. Without it: the whole shop "
                                    "for the owner, a seller's own for a seller.")


class Period(Out):
    key: str
    first_day: date
    last_day: date


class Figures(Out):
    """The Performance report's figures (sales/figures.py defines each), and the deals open now."""

    period: Period
    seller_id: Optional[int] = Field(description="null: the whole shop.")
    new_leads: int
    contacts: int = Field(description="Contacts logged in the period (not notes written when closing a deal).")
    won: int
    lost: int
    win_rate: Optional[float] = Field(description="won / (won + lost), 0 to 1; null with nothing closed.")
    revenue: Amount = Field(description="What deals won in the period brought in, in the shop's currency (deals "
                                        "won in other currencies are in revenue_by_currency, never converted).")
    average_deal: Optional[Amount] = Field(description="revenue / the deals won in the shop's currency.")
    currency: str = Field(description="The shop's currency: what revenue, average_deal and open_value are in.")
    revenue_by_currency: dict[str, Amount] = Field(
        description="Revenue per currency (ISO 4217 code → amount): a shop that changed its currency has deals "
                    "won in both.")
    cycle_days: Optional[float] = Field(description="Average days from a won deal's creation to its closing.")
    satisfaction_gap: Optional[float]
    surveys: int
    open_deals: int = Field(description="Deals open now (not disqualified), whatever the period.")
    open_value: Amount = Field(description="Their estimated value.")


class FunnelStage(Out):
    """How deals passed through one open stage in the period (Reports → Funnel; sales/management/funnel.py)."""

    stage_id: int
    stage: str = Field(description="The stage's name in the shop's language.")
    stage_names: dict[str, str] = Field(description="Its name in each language the owner gave one, by code.")
    reached: int = Field(description="Deals that entered the stage in the period.")
    left: int = Field(description="Deals that left it in the period: moved on + lost + went back.")
    moved_on: int
    lost: int
    went_back: int
    conversion: Optional[float] = Field(description="moved_on / left, 0 to 1; null when none left.")
    median_days: Optional[float] = Field(description="Typical stay, in days, of the deals that left it.")
    is_fracture: bool = Field(description="The stage that lets the smallest share of its deals through.")
    is_stall: bool = Field(description="The stage with the longest median stay.")


class FunnelFigures(Out):
    period: Period
    seller_id: Optional[int] = Field(description="null: the whole shop.")
    stages: list[FunnelStage] = Field(description="The open stages, in pipeline order.")


class ProductWinsRow(Out):
    won: int = Field(description="Deals won that name it.")
    lost: int
    win_rate: Optional[float] = Field(description="won / (won + lost), 0 to 1; null with nothing closed.")
    value: Amount = Field(description="Its share of the won deals' value (by list price × quantity), in the shop's "
                                      "currency (deals won in other currencies are in value_by_currency).")
    value_by_currency: dict[str, Amount] = Field(
        description="That value per currency (ISO 4217 code → amount), never converted.")


class ProductWins(ProductWinsRow):
    product_id: int
    name: str
    category: Optional[str]


class CategoryWins(ProductWinsRow):
    category: Optional[str] = Field(description="null: products without a category.")


class ProductWinsFigures(Out):
    """Reports → Wins per product (sales/management/product_wins.py): deals closed in the period, per product and
    per category, most won value first. A deal with several products counts in each row, and once in `total`."""

    period: Period
    seller_id: Optional[int] = Field(description="null: the whole shop.")
    products: list[ProductWins]
    categories: list[CategoryWins]
    total: ProductWinsRow = Field(description="Every deal with a product, each counted once.")
