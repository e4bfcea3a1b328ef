from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BaseboardInfo(_message.Message):
    __slots__ = ["asset_tag", "product", "serial_number", "vendor", "version"]
    ASSET_TAG_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    asset_tag: str
    product: str
    serial_number: str
    vendor: str
    version: str
    def __init__(self, vendor: _Optional[str] = ..., product: _Optional[str] = ..., version: _Optional[str] = ..., serial_number: _Optional[str] = ..., asset_tag: _Optional[str] = ...) -> None: ...

class BiosInfo(_message.Message):
    __slots__ = ["date", "vendor", "version"]
    DATE_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    date: str
    vendor: str
    version: str
    def __init__(self, vendor: _Optional[str] = ..., version: _Optional[str] = ..., date: _Optional[str] = ...) -> None: ...

class ChassisInfo(_message.Message):
    __slots__ = ["asset_tag", "serial_number", "type", "type_description", "vendor", "version"]
    ASSET_TAG_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TYPE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    asset_tag: str
    serial_number: str
    type: str
    type_description: str
    vendor: str
    version: str
    def __init__(self, vendor: _Optional[str] = ..., type: _Optional[str] = ..., type_description: _Optional[str] = ..., version: _Optional[str] = ..., serial_number: _Optional[str] = ..., asset_tag: _Optional[str] = ...) -> None: ...

class CpuInfo(_message.Message):
    __slots__ = ["processors", "total_cores", "total_sockets", "total_threads"]
    PROCESSORS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_CORES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SOCKETS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_THREADS_FIELD_NUMBER: _ClassVar[int]
    processors: _containers.RepeatedCompositeFieldContainer[Processor]
    total_cores: int
    total_sockets: int
    total_threads: int
    def __init__(self, total_sockets: _Optional[int] = ..., total_cores: _Optional[int] = ..., total_threads: _Optional[int] = ..., processors: _Optional[_Iterable[_Union[Processor, _Mapping]]] = ...) -> None: ...

class GetInventoryRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class Inventory(_message.Message):
    __slots__ = ["baseboard", "bios", "chassis", "cpu", "hostname", "memory", "name", "pci_devices", "system"]
    BASEBOARD_FIELD_NUMBER: _ClassVar[int]
    BIOS_FIELD_NUMBER: _ClassVar[int]
    CHASSIS_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PCI_DEVICES_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_FIELD_NUMBER: _ClassVar[int]
    baseboard: BaseboardInfo
    bios: BiosInfo
    chassis: ChassisInfo
    cpu: CpuInfo
    hostname: str
    memory: MemoryInfo
    name: str
    pci_devices: _containers.RepeatedCompositeFieldContainer[PciDevice]
    system: SystemInfo
    def __init__(self, name: _Optional[str] = ..., bios: _Optional[_Union[BiosInfo, _Mapping]] = ..., system: _Optional[_Union[SystemInfo, _Mapping]] = ..., baseboard: _Optional[_Union[BaseboardInfo, _Mapping]] = ..., chassis: _Optional[_Union[ChassisInfo, _Mapping]] = ..., cpu: _Optional[_Union[CpuInfo, _Mapping]] = ..., memory: _Optional[_Union[MemoryInfo, _Mapping]] = ..., pci_devices: _Optional[_Iterable[_Union[PciDevice, _Mapping]]] = ..., hostname: _Optional[str] = ...) -> None: ...

class MemoryInfo(_message.Message):
    __slots__ = ["total_physical_bytes", "usable_bytes"]
    TOTAL_PHYSICAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    USABLE_BYTES_FIELD_NUMBER: _ClassVar[int]
    total_physical_bytes: int
    usable_bytes: int
    def __init__(self, total_physical_bytes: _Optional[int] = ..., usable_bytes: _Optional[int] = ...) -> None: ...

class PciDevice(_message.Message):
    __slots__ = ["address", "class_id", "class_name", "device_id", "device_name", "driver", "numa_node", "vendor_id", "vendor_name"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CLASS_ID_FIELD_NUMBER: _ClassVar[int]
    CLASS_NAME_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_NAME_FIELD_NUMBER: _ClassVar[int]
    DRIVER_FIELD_NUMBER: _ClassVar[int]
    NUMA_NODE_FIELD_NUMBER: _ClassVar[int]
    VENDOR_ID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_NAME_FIELD_NUMBER: _ClassVar[int]
    address: str
    class_id: str
    class_name: str
    device_id: str
    device_name: str
    driver: str
    numa_node: int
    vendor_id: str
    vendor_name: str
    def __init__(self, address: _Optional[str] = ..., vendor_id: _Optional[str] = ..., vendor_name: _Optional[str] = ..., device_id: _Optional[str] = ..., device_name: _Optional[str] = ..., class_id: _Optional[str] = ..., class_name: _Optional[str] = ..., driver: _Optional[str] = ..., numa_node: _Optional[int] = ...) -> None: ...

class Processor(_message.Message):
    __slots__ = ["capabilities", "cores", "id", "model", "threads", "vendor"]
    CAPABILITIES_FIELD_NUMBER: _ClassVar[int]
    CORES_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    capabilities: _containers.RepeatedScalarFieldContainer[str]
    cores: int
    id: int
    model: str
    threads: int
    vendor: str
    def __init__(self, id: _Optional[int] = ..., vendor: _Optional[str] = ..., model: _Optional[str] = ..., cores: _Optional[int] = ..., threads: _Optional[int] = ..., capabilities: _Optional[_Iterable[str]] = ...) -> None: ...

class SystemInfo(_message.Message):
    __slots__ = ["family", "product_name", "serial_number", "sku", "uuid", "vendor", "version"]
    FAMILY_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    UUID_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    family: str
    product_name: str
    serial_number: str
    sku: str
    uuid: str
    vendor: str
    version: str
    def __init__(self, family: _Optional[str] = ..., vendor: _Optional[str] = ..., product_name: _Optional[str] = ..., serial_number: _Optional[str] = ..., uuid: _Optional[str] = ..., sku: _Optional[str] = ..., version: _Optional[str] = ...) -> None: ...
