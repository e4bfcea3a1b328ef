from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateFabricPortRequest(_message.Message):
    __slots__ = ["fabric_port", "fabric_port_id", "validate_only"]
    FABRIC_PORT_FIELD_NUMBER: _ClassVar[int]
    FABRIC_PORT_ID_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    fabric_port: FabricPort
    fabric_port_id: str
    validate_only: bool
    def __init__(self, fabric_port: _Optional[_Union[FabricPort, _Mapping]] = ..., fabric_port_id: _Optional[str] = ..., validate_only: bool = ...) -> None: ...

class DeleteFabricPortRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DscpPriority(_message.Message):
    __slots__ = ["dscp", "priority"]
    DSCP_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    dscp: int
    priority: int
    def __init__(self, dscp: _Optional[int] = ..., priority: _Optional[int] = ...) -> None: ...

class EcnThresholds(_message.Message):
    __slots__ = ["max_bytes", "max_probability_percent", "min_bytes"]
    MAX_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_PROBABILITY_PERCENT_FIELD_NUMBER: _ClassVar[int]
    MIN_BYTES_FIELD_NUMBER: _ClassVar[int]
    max_bytes: int
    max_probability_percent: int
    min_bytes: int
    def __init__(self, min_bytes: _Optional[int] = ..., max_bytes: _Optional[int] = ..., max_probability_percent: _Optional[int] = ...) -> None: ...

class FabricCheck(_message.Message):
    __slots__ = ["feature", "reason", "supported"]
    FEATURE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SUPPORTED_FIELD_NUMBER: _ClassVar[int]
    feature: str
    reason: str
    supported: bool
    def __init__(self, feature: _Optional[str] = ..., supported: bool = ..., reason: _Optional[str] = ...) -> None: ...

class FabricPort(_message.Message):
    __slots__ = ["commands", "dscp_priorities", "dscp_trust", "ecn", "interface", "mtu", "name", "pfc_priorities", "status"]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    DSCP_PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    DSCP_TRUST_FIELD_NUMBER: _ClassVar[int]
    ECN_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PFC_PRIORITIES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    commands: _containers.RepeatedScalarFieldContainer[str]
    dscp_priorities: _containers.RepeatedCompositeFieldContainer[DscpPriority]
    dscp_trust: bool
    ecn: EcnThresholds
    interface: str
    mtu: int
    name: str
    pfc_priorities: _containers.RepeatedScalarFieldContainer[int]
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., interface: _Optional[str] = ..., mtu: _Optional[int] = ..., dscp_trust: bool = ..., dscp_priorities: _Optional[_Iterable[_Union[DscpPriority, _Mapping]]] = ..., ecn: _Optional[_Union[EcnThresholds, _Mapping]] = ..., pfc_priorities: _Optional[_Iterable[int]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., commands: _Optional[_Iterable[str]] = ...) -> None: ...

class GetFabricPortRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListFabricPortsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFabricPortsResponse(_message.Message):
    __slots__ = ["fabric_ports", "next_page_token"]
    FABRIC_PORTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    fabric_ports: _containers.RepeatedCompositeFieldContainer[FabricPort]
    next_page_token: str
    def __init__(self, fabric_ports: _Optional[_Iterable[_Union[FabricPort, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreflightFabricPortRequest(_message.Message):
    __slots__ = ["fabric_port"]
    FABRIC_PORT_FIELD_NUMBER: _ClassVar[int]
    fabric_port: FabricPort
    def __init__(self, fabric_port: _Optional[_Union[FabricPort, _Mapping]] = ...) -> None: ...

class PreflightFabricPortResponse(_message.Message):
    __slots__ = ["checks", "commands"]
    CHECKS_FIELD_NUMBER: _ClassVar[int]
    COMMANDS_FIELD_NUMBER: _ClassVar[int]
    checks: _containers.RepeatedCompositeFieldContainer[FabricCheck]
    commands: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, checks: _Optional[_Iterable[_Union[FabricCheck, _Mapping]]] = ..., commands: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateFabricPortRequest(_message.Message):
    __slots__ = ["allow_missing", "fabric_port", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    FABRIC_PORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    fabric_port: FabricPort
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, fabric_port: _Optional[_Union[FabricPort, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...
