"""Alerts: the worklist of a station and its teams, watched by the levels above."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, QueryParameter, RequestBody

from api.paging import Paging
from api.schemas.alerts import Alert, AlertPage, AlertResolution
from api.schemas.common import CommuneCode, DistrictCode
from api.services import service_dependency
from domain.models.enums import AlertSeverity, AlertStatus
from domain.services.alerts import AlertService

AlertId = Annotated[uuid.UUID, PathParameter()]


class AlertController(Controller):
    path = "/api/alerts"
    tags = ["Alerts"]
    security = [{"BearerToken": []}]
    dependencies = {"alerts": service_dependency(AlertService)}

    @get(
        "/",
        operation_id="list_alerts",
        summary="Alerts in the caller's scope: unresolved first, emergencies first",
    )
    async def list_alerts(
        self,
        alerts: NamedDependency[AlertService],
        paging: NamedDependency[Paging],
        district: DistrictCode = None,
        commune: CommuneCode = None,
        status: FromQuery[AlertStatus | None] = None,
        unresolved: Annotated[bool, QueryParameter(description="open or acknowledged")] = False,
        severity: FromQuery[AlertSeverity | None] = None,
        station_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        team_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
        case_id: Annotated[uuid.UUID | None, QueryParameter()] = None,
    ) -> AlertPage:
        rows, total = await alerts.search(
            district=district, commune=commune, status=status,
            unresolved=unresolved, severity=severity, station_id=station_id, team_id=team_id,
            case_id=case_id, limit=paging.limit, offset=paging.offset,
        )
        return paging.page([Alert.of(a) for a in rows], total)

    @get("/{alert_id:uuid}", operation_id="get_alert", summary="One alert")
    async def get_alert(
        self, alerts: NamedDependency[AlertService],
        alert_id: AlertId,
    ) -> Alert:
        return Alert.of(await alerts.get(alert_id))

    @post(
        "/{alert_id:uuid}/acknowledge",
        operation_id="acknowledge_alert",
        summary="Take an open alert in hand",
        status_code=200,
    )
    async def acknowledge_alert(
        self, alerts: NamedDependency[AlertService],
        alert_id: AlertId,
    ) -> Alert:
        return Alert.of(await alerts.acknowledge(alert_id))

    @post(
        "/{alert_id:uuid}/resolve",
        operation_id="resolve_alert",
        summary="Close the alert's episode",
        status_code=200,
    )
    async def resolve_alert(
        self, alerts: NamedDependency[AlertService],
        alert_id: AlertId, data: RequestBody[AlertResolution | None] = None,
    ) -> Alert:
        note = data.note if data else None
        return Alert.of(await alerts.resolve(alert_id, note))
