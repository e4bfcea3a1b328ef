from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
RESOURCE_STATE_ERROR: ResourceState
RESOURCE_STATE_PENDING: ResourceState
RESOURCE_STATE_READY: ResourceState
RESOURCE_STATE_UNSPECIFIED: ResourceState
SECRET_FIELD_NUMBER: _ClassVar[int]
secret: _descriptor.FieldDescriptor

class ResourceStatus(_message.Message):
    __slots__ = ["message", "state", "update_time"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    message: str
    state: ResourceState
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, state: _Optional[_Union[ResourceState, str]] = ..., message: _Optional[str] = ..., update_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ResourceState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
