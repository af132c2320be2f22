"""The need index (救助指数): how urgent a wish is, from 0 to 100, and why.

The formula is public (docs/need-index.md) and versioned (:class:`NeedIndexFormula`); this
module is pure: it takes the facts and the weights and returns the score with each factor's
contribution, so a reviewer can see exactly why a score is what it is.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

TWO = Decimal("0.01")
MAX_SCORE = Decimal("100")

# Version 1, published with the platform. Money figures in yuan.
DEFAULT_WEIGHTS: dict[str, Any] = {
    "minimum_living_standard": "1330.00",  # Dongguan's monthly minimum living allowance per person
    "income_gap": 30,  # points when income is zero; falls linearly to 0 at the standard
    "disability": {"1": 20, "2": 15, "3": 10, "4": 5},
    "serious_illness": 15,
    "housing": {"adequate": 0, "poor": 5, "dangerous": 12, "none": 15},
    "dependant_each": 3,
    "dependants_cap": 12,
    "disaster_loss_per_1000": 1,
    "disaster_loss_cap": 10,
    "urgency": {"normal": 0, "urgent": 5, "emergency": 10},
    "aid_per_1000": 2,  # points taken off per 1,000 yuan of aid in the window
    "aid_cap": 30,
    "aid_window_days": 180,
}

# The factors in the order they are explained, with their labels.
FACTOR_LABELS = {
    "income_gap": _("Income below the minimum living standard"),
    "disability": _("Disability"),
    "serious_illness": _("Serious illness"),
    "housing": _("Housing condition"),
    "dependants": _("Dependants (elderly, children, disabled)"),
    "disaster_loss": _("Loss from disaster or accident"),
    "urgency": _("Urgency"),
    "aid_received": _("Aid received recently"),
}


@dataclass(frozen=True)
class Facts:
    """What the formula looks at: the household's hardship and the wish's urgency."""

    monthly_income_per_person: Decimal
    disability_grade: int
    serious_illness: bool
    housing: str
    dependants: int
    disaster_loss: Decimal
    urgency: str
    aid_received: Decimal  # value of aid within the window


@dataclass(frozen=True)
class Contribution:
    factor: str
    value: str  # the fact, as shown to staff
    points: Decimal

    def as_json(self) -> dict[str, str]:
        return {"factor": self.factor, "value": self.value, "points": str(self.points)}


class FormulaError(ValueError):
    """The weights do not have the shape the formula needs."""


def validate_weights(weights: dict[str, Any]) -> dict[str, Any]:
    """Check a set of weights before it is published.

    Raises:
        FormulaError: a key is missing, a number is negative, or a table is incomplete.
    """
    missing = set(DEFAULT_WEIGHTS) - set(weights)
    if missing:
        raise FormulaError(f"missing weights: {sorted(missing)}")
    for key, default in DEFAULT_WEIGHTS.items():
        value = weights[key]
        if isinstance(default, dict):
            if not isinstance(value, dict) or set(value) != set(default):
                raise FormulaError(f"{key} must have the keys {sorted(default)}")
            numbers = value.values()
        else:
            numbers = [value]
        for number in numbers:
            try:
                if Decimal(str(number)) < 0:
                    raise FormulaError(f"{key} must not be negative")
            except ArithmeticError as exc:
                raise FormulaError(f"{key} must be a number") from exc
    if Decimal(str(weights["minimum_living_standard"])) <= 0:
        raise FormulaError("minimum_living_standard must be positive")
    return weights


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def compute(facts: Facts, weights: dict[str, Any]) -> tuple[Decimal, list[Contribution]]:
    """The score (0–100, two places) and each factor's contribution, in a fixed order."""
    standard = _d(weights["minimum_living_standard"])
    gap = max(Decimal(0), Decimal(1) - facts.monthly_income_per_person / standard)
    dependants = min(
        _d(weights["dependant_each"]) * facts.dependants, _d(weights["dependants_cap"])
    )
    loss = min(
        facts.disaster_loss / 1000 * _d(weights["disaster_loss_per_1000"]),
        _d(weights["disaster_loss_cap"]),
    )
    aid = min(facts.aid_received / 1000 * _d(weights["aid_per_1000"]), _d(weights["aid_cap"]))
    parts = [
        ("income_gap", f"¥{facts.monthly_income_per_person}", gap * _d(weights["income_gap"])),
        (
            "disability",
            str(facts.disability_grade or "-"),
            _d(weights["disability"].get(str(facts.disability_grade), 0)),
        ),
        (
            "serious_illness",
            "✓" if facts.serious_illness else "-",
            _d(weights["serious_illness"]) * facts.serious_illness,
        ),
        ("housing", facts.housing, _d(weights["housing"].get(facts.housing, 0))),
        ("dependants", str(facts.dependants), dependants),
        ("disaster_loss", f"¥{facts.disaster_loss}", loss),
        ("urgency", facts.urgency, _d(weights["urgency"].get(facts.urgency, 0))),
        ("aid_received", f"¥{facts.aid_received}", -aid),
    ]
    contributions = [
        Contribution(factor, value, points.quantize(TWO, rounding=ROUND_HALF_UP))
        for factor, value, points in parts
    ]
    total = sum((c.points for c in contributions), Decimal(0))
    score = min(max(total, Decimal(0)), MAX_SCORE).quantize(TWO, rounding=ROUND_HALF_UP)
    return score, contributions
