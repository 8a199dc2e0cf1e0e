import datetime

from ferry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MigratingModelInfo(_message.Message):
    __slots__ = ("uuid", "name", "owner", "cloud", "cloud_type", "region", "agent_version", "controller_version", "controller_uuid", "users", "description_format")
    UUID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    CLOUD_FIELD_NUMBER: _ClassVar[int]
    CLOUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_VERSION_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FORMAT_FIELD_NUMBER: _ClassVar[int]
    uuid: str
    name: str
    owner: str
    cloud: str
    cloud_type: str
    region: str
    agent_version: str
    controller_version: str
    controller_uuid: str
    users: _containers.RepeatedScalarFieldContainer[str]
    description_format: int
    def __init__(self, uuid: _Optional[str] = ..., name: _Optional[str] = ..., owner: _Optional[str] = ..., cloud: _Optional[str] = ..., cloud_type: _Optional[str] = ..., region: _Optional[str] = ..., agent_version: _Optional[str] = ..., controller_version: _Optional[str] = ..., controller_uuid: _Optional[str] = ..., users: _Optional[_Iterable[str]] = ..., description_format: _Optional[int] = ...) -> None: ...

class PrechecksRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: MigratingModelInfo
    def __init__(self, model: _Optional[_Union[MigratingModelInfo, _Mapping]] = ...) -> None: ...

class PrechecksResponse(_message.Message):
    __slots__ = ("controller_uuid", "controller_version", "violations")
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_VERSION_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    controller_uuid: str
    controller_version: str
    violations: _containers.RepeatedCompositeFieldContainer[PrecheckViolation]
    def __init__(self, controller_uuid: _Optional[str] = ..., controller_version: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[PrecheckViolation, _Mapping]]] = ...) -> None: ...

class PrecheckViolation(_message.Message):
    __slots__ = ("code", "subject", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    subject: str
    message: str
    def __init__(self, code: _Optional[str] = ..., subject: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ImportHeader(_message.Message):
    __slots__ = ("model", "migration_id", "size", "sha256", "entity_count")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    ENTITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    model: MigratingModelInfo
    migration_id: str
    size: int
    sha256: str
    entity_count: int
    def __init__(self, model: _Optional[_Union[MigratingModelInfo, _Mapping]] = ..., migration_id: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ..., entity_count: _Optional[int] = ...) -> None: ...

class ImportRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: ImportHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[ImportHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class ImportResponse(_message.Message):
    __slots__ = ("entity_count", "digest")
    ENTITY_COUNT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    entity_count: int
    digest: str
    def __init__(self, entity_count: _Optional[int] = ..., digest: _Optional[str] = ...) -> None: ...

class BinaryHeader(_message.Message):
    __slots__ = ("model_uuid", "kind", "name", "size", "sha256")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    kind: str
    name: str
    size: int
    sha256: str
    def __init__(self, model_uuid: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadBinaryRequest(_message.Message):
    __slots__ = ("header", "chunk")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    header: BinaryHeader
    chunk: bytes
    def __init__(self, header: _Optional[_Union[BinaryHeader, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadBinaryResponse(_message.Message):
    __slots__ = ("size",)
    SIZE_FIELD_NUMBER: _ClassVar[int]
    size: int
    def __init__(self, size: _Optional[int] = ...) -> None: ...

class ValidateRequest(_message.Message):
    __slots__ = ("model_uuid", "entity_counts", "digest")
    class EntityCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_COUNTS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    entity_counts: _containers.ScalarMap[str, int]
    digest: str
    def __init__(self, model_uuid: _Optional[str] = ..., entity_counts: _Optional[_Mapping[str, int]] = ..., digest: _Optional[str] = ...) -> None: ...

class ValidateResponse(_message.Message):
    __slots__ = ("entity_counts", "digest", "mismatches")
    class EntityCountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    ENTITY_COUNTS_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MISMATCHES_FIELD_NUMBER: _ClassVar[int]
    entity_counts: _containers.ScalarMap[str, int]
    digest: str
    mismatches: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entity_counts: _Optional[_Mapping[str, int]] = ..., digest: _Optional[str] = ..., mismatches: _Optional[_Iterable[str]] = ...) -> None: ...

class ActivateRequest(_message.Message):
    __slots__ = ("model_uuid", "migration_id")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    migration_id: str
    def __init__(self, model_uuid: _Optional[str] = ..., migration_id: _Optional[str] = ...) -> None: ...

class ActivateResponse(_message.Message):
    __slots__ = ("activate_time",)
    ACTIVATE_TIME_FIELD_NUMBER: _ClassVar[int]
    activate_time: _timestamp_pb2.Timestamp
    def __init__(self, activate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetImportStateRequest(_message.Message):
    __slots__ = ("model_uuid",)
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    def __init__(self, model_uuid: _Optional[str] = ...) -> None: ...

class GetImportStateResponse(_message.Message):
    __slots__ = ("exists", "activated", "migration_id", "life")
    EXISTS_FIELD_NUMBER: _ClassVar[int]
    ACTIVATED_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    exists: bool
    activated: bool
    migration_id: str
    life: _resources_pb2.Life
    def __init__(self, exists: _Optional[bool] = ..., activated: _Optional[bool] = ..., migration_id: _Optional[str] = ..., life: _Optional[_Union[_resources_pb2.Life, str]] = ...) -> None: ...

class AbortRequest(_message.Message):
    __slots__ = ("model_uuid", "migration_id")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    migration_id: str
    def __init__(self, model_uuid: _Optional[str] = ..., migration_id: _Optional[str] = ...) -> None: ...

class AbortResponse(_message.Message):
    __slots__ = ("removed",)
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    removed: bool
    def __init__(self, removed: _Optional[bool] = ...) -> None: ...

class LatestLogTimeRequest(_message.Message):
    __slots__ = ("model_uuid",)
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    def __init__(self, model_uuid: _Optional[str] = ...) -> None: ...

class LatestLogTimeResponse(_message.Message):
    __slots__ = ("time", "seq")
    TIME_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    seq: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., seq: _Optional[int] = ...) -> None: ...

class TransferLogsRequest(_message.Message):
    __slots__ = ("model_uuid", "entries")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.LogEntry]
    def __init__(self, model_uuid: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[_resources_pb2.LogEntry, _Mapping]]] = ...) -> None: ...

class TransferLogsResponse(_message.Message):
    __slots__ = ("count",)
    COUNT_FIELD_NUMBER: _ClassVar[int]
    count: int
    def __init__(self, count: _Optional[int] = ...) -> None: ...

class CompleteMigrationRequest(_message.Message):
    __slots__ = ("model_uuid", "migration_id")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    migration_id: str
    def __init__(self, model_uuid: _Optional[str] = ..., migration_id: _Optional[str] = ...) -> None: ...

class CompleteMigrationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
