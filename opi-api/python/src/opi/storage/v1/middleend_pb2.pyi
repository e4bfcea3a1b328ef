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
ENCRYPTION_CIPHER_AES_CBC: EncryptionCipher
ENCRYPTION_CIPHER_AES_XTS: EncryptionCipher
ENCRYPTION_CIPHER_UNSPECIFIED: EncryptionCipher
ENCRYPTION_TWEAK_MODE_INCR_512_FULL_LBA: EncryptionTweakMode
ENCRYPTION_TWEAK_MODE_INCR_512_UPPER_LBA: EncryptionTweakMode
ENCRYPTION_TWEAK_MODE_JOIN_NEG_LBA_WITH_LBA: EncryptionTweakMode
ENCRYPTION_TWEAK_MODE_SIMPLE_LBA: EncryptionTweakMode
ENCRYPTION_TWEAK_MODE_UNSPECIFIED: EncryptionTweakMode

class CreateEncryptedVolumeRequest(_message.Message):
    __slots__ = ["encrypted_volume", "encrypted_volume_id"]
    ENCRYPTED_VOLUME_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTED_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    encrypted_volume: EncryptedVolume
    encrypted_volume_id: str
    def __init__(self, encrypted_volume: _Optional[_Union[EncryptedVolume, _Mapping]] = ..., encrypted_volume_id: _Optional[str] = ...) -> None: ...

class CreateQosVolumeRequest(_message.Message):
    __slots__ = ["qos_volume", "qos_volume_id"]
    QOS_VOLUME_FIELD_NUMBER: _ClassVar[int]
    QOS_VOLUME_ID_FIELD_NUMBER: _ClassVar[int]
    qos_volume: QosVolume
    qos_volume_id: str
    def __init__(self, qos_volume: _Optional[_Union[QosVolume, _Mapping]] = ..., qos_volume_id: _Optional[str] = ...) -> None: ...

class DeleteEncryptedVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteQosVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class EncryptedVolume(_message.Message):
    __slots__ = ["cipher", "key", "key2", "name", "status", "tweak_mode", "volume"]
    CIPHER_FIELD_NUMBER: _ClassVar[int]
    KEY2_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TWEAK_MODE_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    cipher: EncryptionCipher
    key: bytes
    key2: bytes
    name: str
    status: _common_pb2.ResourceStatus
    tweak_mode: EncryptionTweakMode
    volume: str
    def __init__(self, name: _Optional[str] = ..., volume: _Optional[str] = ..., cipher: _Optional[_Union[EncryptionCipher, str]] = ..., key: _Optional[bytes] = ..., key2: _Optional[bytes] = ..., tweak_mode: _Optional[_Union[EncryptionTweakMode, str]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class GetEncryptedVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetQosVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListEncryptedVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEncryptedVolumesResponse(_message.Message):
    __slots__ = ["encrypted_volumes", "next_page_token"]
    ENCRYPTED_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    encrypted_volumes: _containers.RepeatedCompositeFieldContainer[EncryptedVolume]
    next_page_token: str
    def __init__(self, encrypted_volumes: _Optional[_Iterable[_Union[EncryptedVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListQosVolumesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListQosVolumesResponse(_message.Message):
    __slots__ = ["next_page_token", "qos_volumes"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    QOS_VOLUMES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    qos_volumes: _containers.RepeatedCompositeFieldContainer[QosVolume]
    def __init__(self, qos_volumes: _Optional[_Iterable[_Union[QosVolume, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class QosLimits(_message.Message):
    __slots__ = ["r_mbytes_per_sec", "rw_ios_per_sec", "rw_mbytes_per_sec", "w_mbytes_per_sec"]
    RW_IOS_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    RW_MBYTES_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    R_MBYTES_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    W_MBYTES_PER_SEC_FIELD_NUMBER: _ClassVar[int]
    r_mbytes_per_sec: int
    rw_ios_per_sec: int
    rw_mbytes_per_sec: int
    w_mbytes_per_sec: int
    def __init__(self, rw_ios_per_sec: _Optional[int] = ..., rw_mbytes_per_sec: _Optional[int] = ..., r_mbytes_per_sec: _Optional[int] = ..., w_mbytes_per_sec: _Optional[int] = ...) -> None: ...

class QosVolume(_message.Message):
    __slots__ = ["limits", "name", "status", "volume"]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    limits: QosLimits
    name: str
    status: _common_pb2.ResourceStatus
    volume: str
    def __init__(self, name: _Optional[str] = ..., volume: _Optional[str] = ..., limits: _Optional[_Union[QosLimits, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class StatsEncryptedVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsEncryptedVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class StatsQosVolumeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsQosVolumeResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateEncryptedVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "encrypted_volume", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    ENCRYPTED_VOLUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    encrypted_volume: EncryptedVolume
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, encrypted_volume: _Optional[_Union[EncryptedVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateQosVolumeRequest(_message.Message):
    __slots__ = ["allow_missing", "qos_volume", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    QOS_VOLUME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    qos_volume: QosVolume
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, qos_volume: _Optional[_Union[QosVolume, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class EncryptionCipher(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class EncryptionTweakMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
