import datetime

from ferry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MigrationTarget(_message.Message):
    __slots__ = ("controller_uuid", "controller_name", "addresses", "ca_cert", "token")
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    controller_uuid: str
    controller_name: str
    addresses: _containers.RepeatedScalarFieldContainer[str]
    ca_cert: str
    token: str
    def __init__(self, controller_uuid: _Optional[str] = ..., controller_name: _Optional[str] = ..., addresses: _Optional[_Iterable[str]] = ..., ca_cert: _Optional[str] = ..., token: _Optional[str] = ...) -> None: ...

class MigrationProgress(_message.Message):
    __slots__ = ("entities_done", "entities_total", "bytes_done", "bytes_total", "logs_done", "agents_reported", "agents_pending", "agents_total", "agents_switched", "agents_checked")
    ENTITIES_DONE_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BYTES_DONE_FIELD_NUMBER: _ClassVar[int]
    BYTES_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LOGS_DONE_FIELD_NUMBER: _ClassVar[int]
    AGENTS_REPORTED_FIELD_NUMBER: _ClassVar[int]
    AGENTS_PENDING_FIELD_NUMBER: _ClassVar[int]
    AGENTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    AGENTS_SWITCHED_FIELD_NUMBER: _ClassVar[int]
    AGENTS_CHECKED_FIELD_NUMBER: _ClassVar[int]
    entities_done: int
    entities_total: int
    bytes_done: int
    bytes_total: int
    logs_done: int
    agents_reported: int
    agents_pending: int
    agents_total: int
    agents_switched: int
    agents_checked: bool
    def __init__(self, entities_done: _Optional[int] = ..., entities_total: _Optional[int] = ..., bytes_done: _Optional[int] = ..., bytes_total: _Optional[int] = ..., logs_done: _Optional[int] = ..., agents_reported: _Optional[int] = ..., agents_pending: _Optional[int] = ..., agents_total: _Optional[int] = ..., agents_switched: _Optional[int] = ..., agents_checked: _Optional[bool] = ...) -> None: ...

class PhaseTiming(_message.Message):
    __slots__ = ("phase", "start_time", "end_time")
    PHASE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    phase: _resources_pb2.MigrationPhase
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, phase: _Optional[_Union[_resources_pb2.MigrationPhase, str]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Migration(_message.Message):
    __slots__ = ("id", "model_uuid", "model_name", "model_owner", "attempt", "phase", "phase_change_time", "status_message", "start_time", "end_time", "target", "progress", "phase_timings", "estimated_time_remaining", "failure", "initiated_by")
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    PHASE_CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    PHASE_TIMINGS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_TIME_REMAINING_FIELD_NUMBER: _ClassVar[int]
    FAILURE_FIELD_NUMBER: _ClassVar[int]
    INITIATED_BY_FIELD_NUMBER: _ClassVar[int]
    id: str
    model_uuid: str
    model_name: str
    model_owner: str
    attempt: int
    phase: _resources_pb2.MigrationPhase
    phase_change_time: _timestamp_pb2.Timestamp
    status_message: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    target: MigrationTarget
    progress: MigrationProgress
    phase_timings: _containers.RepeatedCompositeFieldContainer[PhaseTiming]
    estimated_time_remaining: _duration_pb2.Duration
    failure: str
    initiated_by: str
    def __init__(self, id: _Optional[str] = ..., model_uuid: _Optional[str] = ..., model_name: _Optional[str] = ..., model_owner: _Optional[str] = ..., attempt: _Optional[int] = ..., phase: _Optional[_Union[_resources_pb2.MigrationPhase, str]] = ..., phase_change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., status_message: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., target: _Optional[_Union[MigrationTarget, _Mapping]] = ..., progress: _Optional[_Union[MigrationProgress, _Mapping]] = ..., phase_timings: _Optional[_Iterable[_Union[PhaseTiming, _Mapping]]] = ..., estimated_time_remaining: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., failure: _Optional[str] = ..., initiated_by: _Optional[str] = ...) -> None: ...

class PrecheckFailure(_message.Message):
    __slots__ = ("code", "subject", "message")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    code: str
    subject: str
    message: str
    def __init__(self, code: _Optional[str] = ..., subject: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class StartMigrationRequest(_message.Message):
    __slots__ = ("model", "target", "dry_run")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    model: str
    target: MigrationTarget
    dry_run: bool
    def __init__(self, model: _Optional[str] = ..., target: _Optional[_Union[MigrationTarget, _Mapping]] = ..., dry_run: _Optional[bool] = ...) -> None: ...

class StartMigrationResponse(_message.Message):
    __slots__ = ("migration", "plan", "failures")
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    migration: Migration
    plan: _containers.RepeatedScalarFieldContainer[str]
    failures: _containers.RepeatedCompositeFieldContainer[PrecheckFailure]
    def __init__(self, migration: _Optional[_Union[Migration, _Mapping]] = ..., plan: _Optional[_Iterable[str]] = ..., failures: _Optional[_Iterable[_Union[PrecheckFailure, _Mapping]]] = ...) -> None: ...

class GetMigrationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetMigrationResponse(_message.Message):
    __slots__ = ("migration",)
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    migration: Migration
    def __init__(self, migration: _Optional[_Union[Migration, _Mapping]] = ...) -> None: ...

class ListMigrationsRequest(_message.Message):
    __slots__ = ("model", "page_size", "page_token")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    model: str
    page_size: int
    page_token: str
    def __init__(self, model: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMigrationsResponse(_message.Message):
    __slots__ = ("migrations", "next_page_token")
    MIGRATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    migrations: _containers.RepeatedCompositeFieldContainer[Migration]
    next_page_token: str
    def __init__(self, migrations: _Optional[_Iterable[_Union[Migration, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchMigrationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class WatchMigrationResponse(_message.Message):
    __slots__ = ("migration",)
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    migration: Migration
    def __init__(self, migration: _Optional[_Union[Migration, _Mapping]] = ...) -> None: ...

class AbortMigrationRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class AbortMigrationResponse(_message.Message):
    __slots__ = ("migration",)
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    migration: Migration
    def __init__(self, migration: _Optional[_Union[Migration, _Mapping]] = ...) -> None: ...
