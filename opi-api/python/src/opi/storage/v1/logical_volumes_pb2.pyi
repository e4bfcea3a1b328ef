from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from opi.storage.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
LOGICAL_VOLUME_CLEAR_METHOD_NONE: LogicalVolumeClearMethod
LOGICAL_VOLUME_CLEAR_METHOD_UNMAP: LogicalVolumeClearMethod
LOGICAL_VOLUME_CLEAR_METHOD_UNSPECIFIED: LogicalVolumeClearMethod
LOGICAL_VOLUME_CLEAR_METHOD_WRITE_ZEROES: LogicalVolumeClearMethod

class CreateLogicalVolumeRequest(_message.Message):
    __slots__ = ["logical_volume", "logical_volume_id", "parent"]
    LOGICAL_VOLUME_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    logical_volume: LogicalVolume
    logical_volume_id: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., logical_volume: _Optional[_Union[LogicalVolume, _Mapping]] = ..., logical_volume_id: _Optional[str] = ...) -> None: ...

class CreateLogicalVolumeStoreRequest(_message.Message):
    __slots__ = ["logical_volume_store", "logical_volume_store_id"]
    LOGICAL_VOLUME_STORE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_VOLUME_STORE_ID_FIELD_NUMBER: _ClassVar[int]
    logical_volume_store: LogicalVolumeStore
    logical_volume_store_id: str
    def __init__(self, logical_volume_store: _Optional[_Union[LogicalVolumeStore, _Mapping]] = ..., logical_volume_store_id: _Optional[str] = ...) -> None: ...

class DeleteLogicalVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteLogicalVolumeStoreRequest(_message.Message):
    __slots__ = ["allow_missing", "force", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    force: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ..., force: bool = ...) -> None: ...

class GetLogicalVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLogicalVolumeStoreRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListLogicalVolumeStoresRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLogicalVolumeStoresResponse(_message.Message):
    __slots__ = ["logical_volume_stores", "next_page_token"]
    LOGICAL_VOLUME_STORES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    logical_volume_stores: _containers.RepeatedCompositeFieldContainer[LogicalVolumeStore]
    next_page_token: str
    def __init__(self, logical_volume_stores: _Optional[_Iterable[_Union[LogicalVolumeStore, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListLogicalVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLogicalVolumesResponse(_message.Message):
    __slots__ = ["logical_volumes", "next_page_token"]
    LOGICAL_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    logical_volumes: _containers.RepeatedCompositeFieldContainer[LogicalVolume]
    next_page_token: str
    def __init__(self, logical_volumes: _Optional[_Iterable[_Union[LogicalVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LogicalVolume(_message.Message):
    __slots__ = ["clear_method", "name", "size_mib", "status", "thin_provisioned", "uuid"]
    CLEAR_METHOD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SIZE_MIB_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    THIN_PROVISIONED_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    clear_method: LogicalVolumeClearMethod
    name: str
    size_mib: int
    status: _common_pb2.ResourceStatus
    thin_provisioned: bool
    uuid: str
    def __init__(self, name: _Optional[str] = ..., size_mib: _Optional[int] = ..., thin_provisioned: bool = ..., clear_method: _Optional[_Union[LogicalVolumeClearMethod, str]] = ..., uuid: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class LogicalVolumeStore(_message.Message):
    __slots__ = ["block_size", "clear_method", "cluster_size_bytes", "free_clusters", "name", "status", "total_clusters", "uuid", "volume"]
    BLOCK_SIZE_FIELD_NUMBER: _ClassVar[int]
    CLEAR_METHOD_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FREE_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    block_size: int
    clear_method: LogicalVolumeClearMethod
    cluster_size_bytes: int
    free_clusters: int
    name: str
    status: _common_pb2.ResourceStatus
    total_clusters: int
    uuid: str
    volume: str
    def __init__(self, name: _Optional[str] = ..., volume: _Optional[str] = ..., cluster_size_bytes: _Optional[int] = ..., clear_method: _Optional[_Union[LogicalVolumeClearMethod, str]] = ..., uuid: _Optional[str] = ..., block_size: _Optional[int] = ..., total_clusters: _Optional[int] = ..., free_clusters: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class StatsLogicalVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsLogicalVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateLogicalVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "logical_volume", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_VOLUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    logical_volume: LogicalVolume
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, logical_volume: _Optional[_Union[LogicalVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateLogicalVolumeStoreRequest(_message.Message):
    __slots__ = ["allow_missing", "logical_volume_store", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_VOLUME_STORE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    logical_volume_store: LogicalVolumeStore
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, logical_volume_store: _Optional[_Union[LogicalVolumeStore, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class LogicalVolumeClearMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
