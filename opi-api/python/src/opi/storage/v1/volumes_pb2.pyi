from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from opi.storage.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AioVolume(_message.Message):
    __slots__ = ["block_count", "block_size", "filename", "name", "read_only", "status", "uuid"]
    BLOCK_COUNT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_SIZE_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    block_count: int
    block_size: int
    filename: str
    name: str
    read_only: bool
    status: _common_pb2.ResourceStatus
    uuid: str
    def __init__(self, name: _Optional[str] = ..., filename: _Optional[str] = ..., block_size: _Optional[int] = ..., read_only: bool = ..., uuid: _Optional[str] = ..., block_count: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class CreateAioVolumeRequest(_message.Message):
    __slots__ = ["aio_volume", "aio_volume_id"]
    AIO_VOLUME_FIELD_NUMBER: _ClassVar[int]
    AIO_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    aio_volume: AioVolume
    aio_volume_id: str
    def __init__(self, aio_volume: _Optional[_Union[AioVolume, _Mapping]] = ..., aio_volume_id: _Optional[str] = ...) -> None: ...

class CreateMallocVolumeRequest(_message.Message):
    __slots__ = ["malloc_volume", "malloc_volume_id"]
    MALLOC_VOLUME_FIELD_NUMBER: _ClassVar[int]
    MALLOC_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    malloc_volume: MallocVolume
    malloc_volume_id: str
    def __init__(self, malloc_volume: _Optional[_Union[MallocVolume, _Mapping]] = ..., malloc_volume_id: _Optional[str] = ...) -> None: ...

class CreateNullVolumeRequest(_message.Message):
    __slots__ = ["null_volume", "null_volume_id"]
    NULL_VOLUME_FIELD_NUMBER: _ClassVar[int]
    NULL_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    null_volume: NullVolume
    null_volume_id: str
    def __init__(self, null_volume: _Optional[_Union[NullVolume, _Mapping]] = ..., null_volume_id: _Optional[str] = ...) -> None: ...

class DeleteAioVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteMallocVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteNullVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetAioVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetMallocVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNullVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListAioVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAioVolumesResponse(_message.Message):
    __slots__ = ["aio_volumes", "next_page_token"]
    AIO_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    aio_volumes: _containers.RepeatedCompositeFieldContainer[AioVolume]
    next_page_token: str
    def __init__(self, aio_volumes: _Optional[_Iterable[_Union[AioVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMallocVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListMallocVolumesResponse(_message.Message):
    __slots__ = ["malloc_volumes", "next_page_token"]
    MALLOC_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    malloc_volumes: _containers.RepeatedCompositeFieldContainer[MallocVolume]
    next_page_token: str
    def __init__(self, malloc_volumes: _Optional[_Iterable[_Union[MallocVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNullVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNullVolumesResponse(_message.Message):
    __slots__ = ["next_page_token", "null_volumes"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NULL_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    null_volumes: _containers.RepeatedCompositeFieldContainer[NullVolume]
    def __init__(self, null_volumes: _Optional[_Iterable[_Union[NullVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class MallocVolume(_message.Message):
    __slots__ = ["block_count", "block_size", "name", "status", "uuid"]
    BLOCK_COUNT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_SIZE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    block_count: int
    block_size: int
    name: str
    status: _common_pb2.ResourceStatus
    uuid: str
    def __init__(self, name: _Optional[str] = ..., block_size: _Optional[int] = ..., block_count: _Optional[int] = ..., uuid: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NullVolume(_message.Message):
    __slots__ = ["block_count", "block_size", "name", "status", "uuid"]
    BLOCK_COUNT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_SIZE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    block_count: int
    block_size: int
    name: str
    status: _common_pb2.ResourceStatus
    uuid: str
    def __init__(self, name: _Optional[str] = ..., block_size: _Optional[int] = ..., block_count: _Optional[int] = ..., uuid: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class StatsAioVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsAioVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class StatsMallocVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsMallocVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class StatsNullVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNullVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateAioVolumeRequest(_message.Message):
    __slots__ = ["aio_volume", "allow_missing", "update_mask"]
    AIO_VOLUME_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    aio_volume: AioVolume
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, aio_volume: _Optional[_Union[AioVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateMallocVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "malloc_volume", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    MALLOC_VOLUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    malloc_volume: MallocVolume
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, malloc_volume: _Optional[_Union[MallocVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateNullVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "null_volume", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NULL_VOLUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    null_volume: NullVolume
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, null_volume: _Optional[_Union[NullVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...
