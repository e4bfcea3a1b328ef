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

DESCRIPTOR: _descriptor.FileDescriptor
SZTP_CONFIGURATION_HANDLING_MERGE: SztpConfigurationHandling
SZTP_CONFIGURATION_HANDLING_REPLACE: SztpConfigurationHandling
SZTP_CONFIGURATION_HANDLING_UNSPECIFIED: SztpConfigurationHandling
SZTP_REPORTING_LEVEL_MINIMAL: SztpReportingLevel
SZTP_REPORTING_LEVEL_UNSPECIFIED: SztpReportingLevel
SZTP_REPORTING_LEVEL_VERBOSE: SztpReportingLevel
SZTP_VOUCHER_ASSERTION_LOGGED: SztpVoucherAssertion
SZTP_VOUCHER_ASSERTION_PROXIMITY: SztpVoucherAssertion
SZTP_VOUCHER_ASSERTION_UNSPECIFIED: SztpVoucherAssertion
SZTP_VOUCHER_ASSERTION_VERIFIED: SztpVoucherAssertion

class CreateSztpDeviceRequest(_message.Message):
    __slots__ = ["sztp_device", "sztp_device_id"]
    SZTP_DEVICE_FIELD_NUMBER: _ClassVar[int]
    SZTP_DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    sztp_device: SztpDevice
    sztp_device_id: str
    def __init__(self, sztp_device: _Optional[_Union[SztpDevice, _Mapping]] = ..., sztp_device_id: _Optional[str] = ...) -> None: ...

class DeleteSztpDeviceRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class GetSztpDeviceRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListSztpDevicesRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSztpDevicesResponse(_message.Message):
    __slots__ = ["next_page_token", "sztp_devices"]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SZTP_DEVICES_FIELD_NUMBER: _ClassVar[int]
    next_page_token: str
    sztp_devices: _containers.RepeatedCompositeFieldContainer[SztpDevice]
    def __init__(self, sztp_devices: _Optional[_Iterable[_Union[SztpDevice, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SztpBootImage(_message.Message):
    __slots__ = ["download_uris", "os_name", "os_version", "sha256"]
    DOWNLOAD_URIS_FIELD_NUMBER: _ClassVar[int]
    OS_NAME_FIELD_NUMBER: _ClassVar[int]
    OS_VERSION_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    download_uris: _containers.RepeatedScalarFieldContainer[str]
    os_name: str
    os_version: str
    sha256: bytes
    def __init__(self, os_name: _Optional[str] = ..., os_version: _Optional[str] = ..., download_uris: _Optional[_Iterable[str]] = ..., sha256: _Optional[bytes] = ...) -> None: ...

class SztpBootstrapServer(_message.Message):
    __slots__ = ["address", "port", "trust_anchor_certificates"]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    TRUST_ANCHOR_CERTIFICATES_FIELD_NUMBER: _ClassVar[int]
    address: str
    port: int
    trust_anchor_certificates: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, address: _Optional[str] = ..., port: _Optional[int] = ..., trust_anchor_certificates: _Optional[_Iterable[bytes]] = ...) -> None: ...

class SztpDevice(_message.Message):
    __slots__ = ["idevid_sha256", "name", "onboarding", "password", "progress_reports", "redirect", "reporting_level", "serial_number", "voucher"]
    IDEVID_SHA256_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ONBOARDING_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_REPORTS_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_FIELD_NUMBER: _ClassVar[int]
    REPORTING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    SERIAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VOUCHER_FIELD_NUMBER: _ClassVar[int]
    idevid_sha256: bytes
    name: str
    onboarding: SztpOnboarding
    password: str
    progress_reports: _containers.RepeatedCompositeFieldContainer[SztpProgressReport]
    redirect: SztpRedirect
    reporting_level: SztpReportingLevel
    serial_number: str
    voucher: SztpVoucherSettings
    def __init__(self, name: _Optional[str] = ..., serial_number: _Optional[str] = ..., password: _Optional[str] = ..., idevid_sha256: _Optional[bytes] = ..., redirect: _Optional[_Union[SztpRedirect, _Mapping]] = ..., onboarding: _Optional[_Union[SztpOnboarding, _Mapping]] = ..., voucher: _Optional[_Union[SztpVoucherSettings, _Mapping]] = ..., reporting_level: _Optional[_Union[SztpReportingLevel, str]] = ..., progress_reports: _Optional[_Iterable[_Union[SztpProgressReport, _Mapping]]] = ...) -> None: ...

class SztpOnboarding(_message.Message):
    __slots__ = ["boot_image", "configuration", "configuration_handling", "post_configuration_script", "pre_configuration_script"]
    BOOT_IMAGE_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_HANDLING_FIELD_NUMBER: _ClassVar[int]
    POST_CONFIGURATION_SCRIPT_FIELD_NUMBER: _ClassVar[int]
    PRE_CONFIGURATION_SCRIPT_FIELD_NUMBER: _ClassVar[int]
    boot_image: SztpBootImage
    configuration: bytes
    configuration_handling: SztpConfigurationHandling
    post_configuration_script: bytes
    pre_configuration_script: bytes
    def __init__(self, boot_image: _Optional[_Union[SztpBootImage, _Mapping]] = ..., configuration_handling: _Optional[_Union[SztpConfigurationHandling, str]] = ..., pre_configuration_script: _Optional[bytes] = ..., configuration: _Optional[bytes] = ..., post_configuration_script: _Optional[bytes] = ...) -> None: ...

class SztpProgressReport(_message.Message):
    __slots__ = ["message", "progress_type", "report_time"]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_TYPE_FIELD_NUMBER: _ClassVar[int]
    REPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    message: str
    progress_type: str
    report_time: _timestamp_pb2.Timestamp
    def __init__(self, progress_type: _Optional[str] = ..., message: _Optional[str] = ..., report_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SztpRedirect(_message.Message):
    __slots__ = ["bootstrap_servers"]
    BOOTSTRAP_SERVERS_FIELD_NUMBER: _ClassVar[int]
    bootstrap_servers: _containers.RepeatedCompositeFieldContainer[SztpBootstrapServer]
    def __init__(self, bootstrap_servers: _Optional[_Iterable[_Union[SztpBootstrapServer, _Mapping]]] = ...) -> None: ...

class SztpVoucherSettings(_message.Message):
    __slots__ = ["assertion", "validity"]
    ASSERTION_FIELD_NUMBER: _ClassVar[int]
    VALIDITY_FIELD_NUMBER: _ClassVar[int]
    assertion: SztpVoucherAssertion
    validity: _duration_pb2.Duration
    def __init__(self, assertion: _Optional[_Union[SztpVoucherAssertion, str]] = ..., validity: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class UpdateSztpDeviceRequest(_message.Message):
    __slots__ = ["allow_missing", "sztp_device", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    SZTP_DEVICE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    sztp_device: SztpDevice
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, sztp_device: _Optional[_Union[SztpDevice, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class SztpConfigurationHandling(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SztpVoucherAssertion(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SztpReportingLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
