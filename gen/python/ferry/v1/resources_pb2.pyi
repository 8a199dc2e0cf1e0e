import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Life(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LIFE_UNSPECIFIED: _ClassVar[Life]
    LIFE_ALIVE: _ClassVar[Life]
    LIFE_DYING: _ClassVar[Life]
    LIFE_DEAD: _ClassVar[Life]

class ModelAccess(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MODEL_ACCESS_UNSPECIFIED: _ClassVar[ModelAccess]
    MODEL_ACCESS_READ: _ClassVar[ModelAccess]
    MODEL_ACCESS_WRITE: _ClassVar[ModelAccess]
    MODEL_ACCESS_ADMIN: _ClassVar[ModelAccess]

class ControllerAccess(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTROLLER_ACCESS_UNSPECIFIED: _ClassVar[ControllerAccess]
    CONTROLLER_ACCESS_LOGIN: _ClassVar[ControllerAccess]
    CONTROLLER_ACCESS_ADD_MODEL: _ClassVar[ControllerAccess]
    CONTROLLER_ACCESS_SUPERUSER: _ClassVar[ControllerAccess]

class MigrationPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MIGRATION_PHASE_UNSPECIFIED: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_QUIESCE: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_IMPORT: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_PROCESSRELATIONS: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_VALIDATION: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_SUCCESS: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_LOGTRANSFER: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_REAP: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_DONE: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_ABORT: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_ABORTDONE: _ClassVar[MigrationPhase]
    MIGRATION_PHASE_REAPFAILED: _ClassVar[MigrationPhase]

class EndpointRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENDPOINT_ROLE_UNSPECIFIED: _ClassVar[EndpointRole]
    ENDPOINT_ROLE_PROVIDER: _ClassVar[EndpointRole]
    ENDPOINT_ROLE_REQUIRER: _ClassVar[EndpointRole]
    ENDPOINT_ROLE_PEER: _ClassVar[EndpointRole]
LIFE_UNSPECIFIED: Life
LIFE_ALIVE: Life
LIFE_DYING: Life
LIFE_DEAD: Life
MODEL_ACCESS_UNSPECIFIED: ModelAccess
MODEL_ACCESS_READ: ModelAccess
MODEL_ACCESS_WRITE: ModelAccess
MODEL_ACCESS_ADMIN: ModelAccess
CONTROLLER_ACCESS_UNSPECIFIED: ControllerAccess
CONTROLLER_ACCESS_LOGIN: ControllerAccess
CONTROLLER_ACCESS_ADD_MODEL: ControllerAccess
CONTROLLER_ACCESS_SUPERUSER: ControllerAccess
MIGRATION_PHASE_UNSPECIFIED: MigrationPhase
MIGRATION_PHASE_QUIESCE: MigrationPhase
MIGRATION_PHASE_IMPORT: MigrationPhase
MIGRATION_PHASE_PROCESSRELATIONS: MigrationPhase
MIGRATION_PHASE_VALIDATION: MigrationPhase
MIGRATION_PHASE_SUCCESS: MigrationPhase
MIGRATION_PHASE_LOGTRANSFER: MigrationPhase
MIGRATION_PHASE_REAP: MigrationPhase
MIGRATION_PHASE_DONE: MigrationPhase
MIGRATION_PHASE_ABORT: MigrationPhase
MIGRATION_PHASE_ABORTDONE: MigrationPhase
MIGRATION_PHASE_REAPFAILED: MigrationPhase
ENDPOINT_ROLE_UNSPECIFIED: EndpointRole
ENDPOINT_ROLE_PROVIDER: EndpointRole
ENDPOINT_ROLE_REQUIRER: EndpointRole
ENDPOINT_ROLE_PEER: EndpointRole

class StatusInfo(_message.Message):
    __slots__ = ("current", "message", "since")
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    current: str
    message: str
    since: _timestamp_pb2.Timestamp
    def __init__(self, current: _Optional[str] = ..., message: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Base(_message.Message):
    __slots__ = ("name", "channel")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    name: str
    channel: str
    def __init__(self, name: _Optional[str] = ..., channel: _Optional[str] = ...) -> None: ...

class ModelUser(_message.Message):
    __slots__ = ("user", "access", "last_connection_time")
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    LAST_CONNECTION_TIME_FIELD_NUMBER: _ClassVar[int]
    user: str
    access: ModelAccess
    last_connection_time: _timestamp_pb2.Timestamp
    def __init__(self, user: _Optional[str] = ..., access: _Optional[_Union[ModelAccess, str]] = ..., last_connection_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ModelMigrationSummary(_message.Message):
    __slots__ = ("id", "phase", "message", "start_time", "end_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    phase: MigrationPhase
    message: str
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., phase: _Optional[_Union[MigrationPhase, str]] = ..., message: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Model(_message.Message):
    __slots__ = ("name", "owner", "uuid", "type", "controller_uuid", "controller_name", "is_controller", "cloud", "region", "cloud_type", "life", "status", "agent_version", "users", "migration", "access", "create_time", "machine_count", "unit_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    CLOUD_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    CLOUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    USERS_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MACHINE_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    uuid: str
    type: str
    controller_uuid: str
    controller_name: str
    is_controller: bool
    cloud: str
    region: str
    cloud_type: str
    life: Life
    status: StatusInfo
    agent_version: str
    users: _containers.RepeatedCompositeFieldContainer[ModelUser]
    migration: ModelMigrationSummary
    access: ModelAccess
    create_time: _timestamp_pb2.Timestamp
    machine_count: int
    unit_count: int
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., uuid: _Optional[str] = ..., type: _Optional[str] = ..., controller_uuid: _Optional[str] = ..., controller_name: _Optional[str] = ..., is_controller: _Optional[bool] = ..., cloud: _Optional[str] = ..., region: _Optional[str] = ..., cloud_type: _Optional[str] = ..., life: _Optional[_Union[Life, str]] = ..., status: _Optional[_Union[StatusInfo, _Mapping]] = ..., agent_version: _Optional[str] = ..., users: _Optional[_Iterable[_Union[ModelUser, _Mapping]]] = ..., migration: _Optional[_Union[ModelMigrationSummary, _Mapping]] = ..., access: _Optional[_Union[ModelAccess, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., machine_count: _Optional[int] = ..., unit_count: _Optional[int] = ...) -> None: ...

class Machine(_message.Message):
    __slots__ = ("id", "agent_status", "instance_status", "instance_id", "dns_name", "ip_addresses", "base", "hostname", "life", "agent")
    ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_STATUS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    DNS_NAME_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    id: str
    agent_status: StatusInfo
    instance_status: StatusInfo
    instance_id: str
    dns_name: str
    ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    base: Base
    hostname: str
    life: Life
    agent: AgentConnection
    def __init__(self, id: _Optional[str] = ..., agent_status: _Optional[_Union[StatusInfo, _Mapping]] = ..., instance_status: _Optional[_Union[StatusInfo, _Mapping]] = ..., instance_id: _Optional[str] = ..., dns_name: _Optional[str] = ..., ip_addresses: _Optional[_Iterable[str]] = ..., base: _Optional[_Union[Base, _Mapping]] = ..., hostname: _Optional[str] = ..., life: _Optional[_Union[Life, str]] = ..., agent: _Optional[_Union[AgentConnection, _Mapping]] = ...) -> None: ...

class AgentConnection(_message.Message):
    __slots__ = ("connected", "controller", "address", "since", "last_seen")
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    connected: bool
    controller: str
    address: str
    since: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    def __init__(self, connected: _Optional[bool] = ..., controller: _Optional[str] = ..., address: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WorkloadInfo(_message.Message):
    __slots__ = ("seq", "counter", "time")
    SEQ_FIELD_NUMBER: _ClassVar[int]
    COUNTER_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    seq: int
    counter: int
    time: _timestamp_pb2.Timestamp
    def __init__(self, seq: _Optional[int] = ..., counter: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CharmEndpoint(_message.Message):
    __slots__ = ("name", "role", "interface", "scope", "limit")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    name: str
    role: EndpointRole
    interface: str
    scope: str
    limit: int
    def __init__(self, name: _Optional[str] = ..., role: _Optional[_Union[EndpointRole, str]] = ..., interface: _Optional[str] = ..., scope: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class CharmConfigOption(_message.Message):
    __slots__ = ("type", "default", "description")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    type: str
    default: str
    description: str
    def __init__(self, type: _Optional[str] = ..., default: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class Charm(_message.Message):
    __slots__ = ("name", "revision", "url", "summary", "endpoints", "config", "sha256", "size")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: CharmConfigOption
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[CharmConfigOption, _Mapping]] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    name: str
    revision: int
    url: str
    summary: str
    endpoints: _containers.RepeatedCompositeFieldContainer[CharmEndpoint]
    config: _containers.MessageMap[str, CharmConfigOption]
    sha256: str
    size: int
    def __init__(self, name: _Optional[str] = ..., revision: _Optional[int] = ..., url: _Optional[str] = ..., summary: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[CharmEndpoint, _Mapping]]] = ..., config: _Optional[_Mapping[str, CharmConfigOption]] = ..., sha256: _Optional[str] = ..., size: _Optional[int] = ...) -> None: ...

class Unit(_message.Message):
    __slots__ = ("name", "application", "machine", "workload_status", "agent_status", "public_address", "leader", "life", "agent", "workload")
    NAME_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_STATUS_FIELD_NUMBER: _ClassVar[int]
    AGENT_STATUS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    LEADER_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    WORKLOAD_FIELD_NUMBER: _ClassVar[int]
    name: str
    application: str
    machine: str
    workload_status: StatusInfo
    agent_status: StatusInfo
    public_address: str
    leader: bool
    life: Life
    agent: AgentConnection
    workload: WorkloadInfo
    def __init__(self, name: _Optional[str] = ..., application: _Optional[str] = ..., machine: _Optional[str] = ..., workload_status: _Optional[_Union[StatusInfo, _Mapping]] = ..., agent_status: _Optional[_Union[StatusInfo, _Mapping]] = ..., public_address: _Optional[str] = ..., leader: _Optional[bool] = ..., life: _Optional[_Union[Life, str]] = ..., agent: _Optional[_Union[AgentConnection, _Mapping]] = ..., workload: _Optional[_Union[WorkloadInfo, _Mapping]] = ...) -> None: ...

class RelationEndpoint(_message.Message):
    __slots__ = ("application", "name", "role", "interface")
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    application: str
    name: str
    role: EndpointRole
    interface: str
    def __init__(self, application: _Optional[str] = ..., name: _Optional[str] = ..., role: _Optional[_Union[EndpointRole, str]] = ..., interface: _Optional[str] = ...) -> None: ...

class Relation(_message.Message):
    __slots__ = ("id", "key", "interface", "scope", "endpoints", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    id: int
    key: str
    interface: str
    scope: str
    endpoints: _containers.RepeatedCompositeFieldContainer[RelationEndpoint]
    status: StatusInfo
    def __init__(self, id: _Optional[int] = ..., key: _Optional[str] = ..., interface: _Optional[str] = ..., scope: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[RelationEndpoint, _Mapping]]] = ..., status: _Optional[_Union[StatusInfo, _Mapping]] = ...) -> None: ...

class Application(_message.Message):
    __slots__ = ("name", "charm", "charm_rev", "charm_url", "exposed", "status", "units", "life", "base", "unit_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHARM_FIELD_NUMBER: _ClassVar[int]
    CHARM_REV_FIELD_NUMBER: _ClassVar[int]
    CHARM_URL_FIELD_NUMBER: _ClassVar[int]
    EXPOSED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    LIFE_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    UNIT_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    charm: str
    charm_rev: int
    charm_url: str
    exposed: bool
    status: StatusInfo
    units: _containers.RepeatedCompositeFieldContainer[Unit]
    life: Life
    base: Base
    unit_count: int
    def __init__(self, name: _Optional[str] = ..., charm: _Optional[str] = ..., charm_rev: _Optional[int] = ..., charm_url: _Optional[str] = ..., exposed: _Optional[bool] = ..., status: _Optional[_Union[StatusInfo, _Mapping]] = ..., units: _Optional[_Iterable[_Union[Unit, _Mapping]]] = ..., life: _Optional[_Union[Life, str]] = ..., base: _Optional[_Union[Base, _Mapping]] = ..., unit_count: _Optional[int] = ...) -> None: ...

class ConfigValue(_message.Message):
    __slots__ = ("value", "source", "type", "description")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    value: str
    source: str
    type: str
    description: str
    def __init__(self, value: _Optional[str] = ..., source: _Optional[str] = ..., type: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class LogEntry(_message.Message):
    __slots__ = ("time", "entity", "level", "module", "message", "seq")
    TIME_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MODULE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    entity: str
    level: str
    module: str
    message: str
    seq: int
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., entity: _Optional[str] = ..., level: _Optional[str] = ..., module: _Optional[str] = ..., message: _Optional[str] = ..., seq: _Optional[int] = ...) -> None: ...
