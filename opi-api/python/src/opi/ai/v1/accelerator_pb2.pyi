from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

ACCELERATOR_CLASS_3D: AcceleratorClass
ACCELERATOR_CLASS_DISPLAY_OTHER: AcceleratorClass
ACCELERATOR_CLASS_PROCESSING: AcceleratorClass
ACCELERATOR_CLASS_UNSPECIFIED: AcceleratorClass
ACCELERATOR_CLASS_VGA: AcceleratorClass
DESCRIPTOR: _descriptor.FileDescriptor
NIC_RELATION_NUMA_NODE: NicRelation
NIC_RELATION_PCIE_SWITCH: NicRelation
NIC_RELATION_UNSPECIFIED: NicRelation

class Accelerator(_message.Message):
    __slots__ = ["accelerator_class", "affine_nics", "device_id", "driver", "iommu_group", "link", "name", "numa_node", "nvml", "pci_address", "sriov", "vendor", "vendor_id"]
    ACCELERATOR_CLASS_FIELD_NUMBER: _ClassVar[int]
    AFFINE_NICS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    IOMMU_GROUP_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NUMA_NODE_FIELD_NUMBER: _ClassVar[int]
    NVML_FIELD_NUMBER: _ClassVar[int]
    PCI_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SRIOV_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VENDOR_ID_FIELD_NUMBER: _ClassVar[int]
    accelerator_class: AcceleratorClass
    affine_nics: _containers.RepeatedCompositeFieldContainer[AffineNic]
    device_id: int
    driver: str
    iommu_group: int
    link: PcieLink
    name: str
    numa_node: int
    nvml: NvmlInfo
    pci_address: str
    sriov: SriovState
    vendor: str
    vendor_id: int
    def __init__(self, name: _Optional[str] = ..., pci_address: _Optional[str] = ..., vendor_id: _Optional[int] = ..., device_id: _Optional[int] = ..., vendor: _Optional[str] = ..., accelerator_class: _Optional[_Union[AcceleratorClass, str]] = ..., driver: _Optional[str] = ..., numa_node: _Optional[int] = ..., link: _Optional[_Union[PcieLink, _Mapping]] = ..., sriov: _Optional[_Union[SriovState, _Mapping]] = ..., affine_nics: _Optional[_Iterable[_Union[AffineNic, _Mapping]]] = ..., iommu_group: _Optional[int] = ..., nvml: _Optional[_Union[NvmlInfo, _Mapping]] = ...) -> None: ...

class AcceleratorStats(_message.Message):
    __slots__ = ["aer_correctable", "aer_fatal", "aer_nonfatal", "link", "name", "power_state"]
    AER_CORRECTABLE_FIELD_NUMBER: _ClassVar[int]
    AER_FATAL_FIELD_NUMBER: _ClassVar[int]
    AER_NONFATAL_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POWER_STATE_FIELD_NUMBER: _ClassVar[int]
    aer_correctable: int
    aer_fatal: int
    aer_nonfatal: int
    link: PcieLink
    name: str
    power_state: str
    def __init__(self, name: _Optional[str] = ..., link: _Optional[_Union[PcieLink, _Mapping]] = ..., power_state: _Optional[str] = ..., aer_correctable: _Optional[int] = ..., aer_nonfatal: _Optional[int] = ..., aer_fatal: _Optional[int] = ...) -> None: ...

class AffineNic(_message.Message):
    __slots__ = ["interface", "pci_address", "relation"]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    PCI_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    interface: str
    pci_address: str
    relation: NicRelation
    def __init__(self, interface: _Optional[str] = ..., pci_address: _Optional[str] = ..., relation: _Optional[_Union[NicRelation, str]] = ...) -> None: ...

class GetAcceleratorRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListAcceleratorsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAcceleratorsResponse(_message.Message):
    __slots__ = ["accelerators", "next_page_token"]
    ACCELERATORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    accelerators: _containers.RepeatedCompositeFieldContainer[Accelerator]
    next_page_token: str
    def __init__(self, accelerators: _Optional[_Iterable[_Union[Accelerator, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class NvmlInfo(_message.Message):
    __slots__ = ["driver_version", "memory_total_bytes", "product_name", "uuid"]
    DRIVER_VERSION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    driver_version: str
    memory_total_bytes: int
    product_name: str
    uuid: str
    def __init__(self, product_name: _Optional[str] = ..., uuid: _Optional[str] = ..., driver_version: _Optional[str] = ..., memory_total_bytes: _Optional[int] = ...) -> None: ...

class PcieLink(_message.Message):
    __slots__ = ["current_speed_gts", "current_width", "degraded", "max_speed_gts", "max_width"]
    CURRENT_SPEED_GTS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_WIDTH_FIELD_NUMBER: _ClassVar[int]
    DEGRADED_FIELD_NUMBER: _ClassVar[int]
    MAX_SPEED_GTS_FIELD_NUMBER: _ClassVar[int]
    MAX_WIDTH_FIELD_NUMBER: _ClassVar[int]
    current_speed_gts: float
    current_width: int
    degraded: bool
    max_speed_gts: float
    max_width: int
    def __init__(self, current_width: _Optional[int] = ..., max_width: _Optional[int] = ..., current_speed_gts: _Optional[float] = ..., max_speed_gts: _Optional[float] = ..., degraded: bool = ...) -> None: ...

class SriovState(_message.Message):
    __slots__ = ["num_vfs", "physical_function", "total_vfs", "virtual_function"]
    NUM_VFS_FIELD_NUMBER: _ClassVar[int]
    PHYSICAL_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_VFS_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    num_vfs: int
    physical_function: str
    total_vfs: int
    virtual_function: bool
    def __init__(self, total_vfs: _Optional[int] = ..., num_vfs: _Optional[int] = ..., virtual_function: bool = ..., physical_function: _Optional[str] = ...) -> None: ...

class StatsAcceleratorRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsAcceleratorResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: AcceleratorStats
    def __init__(self, stats: _Optional[_Union[AcceleratorStats, _Mapping]] = ...) -> None: ...

class AcceleratorClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NicRelation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
