"""The dashboard (`/dashboard`): numbers from crm/services/dashboard.py drawn as SVG charts whose
bars link to the Leads (or Referrals) list behind them."""
from datetime import date
from urllib.parse import urlencode

from flask import render_template, request, url_for
from flask_login import current_user

from crm.blueprints.dashboard import bp
from crm.blueprints.dashboard.charts import Bar, Series, bar_chart
from crm.models.values import IMMEDIATE_INQUIRIES
from crm.services import dashboard, referrals

LEADS_PATH = "/contacts"  # the Leads list (docs/product.md#leads); url_for per bar would be most of the page's time


def leads_url(period: dashboard.Period, first: date | None = None, **filters) -> str:
    """The Leads list with the existing filter parameters: leads of the bar starting on `first`
    (or of the whole period) and `filters`."""
    params = [(name, value) for name, values in filters.items()
              for value in (values if isinstance(values, (list, tuple)) else [values])]
    last = period.bucket_end(first) if first else period.end
    params += [("activity_from", (first or period.start).isoformat()), ("activity_to", last.isoformat())]
    if period.office_id is not None:
        params.append(("office", str(period.office_id)))  # the broker's chosen office, as on the Leads list
    return f"{LEADS_PATH}?{urlencode(params)}"


def daily_chart(chart_id: str, title: str, what: str, period: dashboard.Period, counts: dashboard.DailyCounts,
                href) -> dict:
    """A stacked bar per day (or week), a segment per key; `href(key, first day)` is where it leads."""
    def day_label(day: date) -> str:
        return day.strftime("%b %d") if period.unit == "day" else day.strftime("week of %b %d")

    series = [Series(key, [Bar(counts.counts[key][day] or None,
                               f"{key}, {day_label(day)}: {counts.counts[key][day]} {what}",
                               href(key, day) if counts.counts[key][day] else None)
                           for day in counts.days])
              for key in counts.keys]
    totals = ", ".join(f"{key} {counts.total(key)}" for key in counts.keys) or "none"
    description = f"{title} from {period.start:%b %d} to {period.end:%b %d, %Y}. Totals: {totals}."
    svg = bar_chart(chart_id, title, description, [f"{day:%b %d}" for day in counts.days], series, stacked=True)
    return dict(id=chart_id, title=title, svg=svg, counts=counts, href=href, day_label=day_label,
                unit=period.unit.capitalize())


def speed_chart(period: dashboard.Period, per_owner: list[dashboard.Speed]) -> dict:
    def href(speed: dashboard.Speed) -> str:
        return leads_url(period, owner=speed.owner_id, inquiry_type=list(IMMEDIATE_INQUIRIES))

    series = [Series(name, [Bar(getattr(speed, attribute),
                                f"{speed.label}: {name.lower()} {dashboard_minutes(getattr(speed, attribute))}",
                                href(speed))
                            for speed in per_owner])
              for name, attribute in (("Median", "median"), ("90th percentile", "p90"))]
    description = "Minutes from an immediate lead to the owner's first action, per agent: " + (
        "; ".join(f"{s.label} median {dashboard_minutes(s.median)}, 90th percentile {dashboard_minutes(s.p90)}"
                  for s in per_owner) or "no leads") + "."
    svg = bar_chart("chart-speed", "Speed to lead (minutes)", description, [s.label for s in per_owner], series)
    return dict(id="chart-speed", title="Speed to lead (minutes)", svg=svg, href=href)


def dashboard_minutes(minutes: float | None) -> str:
    return "—" if minutes is None else f"{minutes:,.1f} min"


@bp.route("/dashboard")
def index():
    viewer = current_user
    period = dashboard.read_period(request.args, viewer)
    overall, per_owner = dashboard.speed_to_lead(viewer, period)
    referrals_path = url_for("referrals.index")
    charts = [
        speed_chart(period, per_owner),
        daily_chart("chart-sources", f"Leads per {period.unit} by source", "leads", period,
                    dashboard.leads_by_source(viewer, period),
                    lambda key, day: leads_url(period, day, contact_source=key)),
        daily_chart("chart-inquiries", f"Leads per {period.unit} by inquiry type", "leads", period,
                    dashboard.leads_by_inquiry_type(viewer, period),
                    lambda key, day: leads_url(period, day, inquiry_type=key)),
        daily_chart("chart-referrals", f"Referrals per {period.unit} by sub-tab", "referrals", period,
                    dashboard.referrals_by_tab(viewer, period),
                    lambda key, day: f"{referrals_path}?tab={referrals.tab_slug(key)}"),
    ]
    return render_template("dashboard/index.html", period=period, overall=overall, per_owner=per_owner,
                           charts=charts, compliance=dashboard.compliance(viewer, period),
                           offices=dashboard.offices_to_choose(viewer), minutes=dashboard_minutes)
