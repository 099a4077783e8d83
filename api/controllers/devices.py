"""Device enrolment: coordinators give station tablets a sync token, move and revoke them."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, PathParameter, RequestBody

from api.paging import Paging
from api.schemas.devices import Device, DeviceCreate, DeviceEnrolled, DevicePage, DeviceUpdate
from api.schemas.stations import changes_of
from api.services import service_dependency
from domain.services.devices import DeviceService


class DeviceController(Controller):
    path = "/api/devices"
    tags = ["Devices"]
    security = [{"BearerToken": []}]
    dependencies = {"devices": service_dependency(DeviceService)}

    @get(
        "/",
        operation_id="list_devices",
        summary="Devices of the stations in the caller's scope",
        description="Commune officers and above. `active=true` leaves revoked devices out.",
    )
    async def list_devices(
        self,
        devices: NamedDependency[DeviceService],
        paging: NamedDependency[Paging],
        station_id: FromQuery[uuid.UUID | None] = None,
        active: FromQuery[bool | None] = None,
    ) -> DevicePage:
        views, total = await devices.search(
            station_id=station_id, active=active, limit=paging.limit,
            offset=paging.offset,
        )
        return paging.page([Device.of(v) for v in views], total)

    @get("/{device_id:uuid}", operation_id="get_device", summary="One device")
    async def get_device(
        self,
        devices: NamedDependency[DeviceService],
        device_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Device:
        return Device.of(await devices.get(device_id))

    @post(
        "/",
        operation_id="create_device",
        summary="Enrol a device for a station",
        description="Returns the device's sync token once; only its hash is stored.",
    )
    async def create_device(
        self,
        devices: NamedDependency[DeviceService],
        data: RequestBody[DeviceCreate],
    ) -> DeviceEnrolled:
        view, token = await devices.enroll(
            name=data.name, station_id=data.station_id
        )
        return DeviceEnrolled(device_id=view.device.id, token=token, device=Device.of(view))

    @patch(
        "/{device_id:uuid}",
        operation_id="update_device",
        summary="Rename a device or move it to another station",
    )
    async def update_device(
        self,
        devices: NamedDependency[DeviceService],
        device_id: Annotated[uuid.UUID, PathParameter()],
        data: RequestBody[DeviceUpdate],
    ) -> Device:
        view = await devices.update(device_id, changes_of(data))
        return Device.of(view)

    @post(
        "/{device_id:uuid}/revoke",
        operation_id="revoke_device",
        summary="Revoke a device: its token stops working at once",
        status_code=200,
    )
    async def revoke_device(
        self,
        devices: NamedDependency[DeviceService],
        device_id: Annotated[uuid.UUID, PathParameter()],
    ) -> Device:
        return Device.of(await devices.revoke(device_id))
