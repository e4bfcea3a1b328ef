from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

BRIDGE_PORT_TYPE_ACCESS: BridgePortType
BRIDGE_PORT_TYPE_TRUNK: BridgePortType
BRIDGE_PORT_TYPE_UNSPECIFIED: BridgePortType
COMPONENT_STATE_APPLIED: ComponentState
COMPONENT_STATE_ERROR: ComponentState
COMPONENT_STATE_PENDING: ComponentState
COMPONENT_STATE_UNSPECIFIED: ComponentState
DESCRIPTOR: _descriptor.FileDescriptor

class BridgePort(_message.Message):
    __slots__ = ["components", "interface", "logical_bridges", "mac_address", "name", "ptype", "status"]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_BRIDGES_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PTYPE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[ComponentStatus]
    interface: str
    logical_bridges: _containers.RepeatedScalarFieldContainer[str]
    mac_address: str
    name: str
    ptype: BridgePortType
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., mac_address: _Optional[str] = ..., ptype: _Optional[_Union[BridgePortType, str]] = ..., logical_bridges: _Optional[_Iterable[str]] = ..., interface: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentStatus, _Mapping]]] = ...) -> None: ...

class ComponentStatus(_message.Message):
    __slots__ = ["message", "name", "state"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    message: str
    name: str
    state: ComponentState
    def __init__(self, name: _Optional[str] = ..., state: _Optional[_Union[ComponentState, str]] = ..., message: _Optional[str] = ...) -> None: ...

class CreateBridgePortRequest(_message.Message):
    __slots__ = ["bridge_port", "bridge_port_id"]
    BRIDGE_PORT_FIELD_NUMBER: _ClassVar[int]
    BRIDGE_PORT_ID_FIELD_NUMBER: _ClassVar[int]
    bridge_port: BridgePort
    bridge_port_id: str
    def __init__(self, bridge_port: _Optional[_Union[BridgePort, _Mapping]] = ..., bridge_port_id: _Optional[str] = ...) -> None: ...

class CreateLogicalBridgeRequest(_message.Message):
    __slots__ = ["logical_bridge", "logical_bridge_id"]
    LOGICAL_BRIDGE_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_BRIDGE_ID_FIELD_NUMBER: _ClassVar[int]
    logical_bridge: LogicalBridge
    logical_bridge_id: str
    def __init__(self, logical_bridge: _Optional[_Union[LogicalBridge, _Mapping]] = ..., logical_bridge_id: _Optional[str] = ...) -> None: ...

class CreateSviRequest(_message.Message):
    __slots__ = ["svi", "svi_id"]
    SVI_FIELD_NUMBER: _ClassVar[int]
    SVI_ID_FIELD_NUMBER: _ClassVar[int]
    svi: Svi
    svi_id: str
    def __init__(self, svi: _Optional[_Union[Svi, _Mapping]] = ..., svi_id: _Optional[str] = ...) -> None: ...

class CreateVrfRequest(_message.Message):
    __slots__ = ["vrf", "vrf_id"]
    VRF_FIELD_NUMBER: _ClassVar[int]
    VRF_ID_FIELD_NUMBER: _ClassVar[int]
    vrf: Vrf
    vrf_id: str
    def __init__(self, vrf: _Optional[_Union[Vrf, _Mapping]] = ..., vrf_id: _Optional[str] = ...) -> None: ...

class DeleteBridgePortRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteLogicalBridgeRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteSviRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteVrfRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetBridgePortRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetLogicalBridgeRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetNetInterfaceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetSviRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetVrfRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListBridgePortsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListBridgePortsResponse(_message.Message):
    __slots__ = ["bridge_ports", "next_page_token"]
    BRIDGE_PORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    bridge_ports: _containers.RepeatedCompositeFieldContainer[BridgePort]
    next_page_token: str
    def __init__(self, bridge_ports: _Optional[_Iterable[_Union[BridgePort, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListLogicalBridgesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLogicalBridgesResponse(_message.Message):
    __slots__ = ["logical_bridges", "next_page_token"]
    LOGICAL_BRIDGES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    logical_bridges: _containers.RepeatedCompositeFieldContainer[LogicalBridge]
    next_page_token: str
    def __init__(self, logical_bridges: _Optional[_Iterable[_Union[LogicalBridge, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListNetInterfacesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListNetInterfacesResponse(_message.Message):
    __slots__ = ["net_interfaces", "next_page_token"]
    NET_INTERFACES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    net_interfaces: _containers.RepeatedCompositeFieldContainer[NetInterface]
    next_page_token: str
    def __init__(self, net_interfaces: _Optional[_Iterable[_Union[NetInterface, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListSvisRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSvisResponse(_message.Message):
    __slots__ = ["next_page_token", "svis"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SVIS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    svis: _containers.RepeatedCompositeFieldContainer[Svi]
    def __init__(self, svis: _Optional[_Iterable[_Union[Svi, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListVrfsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListVrfsResponse(_message.Message):
    __slots__ = ["next_page_token", "vrfs"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VRFS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    vrfs: _containers.RepeatedCompositeFieldContainer[Vrf]
    def __init__(self, vrfs: _Optional[_Iterable[_Union[Vrf, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class LogicalBridge(_message.Message):
    __slots__ = ["components", "name", "remote_vteps", "status", "vlan_id", "vni", "vtep_ip"]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REMOTE_VTEPS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VLAN_ID_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    VTEP_IP_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[ComponentStatus]
    name: str
    remote_vteps: _containers.RepeatedScalarFieldContainer[str]
    status: _common_pb2.ResourceStatus
    vlan_id: int
    vni: int
    vtep_ip: str
    def __init__(self, name: _Optional[str] = ..., vlan_id: _Optional[int] = ..., vni: _Optional[int] = ..., vtep_ip: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentStatus, _Mapping]]] = ..., remote_vteps: _Optional[_Iterable[str]] = ...) -> None: ...

class NetInterface(_message.Message):
    __slots__ = ["addresses", "admin_up", "counters", "if_index", "kind", "mac_address", "master", "mtu", "name", "oper_up"]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    ADMIN_UP_FIELD_NUMBER: _ClassVar[int]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    IF_INDEX_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MASTER_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OPER_UP_FIELD_NUMBER: _ClassVar[int]
    addresses: _containers.RepeatedScalarFieldContainer[str]
    admin_up: bool
    counters: NetInterfaceCounters
    if_index: int
    kind: str
    mac_address: str
    master: str
    mtu: int
    name: str
    oper_up: bool
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., mac_address: _Optional[str] = ..., mtu: _Optional[int] = ..., admin_up: bool = ..., oper_up: bool = ..., master: _Optional[str] = ..., addresses: _Optional[_Iterable[str]] = ..., counters: _Optional[_Union[NetInterfaceCounters, _Mapping]] = ..., if_index: _Optional[int] = ...) -> None: ...

class NetInterfaceCounters(_message.Message):
    __slots__ = ["in_bytes", "in_drops", "in_errors", "in_packets", "out_bytes", "out_drops", "out_errors", "out_packets"]
    IN_BYTES_FIELD_NUMBER: _ClassVar[int]
    IN_DROPS_FIELD_NUMBER: _ClassVar[int]
    IN_ERRORS_FIELD_NUMBER: _ClassVar[int]
    IN_PACKETS_FIELD_NUMBER: _ClassVar[int]
    OUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    OUT_DROPS_FIELD_NUMBER: _ClassVar[int]
    OUT_ERRORS_FIELD_NUMBER: _ClassVar[int]
    OUT_PACKETS_FIELD_NUMBER: _ClassVar[int]
    in_bytes: int
    in_drops: int
    in_errors: int
    in_packets: int
    out_bytes: int
    out_drops: int
    out_errors: int
    out_packets: int
    def __init__(self, in_bytes: _Optional[int] = ..., in_packets: _Optional[int] = ..., in_errors: _Optional[int] = ..., in_drops: _Optional[int] = ..., out_bytes: _Optional[int] = ..., out_packets: _Optional[int] = ..., out_errors: _Optional[int] = ..., out_drops: _Optional[int] = ...) -> None: ...

class Svi(_message.Message):
    __slots__ = ["components", "enable_bgp", "gw_ip_prefixes", "logical_bridge", "mac_address", "name", "remote_as", "status", "vrf"]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_BGP_FIELD_NUMBER: _ClassVar[int]
    GW_IP_PREFIXES_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_BRIDGE_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REMOTE_AS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VRF_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[ComponentStatus]
    enable_bgp: bool
    gw_ip_prefixes: _containers.RepeatedScalarFieldContainer[str]
    logical_bridge: str
    mac_address: str
    name: str
    remote_as: int
    status: _common_pb2.ResourceStatus
    vrf: str
    def __init__(self, name: _Optional[str] = ..., vrf: _Optional[str] = ..., logical_bridge: _Optional[str] = ..., mac_address: _Optional[str] = ..., gw_ip_prefixes: _Optional[_Iterable[str]] = ..., enable_bgp: bool = ..., remote_as: _Optional[int] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentStatus, _Mapping]]] = ...) -> None: ...

class UpdateBridgePortRequest(_message.Message):
    __slots__ = ["allow_missing", "bridge_port", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    BRIDGE_PORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    bridge_port: BridgePort
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, bridge_port: _Optional[_Union[BridgePort, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateLogicalBridgeRequest(_message.Message):
    __slots__ = ["allow_missing", "logical_bridge", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    LOGICAL_BRIDGE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    logical_bridge: LogicalBridge
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, logical_bridge: _Optional[_Union[LogicalBridge, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateNetInterfaceRequest(_message.Message):
    __slots__ = ["net_interface", "update_mask"]
    NET_INTERFACE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    net_interface: NetInterface
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, net_interface: _Optional[_Union[NetInterface, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class UpdateSviRequest(_message.Message):
    __slots__ = ["allow_missing", "svi", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    SVI_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    svi: Svi
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, svi: _Optional[_Union[Svi, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateVrfRequest(_message.Message):
    __slots__ = ["allow_missing", "update_mask", "vrf"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    VRF_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    vrf: Vrf
    def __init__(self, vrf: _Optional[_Union[Vrf, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class Vrf(_message.Message):
    __slots__ = ["components", "export_route_targets", "import_route_targets", "loopback_ip_prefix", "name", "route_distinguisher", "routing_table", "status", "vni", "vtep_ip"]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_ROUTE_TARGETS_FIELD_NUMBER: _ClassVar[int]
    IMPORT_ROUTE_TARGETS_FIELD_NUMBER: _ClassVar[int]
    LOOPBACK_IP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROUTE_DISTINGUISHER_FIELD_NUMBER: _ClassVar[int]
    ROUTING_TABLE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    VTEP_IP_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[ComponentStatus]
    export_route_targets: _containers.RepeatedScalarFieldContainer[str]
    import_route_targets: _containers.RepeatedScalarFieldContainer[str]
    loopback_ip_prefix: str
    name: str
    route_distinguisher: str
    routing_table: int
    status: _common_pb2.ResourceStatus
    vni: int
    vtep_ip: str
    def __init__(self, name: _Optional[str] = ..., vni: _Optional[int] = ..., loopback_ip_prefix: _Optional[str] = ..., vtep_ip: _Optional[str] = ..., route_distinguisher: _Optional[str] = ..., import_route_targets: _Optional[_Iterable[str]] = ..., export_route_targets: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., components: _Optional[_Iterable[_Union[ComponentStatus, _Mapping]]] = ..., routing_table: _Optional[int] = ...) -> None: ...

class ComponentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class BridgePortType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
