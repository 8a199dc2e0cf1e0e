import datetime

from ferry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AgentLoginRequest(_message.Message):
    __slots__ = ("model_uuid", "tag", "password")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    tag: str
    password: str
    def __init__(self, model_uuid: _Optional[str] = ..., tag: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class AgentLoginResponse(_message.Message):
    __slots__ = ("token", "controller_uuid", "controller_name", "addresses", "workload_seq")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_SEQ_FIELD_NUMBER: _ClassVar[int]
    token: str
    controller_uuid: str
    controller_name: str
    addresses: _containers.RepeatedScalarFieldContainer[str]
    workload_seq: int
    def __init__(self, token: _Optional[str] = ..., controller_uuid: _Optional[str] = ..., controller_name: _Optional[str] = ..., addresses: _Optional[_Iterable[str]] = ..., workload_seq: _Optional[int] = ...) -> None: ...

class ReportStatusRequest(_message.Message):
    __slots__ = ("status", "workload_status")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _resources_pb2.StatusInfo
    workload_status: _resources_pb2.StatusInfo
    def __init__(self, status: _Optional[_Union[_resources_pb2.StatusInfo, _Mapping]] = ..., workload_status: _Optional[_Union[_resources_pb2.StatusInfo, _Mapping]] = ...) -> None: ...

class ReportStatusResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchMigrationStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchMigrationStatusResponse(_message.Message):
    __slots__ = ("migration_id", "phase", "target_addresses", "target_ca_cert", "target_controller_uuid", "target_controller_name")
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    TARGET_CA_CERT_FIELD_NUMBER: _ClassVar[int]
    TARGET_CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    TARGET_CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    phase: _resources_pb2.MigrationPhase
    target_addresses: _containers.RepeatedScalarFieldContainer[str]
    target_ca_cert: str
    target_controller_uuid: str
    target_controller_name: str
    def __init__(self, migration_id: _Optional[str] = ..., phase: _Optional[_Union[_resources_pb2.MigrationPhase, str]] = ..., target_addresses: _Optional[_Iterable[str]] = ..., target_ca_cert: _Optional[str] = ..., target_controller_uuid: _Optional[str] = ..., target_controller_name: _Optional[str] = ...) -> None: ...

class ReportMigrationMinionRequest(_message.Message):
    __slots__ = ("migration_id", "phase", "success")
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    phase: _resources_pb2.MigrationPhase
    success: bool
    def __init__(self, migration_id: _Optional[str] = ..., phase: _Optional[_Union[_resources_pb2.MigrationPhase, str]] = ..., success: _Optional[bool] = ...) -> None: ...

class ReportMigrationMinionResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WorkloadReport(_message.Message):
    __slots__ = ("seq", "counter", "time")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    seq: int
    counter: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, seq: _Optional[int] = ..., counter: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReportWorkloadRequest(_message.Message):
    __slots__ = ("reports",)
    REPORTS_FIELD_NUMBER: _ClassVar[int]
    reports: _containers.RepeatedCompositeFieldContainer[WorkloadReport]
    def __init__(self, reports: _Optional[_Iterable[_Union[WorkloadReport, _Mapping]]] = ...) -> None: ...

class ReportWorkloadResponse(_message.Message):
    __slots__ = ("last_seq", "send_after_ms")
    LAST_SEQ_FIELD_NUMBER: _ClassVar[int]
    SEND_AFTER_MS_FIELD_NUMBER: _ClassVar[int]
    last_seq: int
    send_after_ms: int
    def __init__(self, last_seq: _Optional[int] = ..., send_after_ms: _Optional[int] = ...) -> None: ...

class WatchMachineUnitsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AssignedUnit(_message.Message):
    __slots__ = ("name", "tag", "life")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TAG_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    name: str
    tag: str
    life: _resources_pb2.Life
    def __init__(self, name: _Optional[str] = ..., tag: _Optional[str] = ..., life: _Optional[_Union[_resources_pb2.Life, str]] = ...) -> None: ...

class WatchMachineUnitsResponse(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[AssignedUnit]
    def __init__(self, units: _Optional[_Iterable[_Union[AssignedUnit, _Mapping]]] = ...) -> None: ...

class ProvisionUnitRequest(_message.Message):
    __slots__ = ("unit",)
    UNIT_FIELD_NUMBER: _ClassVar[int]
    unit: str
    def __init__(self, unit: _Optional[str] = ...) -> None: ...

class ProvisionUnitResponse(_message.Message):
    __slots__ = ("tag", "password")
    TAG_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    tag: str
    password: str
    def __init__(self, tag: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...
