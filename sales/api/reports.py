"""/api/v1/figures: the management reports' numbers for a period, worked out by the very functions the report
pages use — Performance and the home page's pipeline (sales/management/metrics.py over sales/figures.py), the
Funnel (sales/management/funnel.py), Wins per product (sales/management/product_wins.py) — and readable by
whoever may read them there (sales/records.py's rule for a person's figures)."""
from decimal import Decimal

from flask_login import current_user

from sales.api import schemas
from sales.api.endpoint import dump, endpoint, json_response
from sales.api.problems import invalid
from sales.clock import shop_today
from sales.leads.rules import stage_totals
from sales.leads.stages import ensure_default_stages
from sales.management import funnel as funnel_rules, metrics, periods
from sales.management.access import get_seller_or_404, seller_from_args
from sales.money import shop_currency


def open_deals(user, seller_id=None):
    """(count, estimated value) of the deals open now: the open stages of the home page's pipeline."""
    totals = stage_totals(user, seller_id)
    count, value = 0, Decimal("0")
    for stage in ensure_default_stages():
        if stage.kind == "open":
            stage_count, stage_value = totals.get(stage.id, (0, 0))
            count, value = count + stage_count, value + Decimal(str(stage_value or 0))
    return count, value.quantize(Decimal("0.01"))


def _period_and_seller(query):
    """The period and person asked for, read as the report pages read ?period= and ?seller= (without a seller:
    the whole shop for the owner, a seller's own for a seller)."""
    period = periods.parse(query.period) if query.period else periods.period_of("month", shop_today())
    if period is None:
        raise invalid("/query/period", "Name a month (2026-11), a quarter (2026-Q4), a year, all, or a range "
                                       "(2026-01-15..2026-03-31).")
    seller = get_seller_or_404(query.seller_id) if query.seller_id else seller_from_args({})
    return period, seller


def _period_out(period):
    return {"key": period.key, "first_day": period.start, "last_day": period.last_day}


SELLER_404 = ((404, "Nobody who sells has this seller_id."),)


@endpoint("/v1/figures", "GET", operation_id="get_figures", summary="The report figures of a period",
          tag="Reports", action="management.view", query=schemas.FiguresQuery, response=schemas.Figures,
          description="The same numbers as Reports → Seller performance for that period and person, and the "
                      "deals open now.",
          errors=SELLER_404)
def get_figures(query):
    period, seller = _period_and_seller(query)
    if seller is None:
        numbers = metrics.shop_total(period, metrics.performance(period))
    else:
        numbers = metrics.performance(period, [seller.id])[seller.id]
    count, value = open_deals(current_user, seller.id if seller else None)
    return json_response(dump(schemas.Figures.model_validate({
        "period": _period_out(period),
        "seller_id": seller.id if seller else None, "new_leads": numbers.new_leads, "contacts": numbers.contacts,
        "won": numbers.won, "lost": numbers.lost, "win_rate": numbers.win_rate, "revenue": numbers.revenue.get(),
        "average_deal": numbers.average_deal.get() if numbers.average_deal and shop_currency() in numbers.won_in
        else None, "currency": shop_currency(),
        "revenue_by_currency": dict(numbers.revenue.items()), "cycle_days": numbers.cycle_days,
        "satisfaction_gap": numbers.gap, "surveys": numbers.gap_answers, "open_deals": count,
        "open_value": value})))


@endpoint("/v1/figures/funnel", "GET", operation_id="get_funnel", summary="The funnel of a period", tag="Reports",
          action="management.view", query=schemas.FiguresQuery, response=schemas.FunnelFigures,
          description="The same numbers as Reports → Funnel for that period and person: how deals passed through "
                      "each open stage, the fracture and the stall.", errors=SELLER_404)
def get_funnel(query):
    period, seller = _period_and_seller(query)
    flows = funnel_rules.funnel(period, seller.id if seller else None)
    return json_response(dump(schemas.FunnelFigures.model_validate({
        "period": _period_out(period), "seller_id": seller.id if seller else None,
        "stages": [{"stage_id": f.stage.id, "stage": f.stage.name, "stage_names": f.stage.names or {},
                    "reached": f.reached, "left": f.left,
                    "moved_on": f.moved_on, "lost": f.lost, "went_back": f.went_back, "conversion": f.conversion,
                    "median_days": f.median_days, "is_fracture": f.is_fracture, "is_stall": f.is_stall}
                   for f in flows]})))


def _wins(row):
    return {"won": row.won, "lost": row.lost, "win_rate": row.win_rate, "value": row.value.get(),
            "value_by_currency": dict(row.value.items())}


@endpoint("/v1/figures/products", "GET", operation_id="get_product_wins", summary="Wins per product of a period",
          tag="Reports", action="management.view", query=schemas.FiguresQuery,
          response=schemas.ProductWinsFigures, errors=SELLER_404,
          description="The same numbers as Reports → Wins per product for that period and person.")
def get_product_wins(query):
    from sales.management.product_wins import product_wins_report

    period, seller = _period_and_seller(query)
    products, categories, total = product_wins_report(period, seller.id if seller else None)
    return json_response(dump(schemas.ProductWinsFigures.model_validate({
        "period": _period_out(period), "seller_id": seller.id if seller else None,
        "products": [{**_wins(row), "product_id": row.key, "name": row.name, "category": row.category}
                     for row in products],
        "categories": [{**_wins(row), "category": row.key} for row in categories],
        "total": _wins(total)})))
