from ferry.v1 import resources_pb2 as _resources_pb2
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
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...

class ReportStatusRequest(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: _resources_pb2.StatusInfo
    def __init__(self, status: _Optional[_Union[_resources_pb2.StatusInfo, _Mapping]] = ...) -> None: ...

class ReportStatusResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchMigrationStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WatchMigrationStatusResponse(_message.Message):
    __slots__ = ("migration_id", "phase", "target_addresses", "target_ca_cert")
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    TARGET_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    TARGET_CA_CERT_FIELD_NUMBER: _ClassVar[int]
    migration_id: str
    phase: _resources_pb2.MigrationPhase
    target_addresses: _containers.RepeatedScalarFieldContainer[str]
    target_ca_cert: str
    def __init__(self, migration_id: _Optional[str] = ..., phase: _Optional[_Union[_resources_pb2.MigrationPhase, str]] = ..., target_addresses: _Optional[_Iterable[str]] = ..., target_ca_cert: _Optional[str] = ...) -> None: ...

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
