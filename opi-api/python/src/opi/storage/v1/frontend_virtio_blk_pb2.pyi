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

class CreateVirtioBlkRequest(_message.Message):
    __slots__ = ["virtio_blk", "virtio_blk_id"]
    VIRTIO_BLK_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_BLK_ID_FIELD_NUMBER: _ClassVar[int]
    virtio_blk: VirtioBlk
    virtio_blk_id: str
    def __init__(self, virtio_blk: _Optional[_Union[VirtioBlk, _Mapping]] = ..., virtio_blk_id: _Optional[str] = ...) -> None: ...

class DeleteVirtioBlkRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetVirtioBlkRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListVirtioBlksRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVirtioBlksResponse(_message.Message):
    __slots__ = ["next_page_token", "virtio_blks"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_BLKS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    virtio_blks: _containers.RepeatedCompositeFieldContainer[VirtioBlk]
    def __init__(self, virtio_blks: _Optional[_Iterable[_Union[VirtioBlk, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StatsVirtioBlkRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsVirtioBlkResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateVirtioBlkRequest(_message.Message):
    __slots__ = ["allow_missing", "update_mask", "virtio_blk"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_BLK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    virtio_blk: VirtioBlk
    def __init__(self, virtio_blk: _Optional[_Union[VirtioBlk, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class VhostUserEndpoint(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class VirtioBlk(_message.Message):
    __slots__ = ["coalescing_delay_us", "coalescing_iops_threshold", "cpumask", "device_path", "name", "num_queues", "packed_ring", "pcie", "queue_size", "read_only", "status", "vhost_user", "volume"]
    COALESCING_DELAY_US_FIELD_NUMBER: _ClassVar[int]
    COALESCING_IOPS_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CPUMASK_FIELD_NUMBER: _ClassVar[int]
    DEVICE_PATH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUM_QUEUES_FIELD_NUMBER: _ClassVar[int]
    PACKED_RING_FIELD_NUMBER: _ClassVar[int]
    PCIE_FIELD_NUMBER: _ClassVar[int]
    QUEUE_SIZE_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VHOST_USER_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    coalescing_delay_us: int
    coalescing_iops_threshold: int
    cpumask: str
    device_path: str
    name: str
    num_queues: int
    packed_ring: bool
    pcie: _types_pb2.PcieEndpoint
    queue_size: int
    read_only: bool
    status: _common_pb2.ResourceStatus
    vhost_user: VhostUserEndpoint
    volume: str
    def __init__(self, name: _Optional[str] = ..., volume: _Optional[str] = ..., vhost_user: _Optional[_Union[VhostUserEndpoint, _Mapping]] = ..., pcie: _Optional[_Union[_types_pb2.PcieEndpoint, _Mapping]] = ..., cpumask: _Optional[str] = ..., packed_ring: bool = ..., read_only: bool = ..., num_queues: _Optional[int] = ..., queue_size: _Optional[int] = ..., coalescing_delay_us: _Optional[int] = ..., coalescing_iops_threshold: _Optional[int] = ..., device_path: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...
