from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from opi.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

AUTH_METHOD_PSK: AuthMethod
AUTH_METHOD_PUBKEY: AuthMethod
AUTH_METHOD_UNSPECIFIED: AuthMethod
CHILD_SA_STATE_CREATED: ChildSaState
CHILD_SA_STATE_DELETED: ChildSaState
CHILD_SA_STATE_DELETING: ChildSaState
CHILD_SA_STATE_DESTROYING: ChildSaState
CHILD_SA_STATE_INSTALLED: ChildSaState
CHILD_SA_STATE_INSTALLING: ChildSaState
CHILD_SA_STATE_REKEYED: ChildSaState
CHILD_SA_STATE_REKEYING: ChildSaState
CHILD_SA_STATE_RETRYING: ChildSaState
CHILD_SA_STATE_ROUTED: ChildSaState
CHILD_SA_STATE_UNSPECIFIED: ChildSaState
CHILD_SA_STATE_UPDATING: ChildSaState
DESCRIPTOR: _descriptor.FileDescriptor
DPD_ACTION_CLEAR: DpdAction
DPD_ACTION_RESTART: DpdAction
DPD_ACTION_TRAP: DpdAction
DPD_ACTION_UNSPECIFIED: DpdAction
IKE_SA_STATE_CONNECTING: IkeSaState
IKE_SA_STATE_CREATED: IkeSaState
IKE_SA_STATE_DELETING: IkeSaState
IKE_SA_STATE_DESTROYING: IkeSaState
IKE_SA_STATE_ESTABLISHED: IkeSaState
IKE_SA_STATE_PASSIVE: IkeSaState
IKE_SA_STATE_REKEYED: IkeSaState
IKE_SA_STATE_REKEYING: IkeSaState
IKE_SA_STATE_UNSPECIFIED: IkeSaState
IKE_VERSION_IKEV1: IkeVersion
IKE_VERSION_IKEV2: IkeVersion
IKE_VERSION_UNSPECIFIED: IkeVersion
IPSEC_MODE_TRANSPORT: IpsecMode
IPSEC_MODE_TUNNEL: IpsecMode
IPSEC_MODE_UNSPECIFIED: IpsecMode
SA_EVENT_TYPE_CHILD_DOWN: SaEventType
SA_EVENT_TYPE_CHILD_REKEYED: SaEventType
SA_EVENT_TYPE_CHILD_UP: SaEventType
SA_EVENT_TYPE_DAEMON_RECONNECTED: SaEventType
SA_EVENT_TYPE_IKE_DOWN: SaEventType
SA_EVENT_TYPE_IKE_REKEYED: SaEventType
SA_EVENT_TYPE_IKE_UP: SaEventType
SA_EVENT_TYPE_UNSPECIFIED: SaEventType
START_ACTION_START: StartAction
START_ACTION_TRAP: StartAction
START_ACTION_UNSPECIFIED: StartAction

class AddressPool(_message.Message):
    __slots__ = ["addrs", "dns", "name", "status"]
    ADDRS_FIELD_NUMBER: _ClassVar[int]
    DNS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    addrs: str
    dns: _containers.RepeatedScalarFieldContainer[str]
    name: str
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., addrs: _Optional[str] = ..., dns: _Optional[_Iterable[str]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class Authentication(_message.Message):
    __slots__ = ["ca_certificate", "certificate", "id", "method", "pre_shared_key", "private_key"]
    CA_CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PRE_SHARED_KEY_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    ca_certificate: str
    certificate: str
    id: str
    method: AuthMethod
    pre_shared_key: str
    private_key: str
    def __init__(self, method: _Optional[_Union[AuthMethod, str]] = ..., id: _Optional[str] = ..., pre_shared_key: _Optional[str] = ..., certificate: _Optional[str] = ..., private_key: _Optional[str] = ..., ca_certificate: _Optional[str] = ...) -> None: ...

class Certificate(_message.Message):
    __slots__ = ["is_ca", "issuer", "name", "not_after", "pem", "status", "subject"]
    ISSUER_FIELD_NUMBER: _ClassVar[int]
    IS_CA_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    PEM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    is_ca: bool
    issuer: str
    name: str
    not_after: _timestamp_pb2.Timestamp
    pem: str
    status: _common_pb2.ResourceStatus
    subject: str
    def __init__(self, name: _Optional[str] = ..., pem: _Optional[str] = ..., subject: _Optional[str] = ..., issuer: _Optional[str] = ..., is_ca: bool = ..., not_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class ChildSa(_message.Message):
    __slots__ = ["bytes_in", "bytes_out", "ike_connection", "ike_sa_unique_id", "installed", "local_ts", "mode", "name", "packets_in", "packets_out", "proposal", "remote_ts", "spi_in", "spi_out", "state", "unique_id"]
    BYTES_IN_FIELD_NUMBER: _ClassVar[int]
    BYTES_OUT_FIELD_NUMBER: _ClassVar[int]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    IKE_SA_UNIQUE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PACKETS_IN_FIELD_NUMBER: _ClassVar[int]
    PACKETS_OUT_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REMOTE_TS_FIELD_NUMBER: _ClassVar[int]
    SPI_IN_FIELD_NUMBER: _ClassVar[int]
    SPI_OUT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_ID_FIELD_NUMBER: _ClassVar[int]
    bytes_in: int
    bytes_out: int
    ike_connection: str
    ike_sa_unique_id: int
    installed: _duration_pb2.Duration
    local_ts: _containers.RepeatedScalarFieldContainer[str]
    mode: IpsecMode
    name: str
    packets_in: int
    packets_out: int
    proposal: str
    remote_ts: _containers.RepeatedScalarFieldContainer[str]
    spi_in: str
    spi_out: str
    state: ChildSaState
    unique_id: int
    def __init__(self, ike_connection: _Optional[str] = ..., name: _Optional[str] = ..., unique_id: _Optional[int] = ..., ike_sa_unique_id: _Optional[int] = ..., state: _Optional[_Union[ChildSaState, str]] = ..., mode: _Optional[_Union[IpsecMode, str]] = ..., proposal: _Optional[str] = ..., spi_in: _Optional[str] = ..., spi_out: _Optional[str] = ..., bytes_in: _Optional[int] = ..., packets_in: _Optional[int] = ..., bytes_out: _Optional[int] = ..., packets_out: _Optional[int] = ..., local_ts: _Optional[_Iterable[str]] = ..., remote_ts: _Optional[_Iterable[str]] = ..., installed: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ChildSaConfig(_message.Message):
    __slots__ = ["dpd_action", "esp_proposals", "local_ts", "mode", "name", "rekey_time", "remote_ts", "start_action"]
    DPD_ACTION_FIELD_NUMBER: _ClassVar[int]
    ESP_PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_TS_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REKEY_TIME_FIELD_NUMBER: _ClassVar[int]
    REMOTE_TS_FIELD_NUMBER: _ClassVar[int]
    START_ACTION_FIELD_NUMBER: _ClassVar[int]
    dpd_action: DpdAction
    esp_proposals: _containers.RepeatedScalarFieldContainer[str]
    local_ts: _containers.RepeatedScalarFieldContainer[str]
    mode: IpsecMode
    name: str
    rekey_time: _duration_pb2.Duration
    remote_ts: _containers.RepeatedScalarFieldContainer[str]
    start_action: StartAction
    def __init__(self, name: _Optional[str] = ..., local_ts: _Optional[_Iterable[str]] = ..., remote_ts: _Optional[_Iterable[str]] = ..., esp_proposals: _Optional[_Iterable[str]] = ..., mode: _Optional[_Union[IpsecMode, str]] = ..., start_action: _Optional[_Union[StartAction, str]] = ..., dpd_action: _Optional[_Union[DpdAction, str]] = ..., rekey_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CreateAddressPoolRequest(_message.Message):
    __slots__ = ["address_pool", "address_pool_id"]
    ADDRESS_POOL_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_POOL_ID_FIELD_NUMBER: _ClassVar[int]
    address_pool: AddressPool
    address_pool_id: str
    def __init__(self, address_pool: _Optional[_Union[AddressPool, _Mapping]] = ..., address_pool_id: _Optional[str] = ...) -> None: ...

class CreateCertificateRequest(_message.Message):
    __slots__ = ["certificate", "certificate_id"]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_ID_FIELD_NUMBER: _ClassVar[int]
    certificate: Certificate
    certificate_id: str
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ..., certificate_id: _Optional[str] = ...) -> None: ...

class CreateIkeConnectionRequest(_message.Message):
    __slots__ = ["ike_connection", "ike_connection_id"]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    IKE_CONNECTION_ID_FIELD_NUMBER: _ClassVar[int]
    ike_connection: IkeConnection
    ike_connection_id: str
    def __init__(self, ike_connection: _Optional[_Union[IkeConnection, _Mapping]] = ..., ike_connection_id: _Optional[str] = ...) -> None: ...

class CreatePreSharedKeyRequest(_message.Message):
    __slots__ = ["pre_shared_key", "pre_shared_key_id"]
    PRE_SHARED_KEY_FIELD_NUMBER: _ClassVar[int]
    PRE_SHARED_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    pre_shared_key: PreSharedKey
    pre_shared_key_id: str
    def __init__(self, pre_shared_key: _Optional[_Union[PreSharedKey, _Mapping]] = ..., pre_shared_key_id: _Optional[str] = ...) -> None: ...

class CreatePrivateKeyRequest(_message.Message):
    __slots__ = ["private_key", "private_key_id"]
    PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    private_key: PrivateKey
    private_key_id: str
    def __init__(self, private_key: _Optional[_Union[PrivateKey, _Mapping]] = ..., private_key_id: _Optional[str] = ...) -> None: ...

class DeleteAddressPoolRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteCertificateRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeleteIkeConnectionRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeletePreSharedKeyRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class DeletePrivateKeyRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetAddressPoolRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetCertificateRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetIkeConnectionRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetIpsecStatsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetIpsecVersionRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class GetPreSharedKeyRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPrivateKeyRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class IkeConnection(_message.Message):
    __slots__ = ["children", "desired_up", "dpd_delay", "force_udp_encapsulation", "local_addrs", "local_auth", "local_port", "name", "pools", "proposals", "rekey_time", "remote_addrs", "remote_auth", "remote_port", "status", "version", "vips"]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    DESIRED_UP_FIELD_NUMBER: _ClassVar[int]
    DPD_DELAY_FIELD_NUMBER: _ClassVar[int]
    FORCE_UDP_ENCAPSULATION_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ADDRS_FIELD_NUMBER: _ClassVar[int]
    LOCAL_AUTH_FIELD_NUMBER: _ClassVar[int]
    LOCAL_PORT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    POOLS_FIELD_NUMBER: _ClassVar[int]
    PROPOSALS_FIELD_NUMBER: _ClassVar[int]
    REKEY_TIME_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDRS_FIELD_NUMBER: _ClassVar[int]
    REMOTE_AUTH_FIELD_NUMBER: _ClassVar[int]
    REMOTE_PORT_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    VIPS_FIELD_NUMBER: _ClassVar[int]
    children: _containers.RepeatedCompositeFieldContainer[ChildSaConfig]
    desired_up: bool
    dpd_delay: _duration_pb2.Duration
    force_udp_encapsulation: bool
    local_addrs: _containers.RepeatedScalarFieldContainer[str]
    local_auth: Authentication
    local_port: int
    name: str
    pools: _containers.RepeatedScalarFieldContainer[str]
    proposals: _containers.RepeatedScalarFieldContainer[str]
    rekey_time: _duration_pb2.Duration
    remote_addrs: _containers.RepeatedScalarFieldContainer[str]
    remote_auth: Authentication
    remote_port: int
    status: _common_pb2.ResourceStatus
    version: IkeVersion
    vips: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[_Union[IkeVersion, str]] = ..., local_addrs: _Optional[_Iterable[str]] = ..., remote_addrs: _Optional[_Iterable[str]] = ..., local_port: _Optional[int] = ..., remote_port: _Optional[int] = ..., proposals: _Optional[_Iterable[str]] = ..., local_auth: _Optional[_Union[Authentication, _Mapping]] = ..., remote_auth: _Optional[_Union[Authentication, _Mapping]] = ..., children: _Optional[_Iterable[_Union[ChildSaConfig, _Mapping]]] = ..., dpd_delay: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., force_udp_encapsulation: bool = ..., rekey_time: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., desired_up: bool = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., vips: _Optional[_Iterable[str]] = ..., pools: _Optional[_Iterable[str]] = ...) -> None: ...

class IkeSa(_message.Message):
    __slots__ = ["child_sas", "established", "ike_connection", "initiator", "local_host", "local_id", "local_vips", "proposal", "remote_host", "remote_id", "remote_vips", "state", "unique_id", "version"]
    CHILD_SAS_FIELD_NUMBER: _ClassVar[int]
    ESTABLISHED_FIELD_NUMBER: _ClassVar[int]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    INITIATOR_FIELD_NUMBER: _ClassVar[int]
    LOCAL_HOST_FIELD_NUMBER: _ClassVar[int]
    LOCAL_ID_FIELD_NUMBER: _ClassVar[int]
    LOCAL_VIPS_FIELD_NUMBER: _ClassVar[int]
    PROPOSAL_FIELD_NUMBER: _ClassVar[int]
    REMOTE_HOST_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ID_FIELD_NUMBER: _ClassVar[int]
    REMOTE_VIPS_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    child_sas: _containers.RepeatedCompositeFieldContainer[ChildSa]
    established: _duration_pb2.Duration
    ike_connection: str
    initiator: bool
    local_host: str
    local_id: str
    local_vips: _containers.RepeatedScalarFieldContainer[str]
    proposal: str
    remote_host: str
    remote_id: str
    remote_vips: _containers.RepeatedScalarFieldContainer[str]
    state: IkeSaState
    unique_id: int
    version: IkeVersion
    def __init__(self, ike_connection: _Optional[str] = ..., unique_id: _Optional[int] = ..., state: _Optional[_Union[IkeSaState, str]] = ..., version: _Optional[_Union[IkeVersion, str]] = ..., local_host: _Optional[str] = ..., remote_host: _Optional[str] = ..., local_id: _Optional[str] = ..., remote_id: _Optional[str] = ..., initiator: bool = ..., proposal: _Optional[str] = ..., established: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., child_sas: _Optional[_Iterable[_Union[ChildSa, _Mapping]]] = ..., local_vips: _Optional[_Iterable[str]] = ..., remote_vips: _Optional[_Iterable[str]] = ...) -> None: ...

class InitiateIkeConnectionRequest(_message.Message):
    __slots__ = ["child", "name", "timeout"]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    child: str
    name: str
    timeout: _duration_pb2.Duration
    def __init__(self, name: _Optional[str] = ..., child: _Optional[str] = ..., timeout: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class InitiateIkeConnectionResponse(_message.Message):
    __slots__ = ["ike_sas"]
    IKE_SAS_FIELD_NUMBER: _ClassVar[int]
    ike_sas: _containers.RepeatedCompositeFieldContainer[IkeSa]
    def __init__(self, ike_sas: _Optional[_Iterable[_Union[IkeSa, _Mapping]]] = ...) -> None: ...

class IpsecStats(_message.Message):
    __slots__ = ["ike_sas_half_open", "ike_sas_total", "plugins", "scheduled_jobs", "start_time", "uptime", "workers_idle", "workers_total"]
    IKE_SAS_HALF_OPEN_FIELD_NUMBER: _ClassVar[int]
    IKE_SAS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    PLUGINS_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_JOBS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    UPTIME_FIELD_NUMBER: _ClassVar[int]
    WORKERS_IDLE_FIELD_NUMBER: _ClassVar[int]
    WORKERS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    ike_sas_half_open: int
    ike_sas_total: int
    plugins: _containers.RepeatedScalarFieldContainer[str]
    scheduled_jobs: int
    start_time: _timestamp_pb2.Timestamp
    uptime: _duration_pb2.Duration
    workers_idle: int
    workers_total: int
    def __init__(self, start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., uptime: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ..., workers_total: _Optional[int] = ..., workers_idle: _Optional[int] = ..., scheduled_jobs: _Optional[int] = ..., ike_sas_total: _Optional[int] = ..., ike_sas_half_open: _Optional[int] = ..., plugins: _Optional[_Iterable[str]] = ...) -> None: ...

class IpsecVersion(_message.Message):
    __slots__ = ["daemon", "machine", "release", "sysname", "version"]
    DAEMON_FIELD_NUMBER: _ClassVar[int]
    MACHINE_FIELD_NUMBER: _ClassVar[int]
    RELEASE_FIELD_NUMBER: _ClassVar[int]
    SYSNAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    daemon: str
    machine: str
    release: str
    sysname: str
    version: str
    def __init__(self, daemon: _Optional[str] = ..., version: _Optional[str] = ..., sysname: _Optional[str] = ..., release: _Optional[str] = ..., machine: _Optional[str] = ...) -> None: ...

class ListAddressPoolsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListAddressPoolsResponse(_message.Message):
    __slots__ = ["address_pools", "next_page_token"]
    ADDRESS_POOLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    address_pools: _containers.RepeatedCompositeFieldContainer[AddressPool]
    next_page_token: str
    def __init__(self, address_pools: _Optional[_Iterable[_Union[AddressPool, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListCertificatesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCertificatesResponse(_message.Message):
    __slots__ = ["certificates", "next_page_token"]
    CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    certificates: _containers.RepeatedCompositeFieldContainer[Certificate]
    next_page_token: str
    def __init__(self, certificates: _Optional[_Iterable[_Union[Certificate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListChildSasRequest(_message.Message):
    __slots__ = ["ike_connection", "page_size", "page_token"]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ike_connection: str
    page_size: int
    page_token: str
    def __init__(self, ike_connection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListChildSasResponse(_message.Message):
    __slots__ = ["child_sas", "next_page_token"]
    CHILD_SAS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    child_sas: _containers.RepeatedCompositeFieldContainer[ChildSa]
    next_page_token: str
    def __init__(self, child_sas: _Optional[_Iterable[_Union[ChildSa, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListIkeConnectionsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIkeConnectionsResponse(_message.Message):
    __slots__ = ["ike_connections", "next_page_token"]
    IKE_CONNECTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ike_connections: _containers.RepeatedCompositeFieldContainer[IkeConnection]
    next_page_token: str
    def __init__(self, ike_connections: _Optional[_Iterable[_Union[IkeConnection, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListIkeSasRequest(_message.Message):
    __slots__ = ["ike_connection", "page_size", "page_token"]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ike_connection: str
    page_size: int
    page_token: str
    def __init__(self, ike_connection: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListIkeSasResponse(_message.Message):
    __slots__ = ["ike_sas", "next_page_token"]
    IKE_SAS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ike_sas: _containers.RepeatedCompositeFieldContainer[IkeSa]
    next_page_token: str
    def __init__(self, ike_sas: _Optional[_Iterable[_Union[IkeSa, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPreSharedKeysRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPreSharedKeysResponse(_message.Message):
    __slots__ = ["next_page_token", "pre_shared_keys"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRE_SHARED_KEYS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    pre_shared_keys: _containers.RepeatedCompositeFieldContainer[PreSharedKey]
    def __init__(self, pre_shared_keys: _Optional[_Iterable[_Union[PreSharedKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListPrivateKeysRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListPrivateKeysResponse(_message.Message):
    __slots__ = ["next_page_token", "private_keys"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEYS_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    private_keys: _containers.RepeatedCompositeFieldContainer[PrivateKey]
    def __init__(self, private_keys: _Optional[_Iterable[_Union[PrivateKey, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PreSharedKey(_message.Message):
    __slots__ = ["name", "secret", "status"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SECRET_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    name: str
    secret: bytes
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., secret: _Optional[bytes] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class PrivateKey(_message.Message):
    __slots__ = ["algorithm", "key_id", "name", "pem", "status"]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PEM_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    algorithm: str
    key_id: str
    name: str
    pem: bytes
    status: _common_pb2.ResourceStatus
    def __init__(self, name: _Optional[str] = ..., pem: _Optional[bytes] = ..., algorithm: _Optional[str] = ..., key_id: _Optional[str] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ...) -> None: ...

class RekeyIkeConnectionRequest(_message.Message):
    __slots__ = ["child", "name", "reauth"]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REAUTH_FIELD_NUMBER: _ClassVar[int]
    child: str
    name: str
    reauth: bool
    def __init__(self, name: _Optional[str] = ..., child: _Optional[str] = ..., reauth: bool = ...) -> None: ...

class RekeyIkeConnectionResponse(_message.Message):
    __slots__ = ["rekeyed"]
    REKEYED_FIELD_NUMBER: _ClassVar[int]
    rekeyed: int
    def __init__(self, rekeyed: _Optional[int] = ...) -> None: ...

class SaEvent(_message.Message):
    __slots__ = ["event_time", "ike_connection", "ike_sa", "type"]
    EVENT_TIME_FIELD_NUMBER: _ClassVar[int]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    IKE_SA_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    event_time: _timestamp_pb2.Timestamp
    ike_connection: str
    ike_sa: IkeSa
    type: SaEventType
    def __init__(self, type: _Optional[_Union[SaEventType, str]] = ..., ike_connection: _Optional[str] = ..., ike_sa: _Optional[_Union[IkeSa, _Mapping]] = ..., event_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TerminateIkeConnectionRequest(_message.Message):
    __slots__ = ["child", "force", "name"]
    CHILD_FIELD_NUMBER: _ClassVar[int]
    FORCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    child: str
    force: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., child: _Optional[str] = ..., force: bool = ...) -> None: ...

class TerminateIkeConnectionResponse(_message.Message):
    __slots__ = ["terminated"]
    TERMINATED_FIELD_NUMBER: _ClassVar[int]
    terminated: int
    def __init__(self, terminated: _Optional[int] = ...) -> None: ...

class UpdateAddressPoolRequest(_message.Message):
    __slots__ = ["address_pool", "allow_missing", "update_mask"]
    ADDRESS_POOL_FIELD_NUMBER: _ClassVar[int]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    address_pool: AddressPool
    allow_missing: bool
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, address_pool: _Optional[_Union[AddressPool, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateCertificateRequest(_message.Message):
    __slots__ = ["allow_missing", "certificate", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    CERTIFICATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    certificate: Certificate
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, certificate: _Optional[_Union[Certificate, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdateIkeConnectionRequest(_message.Message):
    __slots__ = ["allow_missing", "ike_connection", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    ike_connection: IkeConnection
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, ike_connection: _Optional[_Union[IkeConnection, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdatePreSharedKeyRequest(_message.Message):
    __slots__ = ["allow_missing", "pre_shared_key", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    PRE_SHARED_KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    pre_shared_key: PreSharedKey
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, pre_shared_key: _Optional[_Union[PreSharedKey, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class UpdatePrivateKeyRequest(_message.Message):
    __slots__ = ["allow_missing", "private_key", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    private_key: PrivateKey
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, private_key: _Optional[_Union[PrivateKey, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class WatchSaEventsRequest(_message.Message):
    __slots__ = ["ike_connection"]
    IKE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    ike_connection: str
    def __init__(self, ike_connection: _Optional[str] = ...) -> None: ...

class IkeVersion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class AuthMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class IpsecMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class StartAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class DpdAction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class IkeSaState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ChildSaState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SaEventType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
