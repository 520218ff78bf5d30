"""/api/v1/figures: the management reports' numbers for a period, worked out by the very functions the
Performance report and the home page's pipeline use (sales/management/metrics.py over sales/figures.py), and
readable by whoever may read them there (sales/records.py's rule for a person's figures)."""
from decimal import Decimal

from flask_login import current_user

from sales.api import schemas
from sales.api.endpoint import dump, endpoint, json_response
from sales.api.problems import invalid
from sales.clock import shop_today
from sales.leads.rules import stage_totals
from sales.leads.stages import ensure_default_stages
from sales.management import metrics, periods
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


@endpoint("/v1/figures", "GET", operation_id="get_figures", summary="The report figures of a period",
          tag="Reports", action="management.view", query=schemas.FiguresQuery, response=schemas.Figures,
          description="The same numbers as Reports → Seller performance for that period and person, and the "
                      "deals open now.",
          errors=((404, "Nobody who sells has this seller_id."),))
def get_figures(query):
    period = periods.parse(query.period) if query.period else periods.period_of("month", shop_today())
    if period is None:
        raise invalid("/query/period", "Name a month (2026-11), a quarter (2026-Q4), a year, all, or a range "
                                       "(2026-01-15..2026-03-31).")
    seller = get_seller_or_404(query.seller_id) if query.seller_id else seller_from_args({})
    if seller is None:
        numbers = metrics.shop_total(period, metrics.performance(period))
    else:
        numbers = metrics.performance(period, [seller.id])[seller.id]
    count, value = open_deals(current_user, seller.id if seller else None)
    return json_response(dump(schemas.Figures.model_validate({
        "period": {"key": period.key, "first_day": period.start, "last_day": period.last_day},
        "seller_id": seller.id if seller else None, "new_leads": numbers.new_leads, "contacts": numbers.contacts,
        "won": numbers.won, "lost": numbers.lost, "win_rate": numbers.win_rate, "revenue": numbers.revenue.get(),
        "average_deal": numbers.average_deal.get() if numbers.average_deal and shop_currency() in numbers.won_in
        else None, "currency": shop_currency(),
        "revenue_by_currency": dict(numbers.revenue.items()), "cycle_days": numbers.cycle_days,
        "satisfaction_gap": numbers.gap, "surveys": numbers.gap_answers, "open_deals": count,
        "open_value": value})))
