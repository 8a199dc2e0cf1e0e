import datetime

from ferry.v1 import resources_pb2 as _resources_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateModelRequest(_message.Message):
    __slots__ = ("name", "owner", "region", "config")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    REGION_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    name: str
    owner: str
    region: str
    config: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., owner: _Optional[str] = ..., region: _Optional[str] = ..., config: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreateModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _resources_pb2.Model
    def __init__(self, model: _Optional[_Union[_resources_pb2.Model, _Mapping]] = ...) -> None: ...

class ListModelsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "all")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    all: bool
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., all: _Optional[bool] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models", "next_page_token")
    MODELS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Model]
    next_page_token: str
    def __init__(self, models: _Optional[_Iterable[_Union[_resources_pb2.Model, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetModelRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class GetModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _resources_pb2.Model
    def __init__(self, model: _Optional[_Union[_resources_pb2.Model, _Mapping]] = ...) -> None: ...

class DeleteModelRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class DeleteModelResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddMachinesRequest(_message.Message):
    __slots__ = ("model", "count", "base")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    BASE_FIELD_NUMBER: _ClassVar[int]
    model: str
    count: int
    base: _resources_pb2.Base
    def __init__(self, model: _Optional[str] = ..., count: _Optional[int] = ..., base: _Optional[_Union[_resources_pb2.Base, _Mapping]] = ...) -> None: ...

class AddMachinesResponse(_message.Message):
    __slots__ = ("machines",)
    MACHINES_FIELD_NUMBER: _ClassVar[int]
    machines: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Machine]
    def __init__(self, machines: _Optional[_Iterable[_Union[_resources_pb2.Machine, _Mapping]]] = ...) -> None: ...

class UploadCharmMetadata(_message.Message):
    __slots__ = ("model", "size", "sha256")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    model: str
    size: int
    sha256: str
    def __init__(self, model: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class UploadCharmRequest(_message.Message):
    __slots__ = ("metadata", "chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: UploadCharmMetadata
    chunk: bytes
    def __init__(self, metadata: _Optional[_Union[UploadCharmMetadata, _Mapping]] = ..., chunk: _Optional[bytes] = ...) -> None: ...

class UploadCharmResponse(_message.Message):
    __slots__ = ("charm",)
    CHARM_FIELD_NUMBER: _ClassVar[int]
    charm: _resources_pb2.Charm
    def __init__(self, charm: _Optional[_Union[_resources_pb2.Charm, _Mapping]] = ...) -> None: ...

class ListCharmsRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class ListCharmsResponse(_message.Message):
    __slots__ = ("charms",)
    CHARMS_FIELD_NUMBER: _ClassVar[int]
    charms: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Charm]
    def __init__(self, charms: _Optional[_Iterable[_Union[_resources_pb2.Charm, _Mapping]]] = ...) -> None: ...

class DeployApplicationRequest(_message.Message):
    __slots__ = ("model", "charm", "application", "num_units", "to", "config")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    CHARM_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    NUM_UNITS_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    model: str
    charm: str
    application: str
    num_units: int
    to: str
    config: _containers.ScalarMap[str, str]
    def __init__(self, model: _Optional[str] = ..., charm: _Optional[str] = ..., application: _Optional[str] = ..., num_units: _Optional[int] = ..., to: _Optional[str] = ..., config: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeployApplicationResponse(_message.Message):
    __slots__ = ("application",)
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    application: _resources_pb2.Application
    def __init__(self, application: _Optional[_Union[_resources_pb2.Application, _Mapping]] = ...) -> None: ...

class AddUnitsRequest(_message.Message):
    __slots__ = ("model", "application", "count", "to")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    count: int
    to: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ..., count: _Optional[int] = ..., to: _Optional[str] = ...) -> None: ...

class AddUnitsResponse(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Unit]
    def __init__(self, units: _Optional[_Iterable[_Union[_resources_pb2.Unit, _Mapping]]] = ...) -> None: ...

class RemoveUnitsRequest(_message.Message):
    __slots__ = ("model", "units")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    UNITS_FIELD_NUMBER: _ClassVar[int]
    model: str
    units: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., units: _Optional[_Iterable[str]] = ...) -> None: ...

class RemoveUnitsResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RemoveApplicationRequest(_message.Message):
    __slots__ = ("model", "application")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ...) -> None: ...

class RemoveApplicationResponse(_message.Message):
    __slots__ = ("units", "relation_ids")
    UNITS_FIELD_NUMBER: _ClassVar[int]
    RELATION_IDS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedScalarFieldContainer[str]
    relation_ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, units: _Optional[_Iterable[str]] = ..., relation_ids: _Optional[_Iterable[int]] = ...) -> None: ...

class RemoveMachinesRequest(_message.Message):
    __slots__ = ("model", "machines", "force")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MACHINES_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    model: str
    machines: _containers.RepeatedScalarFieldContainer[str]
    force: bool
    def __init__(self, model: _Optional[str] = ..., machines: _Optional[_Iterable[str]] = ..., force: _Optional[bool] = ...) -> None: ...

class RemoveMachinesResponse(_message.Message):
    __slots__ = ("units",)
    UNITS_FIELD_NUMBER: _ClassVar[int]
    units: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, units: _Optional[_Iterable[str]] = ...) -> None: ...

class ExposeApplicationRequest(_message.Message):
    __slots__ = ("model", "application")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ...) -> None: ...

class ExposeApplicationResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class UnexposeApplicationRequest(_message.Message):
    __slots__ = ("model", "application")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ...) -> None: ...

class UnexposeApplicationResponse(_message.Message):
    __slots__ = ("changed",)
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    changed: bool
    def __init__(self, changed: _Optional[bool] = ...) -> None: ...

class AddRelationRequest(_message.Message):
    __slots__ = ("model", "endpoints")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    model: str
    endpoints: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., endpoints: _Optional[_Iterable[str]] = ...) -> None: ...

class AddRelationResponse(_message.Message):
    __slots__ = ("relation",)
    RELATION_FIELD_NUMBER: _ClassVar[int]
    relation: _resources_pb2.Relation
    def __init__(self, relation: _Optional[_Union[_resources_pb2.Relation, _Mapping]] = ...) -> None: ...

class RemoveRelationRequest(_message.Message):
    __slots__ = ("model", "endpoints", "relation_id")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    RELATION_ID_FIELD_NUMBER: _ClassVar[int]
    model: str
    endpoints: _containers.RepeatedScalarFieldContainer[str]
    relation_id: int
    def __init__(self, model: _Optional[str] = ..., endpoints: _Optional[_Iterable[str]] = ..., relation_id: _Optional[int] = ...) -> None: ...

class RemoveRelationResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetApplicationConfigRequest(_message.Message):
    __slots__ = ("model", "application")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ...) -> None: ...

class GetApplicationConfigResponse(_message.Message):
    __slots__ = ("config", "etag")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _resources_pb2.ConfigValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_resources_pb2.ConfigValue, _Mapping]] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: _containers.MessageMap[str, _resources_pb2.ConfigValue]
    etag: str
    def __init__(self, config: _Optional[_Mapping[str, _resources_pb2.ConfigValue]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateApplicationConfigRequest(_message.Message):
    __slots__ = ("model", "application", "set", "unset", "etag")
    class SetEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    UNSET_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    model: str
    application: str
    set: _containers.ScalarMap[str, str]
    unset: _containers.RepeatedScalarFieldContainer[str]
    etag: str
    def __init__(self, model: _Optional[str] = ..., application: _Optional[str] = ..., set: _Optional[_Mapping[str, str]] = ..., unset: _Optional[_Iterable[str]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateApplicationConfigResponse(_message.Message):
    __slots__ = ("config", "etag")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _resources_pb2.ConfigValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_resources_pb2.ConfigValue, _Mapping]] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: _containers.MessageMap[str, _resources_pb2.ConfigValue]
    etag: str
    def __init__(self, config: _Optional[_Mapping[str, _resources_pb2.ConfigValue]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetModelConfigRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class GetModelConfigResponse(_message.Message):
    __slots__ = ("config", "etag")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _resources_pb2.ConfigValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_resources_pb2.ConfigValue, _Mapping]] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: _containers.MessageMap[str, _resources_pb2.ConfigValue]
    etag: str
    def __init__(self, config: _Optional[_Mapping[str, _resources_pb2.ConfigValue]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateModelConfigRequest(_message.Message):
    __slots__ = ("model", "set", "unset", "etag")
    class SetEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SET_FIELD_NUMBER: _ClassVar[int]
    UNSET_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    model: str
    set: _containers.ScalarMap[str, str]
    unset: _containers.RepeatedScalarFieldContainer[str]
    etag: str
    def __init__(self, model: _Optional[str] = ..., set: _Optional[_Mapping[str, str]] = ..., unset: _Optional[_Iterable[str]] = ..., etag: _Optional[str] = ...) -> None: ...

class UpdateModelConfigResponse(_message.Message):
    __slots__ = ("config", "etag")
    class ConfigEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _resources_pb2.ConfigValue
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_resources_pb2.ConfigValue, _Mapping]] = ...) -> None: ...
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    config: _containers.MessageMap[str, _resources_pb2.ConfigValue]
    etag: str
    def __init__(self, config: _Optional[_Mapping[str, _resources_pb2.ConfigValue]] = ..., etag: _Optional[str] = ...) -> None: ...

class FullStatus(_message.Message):
    __slots__ = ("model", "machines", "applications", "relations", "time")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    MACHINES_FIELD_NUMBER: _ClassVar[int]
    APPLICATIONS_FIELD_NUMBER: _ClassVar[int]
    RELATIONS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    model: _resources_pb2.Model
    machines: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Machine]
    applications: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Application]
    relations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Relation]
    time: _timestamp_pb2.Timestamp
    def __init__(self, model: _Optional[_Union[_resources_pb2.Model, _Mapping]] = ..., machines: _Optional[_Iterable[_Union[_resources_pb2.Machine, _Mapping]]] = ..., applications: _Optional[_Iterable[_Union[_resources_pb2.Application, _Mapping]]] = ..., relations: _Optional[_Iterable[_Union[_resources_pb2.Relation, _Mapping]]] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: FullStatus
    def __init__(self, status: _Optional[_Union[FullStatus, _Mapping]] = ...) -> None: ...

class WatchStatusRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class WatchStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: FullStatus
    def __init__(self, status: _Optional[_Union[FullStatus, _Mapping]] = ...) -> None: ...

class StreamStatusRequest(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: str
    def __init__(self, model: _Optional[str] = ...) -> None: ...

class StreamStatusResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: FullStatus
    def __init__(self, status: _Optional[_Union[FullStatus, _Mapping]] = ...) -> None: ...

class StreamLogsRequest(_message.Message):
    __slots__ = ("model", "after_seq", "limit", "level", "follow", "include", "exclude", "include_module", "exclude_module")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQ_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    FOLLOW_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_MODULE_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_MODULE_FIELD_NUMBER: _ClassVar[int]
    model: str
    after_seq: int
    limit: int
    level: str
    follow: bool
    include: _containers.RepeatedScalarFieldContainer[str]
    exclude: _containers.RepeatedScalarFieldContainer[str]
    include_module: _containers.RepeatedScalarFieldContainer[str]
    exclude_module: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model: _Optional[str] = ..., after_seq: _Optional[int] = ..., limit: _Optional[int] = ..., level: _Optional[str] = ..., follow: _Optional[bool] = ..., include: _Optional[_Iterable[str]] = ..., exclude: _Optional[_Iterable[str]] = ..., include_module: _Optional[_Iterable[str]] = ..., exclude_module: _Optional[_Iterable[str]] = ...) -> None: ...

class StreamLogsResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[_resources_pb2.LogEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[_resources_pb2.LogEntry, _Mapping]]] = ...) -> None: ...

class GetStatusHistoryRequest(_message.Message):
    __slots__ = ("model", "entity", "kinds", "limit", "before_id")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    model: str
    entity: str
    kinds: _containers.RepeatedScalarFieldContainer[str]
    limit: int
    before_id: int
    def __init__(self, model: _Optional[str] = ..., entity: _Optional[str] = ..., kinds: _Optional[_Iterable[str]] = ..., limit: _Optional[int] = ..., before_id: _Optional[int] = ...) -> None: ...

class StatusHistoryEntry(_message.Message):
    __slots__ = ("id", "kind", "status", "seq")
    ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SEQ_FIELD_NUMBER: _ClassVar[int]
    id: int
    kind: str
    status: _resources_pb2.StatusInfo
    seq: int
    def __init__(self, id: _Optional[int] = ..., kind: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.StatusInfo, _Mapping]] = ..., seq: _Optional[int] = ...) -> None: ...

class GetStatusHistoryResponse(_message.Message):
    __slots__ = ("entity", "entries", "more")
    ENTITY_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    MORE_FIELD_NUMBER: _ClassVar[int]
    entity: str
    entries: _containers.RepeatedCompositeFieldContainer[StatusHistoryEntry]
    more: bool
    def __init__(self, entity: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[StatusHistoryEntry, _Mapping]]] = ..., more: _Optional[bool] = ...) -> None: ...
