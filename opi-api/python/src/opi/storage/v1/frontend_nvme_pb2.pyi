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
NVME_ANA_STATE_INACCESSIBLE: NvmeAnaState
NVME_ANA_STATE_NON_OPTIMIZED: NvmeAnaState
NVME_ANA_STATE_OPTIMIZED: NvmeAnaState
NVME_ANA_STATE_UNSPECIFIED: NvmeAnaState

class CreateNvmeControllerRequest(_message.Message):
    __slots__ = ["nvme_controller", "nvme_controller_id", "parent"]
    NVME_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    NVME_CONTROLLER_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    nvme_controller: NvmeController
    nvme_controller_id: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., nvme_controller: _Optional[_Union[NvmeController, _Mapping]] = ..., nvme_controller_id: _Optional[str] = ...) -> None: ...

class CreateNvmeNamespaceRequest(_message.Message):
    __slots__ = ["nvme_namespace", "nvme_namespace_id", "parent"]
    NVME_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    NVME_NAMESPACE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    nvme_namespace: NvmeNamespace
    nvme_namespace_id: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., nvme_namespace: _Optional[_Union[NvmeNamespace, _Mapping]] = ..., nvme_namespace_id: _Optional[str] = ...) -> None: ...

class CreateNvmeSubsystemRequest(_message.Message):
    __slots__ = ["nvme_subsystem", "nvme_subsystem_id"]
    NVME_SUBSYSTEM_FIELD_NUMBER: _ClassVar[int]
    NVME_SUBSYSTEM_ID_FIELD_NUMBER: _ClassVar[int]
    nvme_subsystem: NvmeSubsystem
    nvme_subsystem_id: str
    def __init__(self, nvme_subsystem: _Optional[_Union[NvmeSubsystem, _Mapping]] = ..., nvme_subsystem_id: _Optional[str] = ...) -> None: ...

class DeleteNvmeControllerRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteNvmeNamespaceRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteNvmeSubsystemRequest(_message.Message):
    __slots__ = ["allow_missing", "force", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    force: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ..., force: bool = ...) -> None: ...

class GetNvmeControllerRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNvmeNamespaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNvmeSubsystemRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListNvmeControllersRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmeControllersResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_controllers"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_CONTROLLERS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_controllers: _containers.RepeatedCompositeFieldContainer[NvmeController]
    def __init__(self, nvme_controllers: _Optional[_Iterable[_Union[NvmeController, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNvmeNamespacesRequest(_message.Message):
    __slots__ = ["page_size", "page_token", "parent"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PARENT_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    parent: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmeNamespacesResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_namespaces"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_namespaces: _containers.RepeatedCompositeFieldContainer[NvmeNamespace]
    def __init__(self, nvme_namespaces: _Optional[_Iterable[_Union[NvmeNamespace, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNvmeSubsystemsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNvmeSubsystemsResponse(_message.Message):
    __slots__ = ["next_page_token", "nvme_subsystems"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    NVME_SUBSYSTEMS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    nvme_subsystems: _containers.RepeatedCompositeFieldContainer[NvmeSubsystem]
    def __init__(self, nvme_subsystems: _Optional[_Iterable[_Union[NvmeSubsystem, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NvmeController(_message.Message):
    __slots__ = ["ana_state", "device_path", "fabrics", "max_io_queue_pairs", "max_queue_depth", "name", "pcie", "secure_channel", "status"]
    ANA_STATE_FIELD_NUMBER: _ClassVar[int]
    DEVICE_PATH_FIELD_NUMBER: _ClassVar[int]
    FABRICS_FIELD_NUMBER: _ClassVar[int]
    MAX_IO_QUEUE_PAIRS_FIELD_NUMBER: _ClassVar[int]
    MAX_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PCIE_FIELD_NUMBER: _ClassVar[int]
    SECURE_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ana_state: NvmeAnaState
    device_path: str
    fabrics: _types_pb2.NvmeFabricsAddress
    max_io_queue_pairs: int
    max_queue_depth: int
    name: str
    pcie: _types_pb2.PcieEndpoint
    secure_channel: bool
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., fabrics: _Optional[_Union[_types_pb2.NvmeFabricsAddress, _Mapping]] = ..., pcie: _Optional[_Union[_types_pb2.PcieEndpoint, _Mapping]] = ..., secure_channel: bool = ..., ana_state: _Optional[_Union[NvmeAnaState, str]] = ..., device_path: _Optional[str] = ..., max_io_queue_pairs: _Optional[int] = ..., max_queue_depth: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NvmeHostConnection(_message.Message):
    __slots__ = ["controller_id", "host_id", "host_nqn", "io_queue_pairs"]
    CONTROLLER_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_ID_FIELD_NUMBER: _ClassVar[int]
    HOST_NQN_FIELD_NUMBER: _ClassVar[int]
    IO_QUEUE_PAIRS_FIELD_NUMBER: _ClassVar[int]
    controller_id: int
    host_id: str
    host_nqn: str
    io_queue_pairs: int
    def __init__(self, controller_id: _Optional[int] = ..., host_nqn: _Optional[str] = ..., host_id: _Optional[str] = ..., io_queue_pairs: _Optional[int] = ...) -> None: ...

class NvmeNamespace(_message.Message):
    __slots__ = ["eui64", "name", "nguid", "nsid", "status", "uuid", "volume"]
    EUI64_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NGUID_FIELD_NUMBER: _ClassVar[int]
    NSID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    VOLUME_FIELD_NUMBER: _ClassVar[int]
    eui64: str
    name: str
    nguid: str
    nsid: int
    status: _common_pb2.ResourceStatus
    uuid: str
    volume: str
    def __init__(self, name: _Optional[str] = ..., volume: _Optional[str] = ..., nsid: _Optional[int] = ..., uuid: _Optional[str] = ..., nguid: _Optional[str] = ..., eui64: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NvmeSubsystem(_message.Message):
    __slots__ = ["allow_any_host", "ana_reporting", "hosts", "max_namespaces", "model_number", "name", "nqn", "serial_number", "status"]
    ALLOW_ANY_HOST_FIELD_NUMBER: _ClassVar[int]
    ANA_REPORTING_FIELD_NUMBER: _ClassVar[int]
    HOSTS_FIELD_NUMBER: _ClassVar[int]
    MAX_NAMESPACES_FIELD_NUMBER: _ClassVar[int]
    MODEL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NQN_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    allow_any_host: bool
    ana_reporting: bool
    hosts: _containers.RepeatedCompositeFieldContainer[NvmeSubsystemHost]
    max_namespaces: int
    model_number: str
    name: str
    nqn: str
    serial_number: str
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., nqn: _Optional[str] = ..., serial_number: _Optional[str] = ..., model_number: _Optional[str] = ..., max_namespaces: _Optional[int] = ..., allow_any_host: bool = ..., hosts: _Optional[_Iterable[_Union[NvmeSubsystemHost, _Mapping]]] = ..., ana_reporting: bool = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class NvmeSubsystemHost(_message.Message):
    __slots__ = ["host_nqn", "psk", "psk_configured"]
    HOST_NQN_FIELD_NUMBER: _ClassVar[int]
    PSK_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    PSK_FIELD_NUMBER: _ClassVar[int]
    host_nqn: str
    psk: str
    psk_configured: bool
    def __init__(self, host_nqn: _Optional[str] = ..., psk: _Optional[str] = ..., psk_configured: bool = ...) -> None: ...

class StatsNvmeControllerRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmeControllerResponse(_message.Message):
    __slots__ = ["connections"]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[NvmeHostConnection]
    def __init__(self, connections: _Optional[_Iterable[_Union[NvmeHostConnection, _Mapping]]] = ...) -> None: ...

class StatsNvmeNamespaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmeNamespaceResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ...) -> None: ...

class StatsNvmeSubsystemRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsNvmeSubsystemResponse(_message.Message):
    __slots__ = ["connections", "stats"]
    CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    STATS_FIELD_NUMBER: _ClassVar[int]
    connections: _containers.RepeatedCompositeFieldContainer[NvmeHostConnection]
    stats: _types_pb2.VolumeStats
    def __init__(self, stats: _Optional[_Union[_types_pb2.VolumeStats, _Mapping]] = ..., connections: _Optional[_Iterable[_Union[NvmeHostConnection, _Mapping]]] = ...) -> None: ...

class UpdateNvmeControllerRequest(_message.Message):
    __slots__ = ["allow_missing", "nvme_controller", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NVME_CONTROLLER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    nvme_controller: NvmeController
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, nvme_controller: _Optional[_Union[NvmeController, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateNvmeNamespaceRequest(_message.Message):
    __slots__ = ["allow_missing", "nvme_namespace", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NVME_NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    nvme_namespace: NvmeNamespace
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, nvme_namespace: _Optional[_Union[NvmeNamespace, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateNvmeSubsystemRequest(_message.Message):
    __slots__ = ["allow_missing", "nvme_subsystem", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NVME_SUBSYSTEM_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    nvme_subsystem: NvmeSubsystem
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, nvme_subsystem: _Optional[_Union[NvmeSubsystem, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class NvmeAnaState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
