"""Observations of a case: vital signs and symptoms, and the alerts they raise."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.alerts import Alert
from api.schemas.observations import (
    BloodPressureReading,
    Observation,
    ObservationCreate,
    ObservationPage,
    RecordedObservation,
    SymptomsReading,
)
from api.services import service_dependency
from domain.models.enums import ObservationKind
from domain.services.observations import ObservationService
from domain.settings import Settings


class ObservationController(Controller):
    path = "/api/cases/{case_id:uuid}/observations"
    tags = ["Observations"]
    security = [{"BearerToken": []}]
    dependencies = {"observations": service_dependency(ObservationService)}

    @get("/", operation_id="list_observations", summary="A case's readings, newest first")
    async def list_observations(
        self,
        observations: NamedDependency[ObservationService],
        paging: NamedDependency[Paging],
        case_id: Annotated[uuid.UUID, PathParameter()],
        kind: FromQuery[ObservationKind | None] = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
    ) -> ObservationPage:
        rows, total = await observations.search(
            case_id, kind=kind, since=since, until=until, limit=paging.limit,
            offset=paging.offset,
        )
        return paging.page([Observation.of(o) for o in rows], total)

    @post(
        "/",
        operation_id="create_observation",
        summary="Record a reading",
        description="A reading past a threshold opens the case's alert (or escalates the "
        "unresolved one) and moves a case in home monitoring to needs attention. Sending the "
        "same `id` again with the same content returns the stored reading; with other "
        "content it is refused (409, `immutable`): a recorded reading never changes.",
    )
    async def create_observation(
        self,
        observations: NamedDependency[ObservationService],
        state: State,
        case_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[ObservationCreate],
    ) -> RecordedObservation:
        settings: Settings = state.settings
        observation = await observations.record(
            observation_id=data.id or uuid.uuid4(), case_id=case_id,
            kind=ObservationKind(str(type(data).__struct_config__.tag)),
            value=None if isinstance(data, SymptomsReading) else data.value,
            value2=data.value2 if isinstance(data, BloodPressureReading) else None,
            symptoms=data.symptoms if isinstance(data, SymptomsReading) else None,
            measured_at=data.measured_at, measured_by=observations.principal.user_id,
            device_id=observations.principal.device_id, loinc=data.loinc,
            thresholds=settings.thresholds,
        )
        status, alert = await observations.case_after_reading(case_id)
        return RecordedObservation(observation=Observation.of(observation), case_status=status,
                                   alert=Alert.of(alert) if alert else None)
