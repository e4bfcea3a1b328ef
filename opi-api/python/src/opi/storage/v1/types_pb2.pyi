from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
NVME_ADDRESS_FAMILY_IPV4: NvmeAddressFamily
NVME_ADDRESS_FAMILY_IPV6: NvmeAddressFamily
NVME_ADDRESS_FAMILY_UNSPECIFIED: NvmeAddressFamily
NVME_TRANSPORT_TYPE_RDMA: NvmeTransportType
NVME_TRANSPORT_TYPE_TCP: NvmeTransportType
NVME_TRANSPORT_TYPE_UNSPECIFIED: NvmeTransportType

class NvmeFabricsAddress(_message.Message):
    __slots__ = ["adrfam", "traddr", "trsvcid", "trtype"]
    ADRFAM_FIELD_NUMBER: _ClassVar[int]
    TRADDR_FIELD_NUMBER: _ClassVar[int]
    TRSVCID_FIELD_NUMBER: _ClassVar[int]
    TRTYPE_FIELD_NUMBER: _ClassVar[int]
    adrfam: NvmeAddressFamily
    traddr: str
    trsvcid: int
    trtype: NvmeTransportType
    def __init__(self, trtype: _Optional[_Union[NvmeTransportType, str]] = ..., adrfam: _Optional[_Union[NvmeAddressFamily, str]] = ..., traddr: _Optional[str] = ..., trsvcid: _Optional[int] = ...) -> None: ...

class PcieEndpoint(_message.Message):
    __slots__ = ["physical_function", "port_id", "virtual_function"]
    PHYSICAL_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    VIRTUAL_FUNCTION_FIELD_NUMBER: _ClassVar[int]
    physical_function: int
    port_id: int
    virtual_function: int
    def __init__(self, port_id: _Optional[int] = ..., physical_function: _Optional[int] = ..., virtual_function: _Optional[int] = ...) -> None: ...

class VolumeStats(_message.Message):
    __slots__ = ["read_bytes", "read_latency_ticks", "read_ops", "tick_rate", "unmap_bytes", "unmap_latency_ticks", "unmap_ops", "write_bytes", "write_latency_ticks", "write_ops"]
    READ_BYTES_FIELD_NUMBER: _ClassVar[int]
    READ_LATENCY_TICKS_FIELD_NUMBER: _ClassVar[int]
    READ_OPS_FIELD_NUMBER: _ClassVar[int]
    TICK_RATE_FIELD_NUMBER: _ClassVar[int]
    UNMAP_BYTES_FIELD_NUMBER: _ClassVar[int]
    UNMAP_LATENCY_TICKS_FIELD_NUMBER: _ClassVar[int]
    UNMAP_OPS_FIELD_NUMBER: _ClassVar[int]
    WRITE_BYTES_FIELD_NUMBER: _ClassVar[int]
    WRITE_LATENCY_TICKS_FIELD_NUMBER: _ClassVar[int]
    WRITE_OPS_FIELD_NUMBER: _ClassVar[int]
    read_bytes: int
    read_latency_ticks: int
    read_ops: int
    tick_rate: int
    unmap_bytes: int
    unmap_latency_ticks: int
    unmap_ops: int
    write_bytes: int
    write_latency_ticks: int
    write_ops: int
    def __init__(self, read_bytes: _Optional[int] = ..., read_ops: _Optional[int] = ..., write_bytes: _Optional[int] = ..., write_ops: _Optional[int] = ..., unmap_bytes: _Optional[int] = ..., unmap_ops: _Optional[int] = ..., read_latency_ticks: _Optional[int] = ..., write_latency_ticks: _Optional[int] = ..., unmap_latency_ticks: _Optional[int] = ..., tick_rate: _Optional[int] = ...) -> None: ...

class NvmeTransportType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class NvmeAddressFamily(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
