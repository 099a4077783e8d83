"""Risk group of an F0 case, after the Ministry of Health home-care triage.

Age, comorbidities, vaccination and pregnancy add points; the sum picks the group:
0 low, 1–2 moderate, 3–4 high, 5+ very high. Age >= 65 alone is at least "high" (3 points).
"""

from __future__ import annotations

from domain.models.enums import RiskGroup


def risk_points(*, age: int, comorbidities: int, vaccine_doses: int, pregnant: bool) -> int:
    points = 0
    if age >= 65:
        points += 3
    elif age >= 50:
        points += 1
    points += min(comorbidities, 2)
    if vaccine_doses == 0:
        points += 2
    elif vaccine_doses == 1:
        points += 1
    if pregnant:
        points += 1
    return points


def risk_group(*, age: int, comorbidities: int, vaccine_doses: int, pregnant: bool) -> RiskGroup:
    points = risk_points(age=age, comorbidities=comorbidities, vaccine_doses=vaccine_doses,
                         pregnant=pregnant)
    if points >= 5:
        return RiskGroup.very_high
    if points >= 3:
        return RiskGroup.high
    if points >= 1:
        return RiskGroup.moderate
    return RiskGroup.low
