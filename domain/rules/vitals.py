"""Vital-sign thresholds: which readings need attention and which are an emergency.

Defaults follow the Ministry of Health home-care guidance (home care needs SpO2 >= 96% at
rest and a respiratory rate <= 20/min; SpO2 < 94% is an emergency); see VitalThresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.models.enums import AlertSeverity, ObservationKind
from domain.settings import VitalThresholds

K = ObservationKind

# LOINC codes per kind. SpO2 has two: 59408-5 by pulse oximetry (what home meters measure)
# and 2708-6 arterial saturation; both are accepted, 59408-5 is the default.
LOINC: dict[ObservationKind, str] = {
    K.spo2: "59408-5",
    K.pulse: "8867-4",
    K.temperature: "8310-5",
    K.respiratory_rate: "9279-1",
    K.blood_pressure: "85354-9",
    K.symptoms: "75325-1",
}
ACCEPTED_LOINC: dict[ObservationKind, frozenset[str]] = {
    **{k: frozenset({v}) for k, v in LOINC.items()},
    K.spo2: frozenset({"59408-5", "2708-6"}),
}
UNITS: dict[ObservationKind, str | None] = {
    K.spo2: "%", K.pulse: "/min", K.temperature: "Cel", K.respiratory_rate: "/min",
    K.blood_pressure: "mm[Hg]", K.symptoms: None,
}
# Plausible ranges: outside them a reading is a typing error, not a patient.
RANGES: dict[ObservationKind, tuple[float, float]] = {
    K.spo2: (50, 100), K.pulse: (20, 250), K.temperature: (30, 45),
    K.respiratory_rate: (4, 80), K.blood_pressure: (40, 300),
}
# The diastolic of a blood pressure (value2): within this range and below the systolic.
DIASTOLIC_RANGE: tuple[float, float] = (20, 200)
# Symptoms that are warning signs on their own (MoH: breathlessness, chest pain, confusion…).
DANGER_SYMPTOMS = frozenset({"dyspnea", "chest_pain", "confusion", "cyanosis"})


@dataclass(frozen=True, slots=True)
class Finding:
    severity: AlertSeverity
    reason: str


def assess(
    kind: ObservationKind, value: float | None, value2: float | None, symptoms: list[str],
    th: VitalThresholds,
) -> Finding | None:
    """The worst finding of one reading, or None when it is within home-care limits."""
    A, E = AlertSeverity.attention, AlertSeverity.emergency
    if kind is K.spo2 and value is not None:
        if value < th.spo2_emergency_below:
            return Finding(E, f"SpO2 {value:g}% < {th.spo2_emergency_below:g}%")
        if value < th.spo2_attention_below:
            return Finding(A, f"SpO2 {value:g}% < {th.spo2_attention_below:g}%")
    elif kind is K.respiratory_rate and value is not None:
        if value > th.respiratory_rate_emergency_above:
            return Finding(E, f"respiratory rate {value:g}/min > {th.respiratory_rate_emergency_above:g}")
        if value > th.respiratory_rate_attention_above:
            return Finding(A, f"respiratory rate {value:g}/min > {th.respiratory_rate_attention_above:g}")
    elif kind is K.pulse and value is not None:
        if value > th.pulse_attention_above:
            return Finding(A, f"pulse {value:g}/min > {th.pulse_attention_above:g}")
    elif kind is K.temperature and value is not None:
        if value > th.temperature_attention_above:
            return Finding(A, f"temperature {value:g} °C > {th.temperature_attention_above:g}")
    elif kind is K.blood_pressure and value is not None:
        if value < th.systolic_attention_below:
            return Finding(E, f"systolic pressure {value:g} < {th.systolic_attention_below:g}")
    elif kind is K.symptoms:
        danger = sorted(set(symptoms) & DANGER_SYMPTOMS)
        if danger:
            return Finding(A, "warning signs: " + ", ".join(danger))
    return None
