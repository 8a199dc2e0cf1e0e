import datetime

from ferry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Controller(_message.Message):
    __slots__ = ("name", "uuid", "version", "cloud", "cloud_type", "region", "api_addresses", "ca_cert", "ca_fingerprint", "controller_model_uuid", "regions", "nodes", "store_engine")
    NAME_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CLOUD_FIELD_NUMBER: _ClassVar[int]
    CLOUD_TYPE_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    API_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_FIELD_NUMBER: _ClassVar[int]
    CA_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    REGIONS_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    STORE_ENGINE_FIELD_NUMBER: _ClassVar[int]
    name: str
    uuid: str
    version: str
    cloud: str
    cloud_type: str
    region: str
    api_addresses: _containers.RepeatedScalarFieldContainer[str]
    ca_cert: str
    ca_fingerprint: str
    controller_model_uuid: str
    regions: _containers.RepeatedScalarFieldContainer[str]
    nodes: _containers.RepeatedCompositeFieldContainer[ControllerNode]
    store_engine: str
    def __init__(self, name: _Optional[str] = ..., uuid: _Optional[str] = ..., version: _Optional[str] = ..., cloud: _Optional[str] = ..., cloud_type: _Optional[str] = ..., region: _Optional[str] = ..., api_addresses: _Optional[_Iterable[str]] = ..., ca_cert: _Optional[str] = ..., ca_fingerprint: _Optional[str] = ..., controller_model_uuid: _Optional[str] = ..., regions: _Optional[_Iterable[str]] = ..., nodes: _Optional[_Iterable[_Union[ControllerNode, _Mapping]]] = ..., store_engine: _Optional[str] = ...) -> None: ...

class ControllerNode(_message.Message):
    __slots__ = ("id", "api_addresses", "version", "start_time", "heartbeat_time", "live", "answering")
    ID_FIELD_NUMBER: _ClassVar[int]
    API_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    HEARTBEAT_TIME_FIELD_NUMBER: _ClassVar[int]
    LIVE_FIELD_NUMBER: _ClassVar[int]
    ANSWERING_FIELD_NUMBER: _ClassVar[int]
    id: str
    api_addresses: _containers.RepeatedScalarFieldContainer[str]
    version: str
    start_time: _timestamp_pb2.Timestamp
    heartbeat_time: _timestamp_pb2.Timestamp
    live: bool
    answering: bool
    def __init__(self, id: _Optional[str] = ..., api_addresses: _Optional[_Iterable[str]] = ..., version: _Optional[str] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., heartbeat_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., live: _Optional[bool] = ..., answering: _Optional[bool] = ...) -> None: ...

class GetControllerInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetControllerInfoResponse(_message.Message):
    __slots__ = ("controller",)
    CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    controller: Controller
    def __init__(self, controller: _Optional[_Union[Controller, _Mapping]] = ...) -> None: ...

class GetControllerLoadRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LoadRates(_message.Message):
    __slots__ = ("one_minute", "five_minutes", "fifteen_minutes")
    ONE_MINUTE_FIELD_NUMBER: _ClassVar[int]
    FIVE_MINUTES_FIELD_NUMBER: _ClassVar[int]
    FIFTEEN_MINUTES_FIELD_NUMBER: _ClassVar[int]
    one_minute: float
    five_minutes: float
    fifteen_minutes: float
    def __init__(self, one_minute: _Optional[float] = ..., five_minutes: _Optional[float] = ..., fifteen_minutes: _Optional[float] = ...) -> None: ...

class ModelLoad(_message.Message):
    __slots__ = ("model_uuid", "model_name", "model_owner", "reads", "writes", "status_reports", "watch_streams", "agents_connected", "entities", "is_controller")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_FIELD_NUMBER: _ClassVar[int]
    READS_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    STATUS_REPORTS_FIELD_NUMBER: _ClassVar[int]
    WATCH_STREAMS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    IS_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    model_name: str
    model_owner: str
    reads: LoadRates
    writes: LoadRates
    status_reports: LoadRates
    watch_streams: int
    agents_connected: int
    entities: int
    is_controller: bool
    def __init__(self, model_uuid: _Optional[str] = ..., model_name: _Optional[str] = ..., model_owner: _Optional[str] = ..., reads: _Optional[_Union[LoadRates, _Mapping]] = ..., writes: _Optional[_Union[LoadRates, _Mapping]] = ..., status_reports: _Optional[_Union[LoadRates, _Mapping]] = ..., watch_streams: _Optional[int] = ..., agents_connected: _Optional[int] = ..., entities: _Optional[int] = ..., is_controller: _Optional[bool] = ...) -> None: ...

class NodeLoad(_message.Message):
    __slots__ = ("node_id", "calls", "event_loop_lag_p99_seconds", "rss_bytes", "cpu_percent", "models", "agents_connected")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CALLS_FIELD_NUMBER: _ClassVar[int]
    EVENT_LOOP_LAG_P99_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    CPU_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    AGENTS_CONNECTED_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    calls: LoadRates
    event_loop_lag_p99_seconds: float
    rss_bytes: int
    cpu_percent: float
    models: int
    agents_connected: int
    def __init__(self, node_id: _Optional[str] = ..., calls: _Optional[_Union[LoadRates, _Mapping]] = ..., event_loop_lag_p99_seconds: _Optional[float] = ..., rss_bytes: _Optional[int] = ..., cpu_percent: _Optional[float] = ..., models: _Optional[int] = ..., agents_connected: _Optional[int] = ...) -> None: ...

class GetControllerLoadResponse(_message.Message):
    __slots__ = ("node", "models")
    NODE_FIELD_NUMBER: _ClassVar[int]
    MODELS_FIELD_NUMBER: _ClassVar[int]
    node: NodeLoad
    models: _containers.RepeatedCompositeFieldContainer[ModelLoad]
    def __init__(self, node: _Optional[_Union[NodeLoad, _Mapping]] = ..., models: _Optional[_Iterable[_Union[ModelLoad, _Mapping]]] = ...) -> None: ...

class LoginRequest(_message.Message):
    __slots__ = ("user", "password")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: str
    password: str
    def __init__(self, user: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class LoginResponse(_message.Message):
    __slots__ = ("token", "expire_time", "user")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    token: str
    expire_time: _timestamp_pb2.Timestamp
    user: User
    def __init__(self, token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class LogoutRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LogoutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class User(_message.Message):
    __slots__ = ("name", "display_name", "access", "created_by", "create_time", "last_login_time", "disabled")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_LOGIN_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    access: _resources_pb2.ControllerAccess
    created_by: str
    create_time: _timestamp_pb2.Timestamp
    last_login_time: _timestamp_pb2.Timestamp
    disabled: bool
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., access: _Optional[_Union[_resources_pb2.ControllerAccess, str]] = ..., created_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_login_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disabled: _Optional[bool] = ...) -> None: ...

class WhoAmIRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class WhoAmIResponse(_message.Message):
    __slots__ = ("user", "controller_name")
    USER_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    user: User
    controller_name: str
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., controller_name: _Optional[str] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("name", "display_name", "password", "access", "validate_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    password: str
    access: _resources_pb2.ControllerAccess
    validate_only: bool
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., password: _Optional[str] = ..., access: _Optional[_Union[_resources_pb2.ControllerAccess, str]] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users", "next_page_token")
    USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    next_page_token: str
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetUserPasswordRequest(_message.Message):
    __slots__ = ("user", "password")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    user: str
    password: str
    def __init__(self, user: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SetUserPasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GrantModelAccessRequest(_message.Message):
    __slots__ = ("user", "model", "access")
    USER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    user: str
    model: str
    access: _resources_pb2.ModelAccess
    def __init__(self, user: _Optional[str] = ..., model: _Optional[str] = ..., access: _Optional[_Union[_resources_pb2.ModelAccess, str]] = ...) -> None: ...

class GrantModelAccessResponse(_message.Message):
    __slots__ = ("access",)
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    access: _resources_pb2.ModelAccess
    def __init__(self, access: _Optional[_Union[_resources_pb2.ModelAccess, str]] = ...) -> None: ...

class RevokeModelAccessRequest(_message.Message):
    __slots__ = ("user", "model", "access")
    USER_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    user: str
    model: str
    access: _resources_pb2.ModelAccess
    def __init__(self, user: _Optional[str] = ..., model: _Optional[str] = ..., access: _Optional[_Union[_resources_pb2.ModelAccess, str]] = ...) -> None: ...

class RevokeModelAccessResponse(_message.Message):
    __slots__ = ("access",)
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    access: _resources_pb2.ModelAccess
    def __init__(self, access: _Optional[_Union[_resources_pb2.ModelAccess, str]] = ...) -> None: ...

class SetControllerAccessRequest(_message.Message):
    __slots__ = ("user", "access")
    USER_FIELD_NUMBER: _ClassVar[int]
    ACCESS_FIELD_NUMBER: _ClassVar[int]
    user: str
    access: _resources_pb2.ControllerAccess
    def __init__(self, user: _Optional[str] = ..., access: _Optional[_Union[_resources_pb2.ControllerAccess, str]] = ...) -> None: ...

class SetControllerAccessResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateMigrationTokenRequest(_message.Message):
    __slots__ = ("model_uuid", "source_controller_uuid")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    source_controller_uuid: str
    def __init__(self, model_uuid: _Optional[str] = ..., source_controller_uuid: _Optional[str] = ...) -> None: ...

class CreateMigrationTokenResponse(_message.Message):
    __slots__ = ("token", "expire_time")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    token: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateBackupRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class CreateBackupResponse(_message.Message):
    __slots__ = ("chunk", "total_size", "sha256")
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    chunk: bytes
    total_size: int
    sha256: str
    def __init__(self, chunk: _Optional[bytes] = ..., total_size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...
