from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from opi.storage.v1 import frontend_virtio_blk_pb2 as _frontend_virtio_blk_pb2
from opi.storage.v1 import types_pb2 as _types_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateVirtioScsiLunRequest(_message.Message):
    __slots__ = ["virtio_scsi_lun", "virtio_scsi_lun_id"]
    VIRTIO_SCSI_LUN_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_LUN_ID_FIELD_NUMBER: _ClassVar[int]
    virtio_scsi_lun: VirtioScsiLun
    virtio_scsi_lun_id: str
    def __init__(self, virtio_scsi_lun: _Optional[_Union[VirtioScsiLun, _Mapping]] = ..., virtio_scsi_lun_id: _Optional[str] = ...) -> None: ...

class CreateVirtioScsiTargetRequest(_message.Message):
    __slots__ = ["virtio_scsi_target", "virtio_scsi_target_id"]
    VIRTIO_SCSI_TARGET_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    virtio_scsi_target: VirtioScsiTarget
    virtio_scsi_target_id: str
    def __init__(self, virtio_scsi_target: _Optional[_Union[VirtioScsiTarget, _Mapping]] = ..., virtio_scsi_target_id: _Optional[str] = ...) -> None: ...

class DeleteVirtioScsiLunRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteVirtioScsiTargetRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetVirtioScsiLunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetVirtioScsiTargetRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListVirtioScsiLunsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVirtioScsiLunsResponse(_message.Message):
    __slots__ = ["next_page_token", "virtio_scsi_luns"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_LUNS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    virtio_scsi_luns: _containers.RepeatedCompositeFieldContainer[VirtioScsiLun]
    def __init__(self, virtio_scsi_luns: _Optional[_Iterable[_Union[VirtioScsiLun, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListVirtioScsiTargetsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVirtioScsiTargetsResponse(_message.Message):
    __slots__ = ["next_page_token", "virtio_scsi_targets"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_TARGETS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    virtio_scsi_targets: _containers.RepeatedCompositeFieldContainer[VirtioScsiTarget]
    def __init__(self, virtio_scsi_targets: _Optional[_Iterable[_Union[VirtioScsiTarget, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StatsVirtioScsiLunRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsVirtioScsiLunResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class StatsVirtioScsiTargetRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsVirtioScsiTargetResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateVirtioScsiLunRequest(_message.Message):
    __slots__ = ["allow_missing", "update_mask", "virtio_scsi_lun"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_LUN_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    virtio_scsi_lun: VirtioScsiLun
    def __init__(self, virtio_scsi_lun: _Optional[_Union[VirtioScsiLun, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateVirtioScsiTargetRequest(_message.Message):
    __slots__ = ["allow_missing", "update_mask", "virtio_scsi_target"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    VIRTIO_SCSI_TARGET_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    virtio_scsi_target: VirtioScsiTarget
    def __init__(self, virtio_scsi_target: _Optional[_Union[VirtioScsiTarget, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class VirtioScsiLun(_message.Message):
    __slots__ = ["name", "status", "target", "target_number", "volume"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    TARGET_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    name: str
    status: _common_pb2.ResourceStatus
    target: str
    target_number: int
    volume: str
    def __init__(self, name: _Optional[str] = ..., target: _Optional[str] = ..., volume: _Optional[str] = ..., target_number: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class VirtioScsiTarget(_message.Message):
    __slots__ = ["cpumask", "device_path", "max_luns", "name", "pcie", "status", "vhost_user"]
    CPUMASK_FIELD_NUMBER: _ClassVar[int]
    DEVICE_PATH_FIELD_NUMBER: _ClassVar[int]
    MAX_LUNS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PCIE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VHOST_USER_FIELD_NUMBER: _ClassVar[int]
    cpumask: str
    device_path: str
    max_luns: int
    name: str
    pcie: _types_pb2.PcieEndpoint
    status: _common_pb2.ResourceStatus
    vhost_user: _frontend_virtio_blk_pb2.VhostUserEndpoint
    def __init__(self, name: _Optional[str] = ..., vhost_user: _Optional[_Union[_frontend_virtio_blk_pb2.VhostUserEndpoint, _Mapping]] = ..., pcie: _Optional[_Union[_types_pb2.PcieEndpoint, _Mapping]] = ..., cpumask: _Optional[str] = ..., max_luns: _Optional[int] = ..., device_path: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...
