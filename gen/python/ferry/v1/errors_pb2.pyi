from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class ModelRedirect(_message.Message):
    __slots__ = ("model_name", "model_owner", "model_uuid", "controller_uuid", "controller_name", "addresses", "ca_cert", "ca_fingerprint", "migration_id")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_OWNER_FIELD_NUMBER: _ClassVar[int]
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_UUID_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    CA_CERT_FIELD_NUMBER: _ClassVar[int]
    CA_FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_owner: str
    model_uuid: str
    controller_uuid: str
    controller_name: str
    addresses: _containers.RepeatedScalarFieldContainer[str]
    ca_cert: str
    ca_fingerprint: str
    migration_id: str
    def __init__(self, model_name: _Optional[str] = ..., model_owner: _Optional[str] = ..., model_uuid: _Optional[str] = ..., controller_uuid: _Optional[str] = ..., controller_name: _Optional[str] = ..., addresses: _Optional[_Iterable[str]] = ..., ca_cert: _Optional[str] = ..., ca_fingerprint: _Optional[str] = ..., migration_id: _Optional[str] = ...) -> None: ...

class ModelMigrating(_message.Message):
    __slots__ = ("model_uuid", "migration_id", "phase")
    MODEL_UUID_FIELD_NUMBER: _ClassVar[int]
    MIGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    model_uuid: str
    migration_id: str
    phase: str
    def __init__(self, model_uuid: _Optional[str] = ..., migration_id: _Optional[str] = ..., phase: _Optional[str] = ...) -> None: ...
