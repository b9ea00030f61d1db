"""A telemetry server on the generated, typed ``TelemetryServer`` (``telemetry_events.py``).

Devices connect to ``/devices`` with an API key (``X-Device-Key``) and their firmware version
(``X-Firmware-Version``), and report readings one at a time (positional arguments) or in batches;
operators connect to ``/dashboard`` with a bearer token and watch readings arrive.

Run it from this directory: ``python telemetry_app.py`` (Socket.IO path ``/iot/socket.io``, port
5000).
"""

from __future__ import annotations

from typing import Any

import flask
from flask_socketio import join_room
from telemetry_events import (
    Batch,
    BatchAck,
    DevicesHeaders,
    DeviceStatus,
    ReadingAckAccepted,
    ReadingAckStored,
    ReadingSensor,
    ReadingValue,
    ReadingUnit,
    ReadingTakenAt,
    ReadingUpdate,
    Sample,
    TelemetryServer,
    Watch,
    WatchAck,
)

from asynction.types import SecurityInfo

DASHBOARD = "/dashboard"


class Telemetry(TelemetryServer):
    """Stores readings per device and forwards them to the operators watching the device."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.devices: dict[str, str] = {}
        """Socket.IO session id → device id."""
        self.firmware: dict[str, str] = {}
        self.stored: dict[str, list[Sample]] = {}
        super().__init__(*args, **kwargs)

    # -- devices ---------------------------------------------------------------------------

    def on_devices_connect(
        self, *, auth: Any, headers: DevicesHeaders, token_info: SecurityInfo | None
    ) -> bool | None:
        device = str(token_info.get("sub")) if token_info else "unknown"
        self.devices[_sid()] = device
        self.firmware[device] = headers.X_Firmware_Version
        self.emit_dashboard_device_status(DeviceStatus(device=device, online=True), to=device)
        return None

    def on_devices_disconnect(self, reason: str, /) -> None:
        device = self.devices.pop(_sid(), None)
        if device is not None:
            self.emit_dashboard_device_status(DeviceStatus(device=device, online=False), to=device)

    def on_devices_reading(
        self, sensor: ReadingSensor, value: ReadingValue, unit: ReadingUnit, taken_at: ReadingTakenAt, /
    ) -> tuple[ReadingAckAccepted, ReadingAckStored]:
        device = self.devices[_sid()]
        sample = Sample(
            device=device,
            sensor=sensor.root,
            value=value.root,
            unit=unit.root,
            takenAt=taken_at.root,
        )
        return ReadingAckAccepted(True), ReadingAckStored(self._store([sample]))

    def on_devices_batch(self, payload: Batch, /) -> BatchAck:
        device = self.devices[_sid()]
        mine = [sample for sample in payload.root if sample.device == device]
        self._store(mine)
        return BatchAck(stored=len(mine), rejected=len(payload.root) - len(mine))

    def on_devices_heartbeat(self) -> None:
        return None

    def _store(self, samples: list[Sample]) -> int:
        for sample in samples:
            stored = self.stored.setdefault(sample.device, [])
            stored.append(sample)
            update = ReadingUpdate.model_validate(sample.model_dump(mode="json"))
            self.emit_dashboard_reading_update(update, to=sample.device)
        return sum(len(samples) for samples in self.stored.values())

    # -- dashboard -------------------------------------------------------------------------

    def on_dashboard_watch(self, payload: Watch, /) -> WatchAck:
        for device in payload.devices:
            join_room(device, namespace=DASHBOARD)
        return WatchAck(watching=len(payload.devices))


def _sid() -> str:
    sid: str = flask.request.sid  # type: ignore[attr-defined]
    return sid


def create_app(**kwargs: Any) -> tuple[flask.Flask, Telemetry]:
    """The Flask app and its telemetry server (``kwargs`` go to Flask-SocketIO)."""
    app = flask.Flask(__name__)
    return app, Telemetry.create(app, server_name="local", **kwargs)


if __name__ == "__main__":
    app, socketio = create_app()
    socketio.run(app, host="127.0.0.1", port=5000)
