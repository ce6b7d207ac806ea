"""``GET /v1/deals/pipeline``: count, value and probability-weighted value per stage and
currency, summed by the database over the deals the list's filters name (one indexed
GROUP BY; money in cents, so the sums are exact and rounded once, half up, to the cent)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timeboxd.db.crm import Deal
from timeboxd.schemas.crm import (
    CLOSED_STAGES,
    STAGES,
    Amount,
    PipelineOut,
    PipelineStage,
    PipelineTotal,
)
from timeboxd.services.context import Principal
from timeboxd.services.crm.common import money, weighted
from timeboxd.services.crm.deals import DealFilter, check_range, filtered


def pipeline(session: Session, principal: Principal, f: DealFilter) -> PipelineOut:
    check_range(f)
    stmt = filtered(
        select(
            Deal.stage,
            Deal.currency,
            func.count(),
            func.sum(Deal.value_cents),
            func.sum(Deal.value_cents * Deal.probability),
        ),
        principal,
        f,
    ).group_by(Deal.stage, Deal.currency)
    sums: dict[str, dict[str, tuple[int, int, int]]] = defaultdict(dict)
    for stage, currency, count, value, weight in session.execute(stmt):
        sums[stage][currency] = (int(count), int(value or 0), int(weight or 0))
    stages = [_stage(stage, sums.get(stage, {})) for stage in STAGES]
    open_sums: dict[str, tuple[int, int, int]] = {}
    for stage in STAGES:
        if stage in CLOSED_STAGES:
            continue
        for currency, (count, value, weight) in sums.get(stage, {}).items():
            c, v, w = open_sums.get(currency, (0, 0, 0))
            open_sums[currency] = (c + count, v + value, w + weight)
    open_amounts = _amounts(open_sums)
    return PipelineOut(
        stages=stages,
        open=PipelineTotal(count=sum(a.count for a in open_amounts), amounts=open_amounts),
    )


def _amounts(by_currency: dict[str, tuple[int, int, int]]) -> list[Amount]:
    return [
        Amount(currency=currency, count=count, value=money(value), weighted_value=weighted(weight))
        for currency, (count, value, weight) in sorted(by_currency.items())
    ]


def _stage(stage: str, by_currency: dict[str, tuple[int, int, int]]) -> PipelineStage:
    amounts = _amounts(by_currency)
    return PipelineStage(stage=stage, count=sum(a.count for a in amounts), amounts=amounts)
