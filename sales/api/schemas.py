"""The API's shapes, as Pydantic models: they validate what comes in, serialise what goes out, and are pasted
into the OpenAPI document as they are (JSON Schema 2020-12)."""
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from models import CUSTOMER_KINDS, LEAD_SOURCES


def text(max_length, min_length=0):
    # No NUL characters: PostgreSQL cannot store them, and no person types one.
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length,
                                            pattern=r"^[^\x00]*$")]


# Times are stored in UTC without a zone; they go out as RFC 3339 with it (2026-12-01T09:30:00Z).
Utc = Annotated[datetime, AfterValidator(lambda value: value if value.tzinfo else value.replace(tzinfo=timezone.utc))]
Id = Annotated[int, Field(ge=1, le=2_147_483_647)]
Money = Annotated[Decimal, Field(ge=0, le=10_000_000, max_digits=12, decimal_places=2)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: Optional[str] = None
    instance: Optional[str] = None
    errors: Optional[list[dict]] = Field(default=None, description="Field errors: a JSON pointer and a message.")


class ListQuery(Strict):
    cursor: Optional[text(200)] = Field(default=None, description="The `next` link's cursor, to go on reading.")
    limit: int = Field(default=25, ge=1, le=100, description="Items per page.")


# --- Customers ---------------------------------------------------------------------------------------------------

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
    tags: list[text(40, 1)] = Field(default_factory=list, max_length=30)


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
    tags: Optional[list[text(40, 1)]] = Field(default=None, max_length=30)


class Customer(Out):
    id: int
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
    tags: list[str]
    archived_at: Optional[Utc]
    email_opt_in: bool
    created_at: Utc
    updated_at: Utc
    version: int


class CustomerPage(BaseModel):
    items: list[Customer]
    next: Optional[str] = Field(description="URL of the next page; null on the last one.")


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


class LeadUpdate(Strict):
    title: Optional[text(200, 1)] = None
    source: Optional[Literal[LEAD_SOURCES]] = None
    estimated_value: Optional[Money] = None
    expected_close_date: Optional[date] = None
    seller_id: Optional[Id] = None
    description: Optional[text(5000)] = None


class StageMoveCreate(Strict):
    stage_id: Id
    lost_reason: Optional[Literal["price", "competitor", "no_budget", "no_decision", "timing", "other"]] = Field(
        default=None, description="Required when the move loses the deal (to a stage of kind lost): why it was lost.")
    reason: Optional[text(300)] = Field(
        default=None, description="Required when the move reopens a closed deal: why. When losing one: a note.")


class Lead(Out):
    id: int
    customer_id: int
    title: str
    source: str
    estimated_value: Optional[Decimal]
    expected_close_date: Optional[date]
    seller_id: Optional[int]
    stage_id: int
    stage: str
    stage_kind: Literal["open", "won", "lost"]
    priority: int
    qualification: str
    description: Optional[str]
    closed_at: Optional[Utc]
    won_amount: Optional[Decimal]
    lost_reason: Optional[str]
    created_at: Utc
    updated_at: Utc
    version: int


class LeadPage(BaseModel):
    items: list[Lead]
    next: Optional[str]


class StageMove(Out):
    id: int
    lead_id: int
    from_stage_id: Optional[int]
    to_stage_id: int
    changed_at: Utc
    changed_by_id: Optional[int]


class StageMoveList(BaseModel):
    items: list[StageMove]


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
    unit_price: Decimal
    tax_rate: Decimal
    category: Optional[str]
    active: bool
    stock_on_hand: Optional[int]
    warranty_months: Optional[int]
    version: int


class ProductPage(BaseModel):
    items: list[Product]
    next: Optional[str]
