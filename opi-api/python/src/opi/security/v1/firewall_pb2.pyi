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

DESCRIPTOR: _descriptor.FileDescriptor
FIREWALL_ACTION_ALLOW: FirewallAction
FIREWALL_ACTION_COUNT: FirewallAction
FIREWALL_ACTION_DROP: FirewallAction
FIREWALL_ACTION_UNSPECIFIED: FirewallAction
IP_PROTOCOL_ICMP: IpProtocol
IP_PROTOCOL_ICMPV6: IpProtocol
IP_PROTOCOL_SCTP: IpProtocol
IP_PROTOCOL_TCP: IpProtocol
IP_PROTOCOL_UDP: IpProtocol
IP_PROTOCOL_UNSPECIFIED: IpProtocol
XDP_ATTACH_MODE_AUTO: XdpAttachMode
XDP_ATTACH_MODE_GENERIC: XdpAttachMode
XDP_ATTACH_MODE_NATIVE: XdpAttachMode
XDP_ATTACH_MODE_UNSPECIFIED: XdpAttachMode

class CreateFirewallPolicyRequest(_message.Message):
    __slots__ = ["firewall_policy", "firewall_policy_id"]
    FIREWALL_POLICY_FIELD_NUMBER: _ClassVar[int]
    FIREWALL_POLICY_ID_FIELD_NUMBER: _ClassVar[int]
    firewall_policy: FirewallPolicy
    firewall_policy_id: str
    def __init__(self, firewall_policy: _Optional[_Union[FirewallPolicy, _Mapping]] = ..., firewall_policy_id: _Optional[str] = ...) -> None: ...

class DeleteFirewallPolicyRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class FirewallCounters(_message.Message):
    __slots__ = ["bytes", "packets"]
    BYTES_FIELD_NUMBER: _ClassVar[int]
    PACKETS_FIELD_NUMBER: _ClassVar[int]
    bytes: int
    packets: int
    def __init__(self, packets: _Optional[int] = ..., bytes: _Optional[int] = ...) -> None: ...

class FirewallPolicy(_message.Message):
    __slots__ = ["attach_mode", "default_action", "interfaces", "name", "rules", "status"]
    ATTACH_MODE_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_ACTION_FIELD_NUMBER: _ClassVar[int]
    INTERFACES_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    attach_mode: XdpAttachMode
    default_action: FirewallAction
    interfaces: _containers.RepeatedScalarFieldContainer[str]
    name: str
    rules: _containers.RepeatedCompositeFieldContainer[FirewallRule]
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., interfaces: _Optional[_Iterable[str]] = ..., attach_mode: _Optional[_Union[XdpAttachMode, str]] = ..., default_action: _Optional[_Union[FirewallAction, str]] = ..., rules: _Optional[_Iterable[_Union[FirewallRule, _Mapping]]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class FirewallRule(_message.Message):
    __slots__ = ["action", "description", "destination_cidrs", "destination_ports", "priority", "protocol", "source_cidrs", "source_ports"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_CIDRS_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_PORTS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_CIDRS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PORTS_FIELD_NUMBER: _ClassVar[int]
    action: FirewallAction
    description: str
    destination_cidrs: _containers.RepeatedScalarFieldContainer[str]
    destination_ports: PortRange
    priority: int
    protocol: IpProtocol
    source_cidrs: _containers.RepeatedScalarFieldContainer[str]
    source_ports: PortRange
    def __init__(self, priority: _Optional[int] = ..., source_cidrs: _Optional[_Iterable[str]] = ..., destination_cidrs: _Optional[_Iterable[str]] = ..., protocol: _Optional[_Union[IpProtocol, str]] = ..., source_ports: _Optional[_Union[PortRange, _Mapping]] = ..., destination_ports: _Optional[_Union[PortRange, _Mapping]] = ..., action: _Optional[_Union[FirewallAction, str]] = ..., description: _Optional[str] = ...) -> None: ...

class FirewallRuleStats(_message.Message):
    __slots__ = ["counters", "priority"]
    COUNTERS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    counters: FirewallCounters
    priority: int
    def __init__(self, priority: _Optional[int] = ..., counters: _Optional[_Union[FirewallCounters, _Mapping]] = ...) -> None: ...

class GetFirewallPolicyRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListFirewallPoliciesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListFirewallPoliciesResponse(_message.Message):
    __slots__ = ["firewall_policies", "next_page_token"]
    FIREWALL_POLICIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    firewall_policies: _containers.RepeatedCompositeFieldContainer[FirewallPolicy]
    next_page_token: str
    def __init__(self, firewall_policies: _Optional[_Iterable[_Union[FirewallPolicy, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PortRange(_message.Message):
    __slots__ = ["first", "last"]
    FIRST_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    first: int
    last: int
    def __init__(self, first: _Optional[int] = ..., last: _Optional[int] = ...) -> None: ...

class StatsFirewallPolicyRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsFirewallPolicyResponse(_message.Message):
    __slots__ = ["default_action", "malformed", "rules"]
    DEFAULT_ACTION_FIELD_NUMBER: _ClassVar[int]
    MALFORMED_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    default_action: FirewallCounters
    malformed: FirewallCounters
    rules: _containers.RepeatedCompositeFieldContainer[FirewallRuleStats]
    def __init__(self, rules: _Optional[_Iterable[_Union[FirewallRuleStats, _Mapping]]] = ..., default_action: _Optional[_Union[FirewallCounters, _Mapping]] = ..., malformed: _Optional[_Union[FirewallCounters, _Mapping]] = ...) -> None: ...

class UpdateFirewallPolicyRequest(_message.Message):
    __slots__ = ["allow_missing", "firewall_policy", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    FIREWALL_POLICY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    firewall_policy: FirewallPolicy
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, firewall_policy: _Optional[_Union[FirewallPolicy, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class FirewallAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class XdpAttachMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class IpProtocol(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
