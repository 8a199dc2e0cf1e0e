"""Helpers every Python caller of a Ferry controller needs next to the
generated ``ferry.v1`` stubs: a channel over TLS pinned to the controller's CA
with bearer-token auth, reading a MODEL_MIGRATED error as a typed redirect (and
following it), and reading the status of a model of any size.
Hand-written; not generated. Needs grpcio and grpcio-status.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence, Tuple

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from ferry.v1 import errors_pb2, model_pb2

REASON_MODEL_MIGRATED = "MODEL_MIGRATED"


def connect(
    address: str | Sequence[str],
    ca_pem: str | bytes,
    token: Optional[str] = None,
    options: Sequence[Tuple[str, object]] = (),
    timeout: float = 10.0,
) -> grpc.Channel:
    """A channel to ``address`` ("host:port") that trusts only ``ca_pem`` and,
    with a token, sends ``authorization: Bearer <token>`` on every call.

    Given several addresses (the nodes of an HA controller, from
    ``Controller.api_addresses``), they are tried in order and the first that
    connects is used, each for at most ``timeout`` seconds (see
    ``connect_any``); connect again to move on when that node goes away."""
    if not isinstance(address, str):
        return connect_any(list(address), ca_pem, token, options, timeout)
    if isinstance(ca_pem, str):
        ca_pem = ca_pem.encode()
    creds = grpc.ssl_channel_credentials(root_certificates=ca_pem)
    if token:
        creds = grpc.composite_channel_credentials(creds, grpc.access_token_call_credentials(token))
    return grpc.secure_channel(address, creds, options=list(options))


def connect_any(
    addresses: Sequence[str],
    ca_pem: str | bytes,
    token: Optional[str] = None,
    options: Sequence[Tuple[str, object]] = (),
    timeout: float = 10.0,
    name: str = "controller",
) -> grpc.Channel:
    """A channel to the first of ``addresses`` that connects (TCP and a TLS
    handshake that verifies against ``ca_pem``), each given at most
    ``timeout`` seconds, so a controller with one dead address is still
    reached. Raises ``ConnectionError`` naming every address when none
    connects."""
    if not addresses:
        raise ValueError("no addresses to connect to")
    failed = []
    for address in addresses:
        channel = connect(address, ca_pem, token, options)
        if _connects(channel, timeout):
            return channel
        channel.close()
        failed.append(address)
    raise ConnectionError(f"could not connect to {name} at any of {', '.join(failed)}")


@dataclass
class Redirect:
    """Where a migrated model lives now."""

    model: str  # "owner/name"
    model_uuid: str
    controller_name: str
    controller_uuid: str
    addresses: list = field(default_factory=list)
    ca_cert: str = ""  # PEM
    ca_fingerprint: str = ""
    migration_id: str = ""

    def connect(
        self,
        token: Optional[str] = None,
        options: Sequence[Tuple[str, object]] = (),
        timeout: float = 10.0,
    ) -> grpc.Channel:
        """A channel to the destination, pinned to the CA the redirect carries.

        The addresses are tried in order and the first that connects (TCP and a
        TLS handshake that verifies against ``ca_cert``) is used, so a
        destination with one dead address is still reached. Each gets at most
        ``timeout`` seconds. Raises ``ConnectionError`` when none connects.
        """
        if not self.addresses:
            raise ValueError("redirect has no addresses")
        return connect_any(self.addresses, self.ca_cert, token, options, timeout, self.controller_name)


_SETTLED = (
    grpc.ChannelConnectivity.READY,
    grpc.ChannelConnectivity.TRANSIENT_FAILURE,
    grpc.ChannelConnectivity.SHUTDOWN,
)


def _connects(channel: grpc.Channel, timeout: float) -> bool:
    """Whether ``channel`` becomes READY before it first fails or ``timeout``
    passes. (grpc.channel_ready_future would keep retrying a refused address
    until the timeout; one failure is enough to move on to the next.)"""
    settled = threading.Event()
    last: list[grpc.ChannelConnectivity] = []

    def watch(state: grpc.ChannelConnectivity) -> None:
        last.append(state)
        if state in _SETTLED:
            settled.set()

    channel.subscribe(watch, try_to_connect=True)
    try:
        settled.wait(timeout)
    finally:
        channel.unsubscribe(watch)
    return bool(last) and last[-1] == grpc.ChannelConnectivity.READY


def as_redirect(err: grpc.RpcError) -> Optional[Redirect]:
    """The redirect in a FAILED_PRECONDITION / MODEL_MIGRATED error, else None."""
    if not isinstance(err, grpc.Call) or err.code() != grpc.StatusCode.FAILED_PRECONDITION:
        return None
    st = rpc_status.from_call(err)
    if st is None:
        return None
    migrated = False
    found = None
    for any_detail in st.details:
        if any_detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            any_detail.Unpack(info)
            migrated = migrated or info.reason == REASON_MODEL_MIGRATED
        elif any_detail.Is(errors_pb2.ModelRedirect.DESCRIPTOR):
            found = errors_pb2.ModelRedirect()
            any_detail.Unpack(found)
    if not migrated or found is None:
        return None
    model = f"{found.model_owner}/{found.model_name}" if found.model_owner else found.model_name
    return Redirect(
        model=model,
        model_uuid=found.model_uuid,
        controller_name=found.controller_name,
        controller_uuid=found.controller_uuid,
        addresses=list(found.addresses),
        ca_cert=found.ca_cert,
        ca_fingerprint=found.ca_fingerprint,
        migration_id=found.migration_id,
    )


def merge_status_parts(parts: Iterable[model_pb2.FullStatus]) -> model_pb2.FullStatus:
    """One FullStatus from StreamStatus parts, by the rule in the proto:
    machines, applications and relations appended in order; an application
    that opens a part with the name of the one that closed the previous part
    continues it with more units."""
    out = model_pb2.FullStatus()
    first = True
    for part in parts:
        if first:
            if part.HasField("model"):
                out.model.CopyFrom(part.model)
            if part.HasField("time"):
                out.time.CopyFrom(part.time)
            first = False
        out.machines.extend(part.machines)
        for i, app in enumerate(part.applications):
            if i == 0 and out.applications and out.applications[-1].name == app.name:
                out.applications[-1].units.extend(app.units)
            else:
                out.applications.add().CopyFrom(app)
        out.relations.extend(part.relations)
    return out


def fetch_status(models, model: str, timeout: Optional[float] = None) -> model_pb2.FullStatus:
    """A model's full status through StreamStatus, which has no size limit
    (GetStatus is one message, so it stops at 4 MiB, about 30,000 units).
    ``models`` is a ``model_pb2_grpc.ModelServiceStub``."""
    stream = models.StreamStatus(model_pb2.StreamStatusRequest(model=model), timeout=timeout)
    status = merge_status_parts(res.status for res in stream)
    if not status.HasField("model"):
        raise RuntimeError("StreamStatus ended without a part")
    return status
