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
NVME_MULTIPATH_MODE_DISABLE: NvmeMultipathMode
NVME_MULTIPATH_MODE_FAILOVER: NvmeMultipathMode
NVME_MULTIPATH_MODE_MULTIPATH: NvmeMultipathMode
NVME_MULTIPATH_MODE_UNSPECIFIED: NvmeMultipathMode
NVME_MULTIPATH_POLICY_ACTIVE_ACTIVE: NvmeMultipathPolicy
NVME_MULTIPATH_POLICY_ACTIVE_PASSIVE: NvmeMultipathPolicy
NVME_MULTIPATH_POLICY_UNSPECIFIED: NvmeMultipathPolicy
NVME_MULTIPATH_SELECTOR_QUEUE_DEPTH: NvmeMultipathSelector
NVME_MULTIPATH_SELECTOR_ROUND_ROBIN: NvmeMultipathSelector
NVME_MULTIPATH_SELECTOR_UNSPECIFIED: NvmeMultipathSelector

class CreateNvmePathRequest(_message.Message):
    __slots__ = ["nvme_path", "nvme_path_id", "parent"]
    NVME_PATH_FIELD_NUMBER: _ClassVar[int]
    NVME_PATH_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    nvme_path: NvmePath
    nvme_path_id: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., nvme_path: _Optional[_Union[NvmePath, _Mapping]] = ..., nvme_path_id: _Optional[str] = ...) -> None: ...

class CreateNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["nvme_remote_controller", "nvme_remote_controller_id"]
    NVME_REMOTE_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    NVME_REMOTE_CONTROLLER_ID_FIELD_NUMBER: _ClassVar[int]
    nvme_remote_controller: NvmeRemoteController
    nvme_remote_controller_id: str
    def __init__(self, nvme_remote_controller: _Optional[_Union[NvmeRemoteController, _Mapping]] = ..., nvme_remote_controller_id: _Optional[str] = ...) -> None: ...

class DeleteNvmePathRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["allow_missing", "force", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    force: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ..., force: bool = ...) -> None: ...

class GetNvmePathRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNvmeRemoteNamespaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListNvmePathsRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmePathsResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_paths"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_PATHS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_paths: _containers.RepeatedCompositeFieldContainer[NvmePath]
    def __init__(self, nvme_paths: _Optional[_Iterable[_Union[NvmePath, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNvmeRemoteControllersRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmeRemoteControllersResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_remote_controllers"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_REMOTE_CONTROLLERS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_remote_controllers: _containers.RepeatedCompositeFieldContainer[NvmeRemoteController]
    def __init__(self, nvme_remote_controllers: _Optional[_Iterable[_Union[NvmeRemoteController, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNvmeRemoteNamespacesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmeRemoteNamespacesResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_remote_namespaces"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_REMOTE_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_remote_namespaces: _containers.RepeatedCompositeFieldContainer[NvmeRemoteNamespace]
    def __init__(self, nvme_remote_namespaces: _Optional[_Iterable[_Union[NvmeRemoteNamespace, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NvmePath(_message.Message):
    __slots__ = ["address", "name", "status"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    address: _types_pb2.NvmeFabricsAddress
    name: str
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., address: _Optional[_Union[_types_pb2.NvmeFabricsAddress, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NvmePathState(_message.Message):
    __slots__ = ["accessible", "address", "connected", "current", "path", "stats"]
    ACCESSIBLE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONNECTED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    accessible: bool
    address: _types_pb2.NvmeFabricsAddress
    connected: bool
    current: bool
    path: str
    stats: _types_pb2.VolumeStats
    def __init__(self, path: _Optional[str] = ..., address: _Optional[_Union[_types_pb2.NvmeFabricsAddress, _Mapping]] = ..., connected: bool = ..., current: bool = ..., accessible: bool = ..., stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class NvmeRemoteController(_message.Message):
    __slots__ = ["address", "controller_loss_timeout_seconds", "data_digest", "fast_io_fail_timeout_seconds", "header_digest", "hostnqn", "io_queues", "multipath_mode", "multipath_policy", "multipath_selector", "name", "psk", "psk_configured", "reconnect_delay_seconds", "round_robin_min_io", "status", "subnqn"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CONTROLLER_LOSS_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DATA_DIGEST_FIELD_NUMBER: _ClassVar[int]
    FAST_IO_FAIL_TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    HEADER_DIGEST_FIELD_NUMBER: _ClassVar[int]
    HOSTNQN_FIELD_NUMBER: _ClassVar[int]
    IO_QUEUES_FIELD_NUMBER: _ClassVar[int]
    MULTIPATH_MODE_FIELD_NUMBER: _ClassVar[int]
    MULTIPATH_POLICY_FIELD_NUMBER: _ClassVar[int]
    MULTIPATH_SELECTOR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PSK_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    PSK_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_DELAY_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ROUND_ROBIN_MIN_IO_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBNQN_FIELD_NUMBER: _ClassVar[int]
    address: _types_pb2.NvmeFabricsAddress
    controller_loss_timeout_seconds: int
    data_digest: bool
    fast_io_fail_timeout_seconds: int
    header_digest: bool
    hostnqn: str
    io_queues: int
    multipath_mode: NvmeMultipathMode
    multipath_policy: NvmeMultipathPolicy
    multipath_selector: NvmeMultipathSelector
    name: str
    psk: str
    psk_configured: bool
    reconnect_delay_seconds: int
    round_robin_min_io: int
    status: _common_pb2.ResourceStatus
    subnqn: str
    def __init__(self, name: _Optional[str] = ..., address: _Optional[_Union[_types_pb2.NvmeFabricsAddress, _Mapping]] = ..., subnqn: _Optional[str] = ..., hostnqn: _Optional[str] = ..., psk: _Optional[str] = ..., psk_configured: bool = ..., multipath_mode: _Optional[_Union[NvmeMultipathMode, str]] = ..., multipath_policy: _Optional[_Union[NvmeMultipathPolicy, str]] = ..., multipath_selector: _Optional[_Union[NvmeMultipathSelector, str]] = ..., round_robin_min_io: _Optional[int] = ..., header_digest: bool = ..., data_digest: bool = ..., io_queues: _Optional[int] = ..., controller_loss_timeout_seconds: _Optional[int] = ..., reconnect_delay_seconds: _Optional[int] = ..., fast_io_fail_timeout_seconds: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NvmeRemoteNamespace(_message.Message):
    __slots__ = ["block_count", "block_size", "eui64", "name", "nguid", "nsid", "status", "uuid"]
    BLOCK_COUNT_FIELD_NUMBER: _ClassVar[int]
    BLOCK_SIZE_FIELD_NUMBER: _ClassVar[int]
    EUI64_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NGUID_FIELD_NUMBER: _ClassVar[int]
    NSID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    block_count: int
    block_size: int
    eui64: str
    name: str
    nguid: str
    nsid: int
    status: _common_pb2.ResourceStatus
    uuid: str
    def __init__(self, name: _Optional[str] = ..., nsid: _Optional[int] = ..., uuid: _Optional[str] = ..., nguid: _Optional[str] = ..., eui64: _Optional[str] = ..., block_size: _Optional[int] = ..., block_count: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class ResetNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmePathRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmePathResponse(_message.Message):
    __slots__ = ["state"]
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: NvmePathState
    def __init__(self, state: _Optional[_Union[NvmePathState, _Mapping]] = ...) -> None: ...

class StatsNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmeRemoteControllerResponse(_message.Message):
    __slots__ = ["paths", "stats"]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    paths: _containers.RepeatedCompositeFieldContainer[NvmePathState]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ..., paths: _Optional[_Iterable[_Union[NvmePathState, _Mapping]]] = ...) -> None: ...

class StatsNvmeRemoteNamespaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmeRemoteNamespaceResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class UpdateNvmePathRequest(_message.Message):
    __slots__ = ["allow_missing", "nvme_path", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NVME_PATH_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    nvme_path: NvmePath
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, nvme_path: _Optional[_Union[NvmePath, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateNvmeRemoteControllerRequest(_message.Message):
    __slots__ = ["allow_missing", "nvme_remote_controller", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NVME_REMOTE_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    nvme_remote_controller: NvmeRemoteController
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, nvme_remote_controller: _Optional[_Union[NvmeRemoteController, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class NvmeMultipathMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NvmeMultipathPolicy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NvmeMultipathSelector(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
