from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.api import resource_pb2 as _resource_pb2
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
INFERENCE_PROTOCOL_OIP: InferenceProtocol
INFERENCE_PROTOCOL_OPENAI: InferenceProtocol
INFERENCE_PROTOCOL_UNSPECIFIED: InferenceProtocol
PICK_DECISION_NO_ENDPOINT: PickDecision
PICK_DECISION_PICKED: PickDecision
PICK_DECISION_SHED: PickDecision
PICK_DECISION_UNSPECIFIED: PickDecision

class CreateInferencePoolRequest(_message.Message):
    __slots__ = ["inference_pool", "inference_pool_id"]
    INFERENCE_POOL_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_POOL_ID_FIELD_NUMBER: _ClassVar[int]
    inference_pool: InferencePool
    inference_pool_id: str
    def __init__(self, inference_pool: _Optional[_Union[InferencePool, _Mapping]] = ..., inference_pool_id: _Optional[str] = ...) -> None: ...

class DeleteInferencePoolRequest(_message.Message):
    __slots__ = ["allow_missing", "name"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    name: str
    def __init__(self, name: _Optional[str] = ..., allow_missing: bool = ...) -> None: ...

class EndpointStats(_message.Message):
    __slots__ = ["endpoint", "errors", "healthy", "kv_cache_usage", "last_scrape_time", "lora_adapters", "message", "requests", "requests_running", "requests_waiting", "ttft"]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    KV_CACHE_USAGE_FIELD_NUMBER: _ClassVar[int]
    LAST_SCRAPE_TIME_FIELD_NUMBER: _ClassVar[int]
    LORA_ADAPTERS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_RUNNING_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_WAITING_FIELD_NUMBER: _ClassVar[int]
    TTFT_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    errors: int
    healthy: bool
    kv_cache_usage: float
    last_scrape_time: _timestamp_pb2.Timestamp
    lora_adapters: _containers.RepeatedScalarFieldContainer[str]
    message: str
    requests: int
    requests_running: float
    requests_waiting: float
    ttft: _containers.RepeatedCompositeFieldContainer[HistogramBucket]
    def __init__(self, endpoint: _Optional[str] = ..., healthy: bool = ..., requests: _Optional[int] = ..., errors: _Optional[int] = ..., ttft: _Optional[_Iterable[_Union[HistogramBucket, _Mapping]]] = ..., requests_waiting: _Optional[float] = ..., requests_running: _Optional[float] = ..., kv_cache_usage: _Optional[float] = ..., lora_adapters: _Optional[_Iterable[str]] = ..., last_scrape_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class GetInferencePoolRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class HistogramBucket(_message.Message):
    __slots__ = ["count", "upper_bound_seconds"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    UPPER_BOUND_SECONDS_FIELD_NUMBER: _ClassVar[int]
    count: int
    upper_bound_seconds: float
    def __init__(self, upper_bound_seconds: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class InferenceObjective(_message.Message):
    __slots__ = ["model", "priority"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    model: str
    priority: int
    def __init__(self, model: _Optional[str] = ..., priority: _Optional[int] = ...) -> None: ...

class InferencePool(_message.Message):
    __slots__ = ["endpoints", "endpoints_file", "metrics_path", "metrics_port", "name", "objectives", "protocol", "saturation_kv_cache_usage", "saturation_queue_depth", "scrape_interval_ms", "served_model_names", "status", "target_port"]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    ENDPOINTS_FILE_FIELD_NUMBER: _ClassVar[int]
    METRICS_PATH_FIELD_NUMBER: _ClassVar[int]
    METRICS_PORT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVES_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    SATURATION_KV_CACHE_USAGE_FIELD_NUMBER: _ClassVar[int]
    SATURATION_QUEUE_DEPTH_FIELD_NUMBER: _ClassVar[int]
    SCRAPE_INTERVAL_MS_FIELD_NUMBER: _ClassVar[int]
    SERVED_MODEL_NAMES_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TARGET_PORT_FIELD_NUMBER: _ClassVar[int]
    endpoints: _containers.RepeatedScalarFieldContainer[str]
    endpoints_file: str
    metrics_path: str
    metrics_port: int
    name: str
    objectives: _containers.RepeatedCompositeFieldContainer[InferenceObjective]
    protocol: InferenceProtocol
    saturation_kv_cache_usage: float
    saturation_queue_depth: int
    scrape_interval_ms: int
    served_model_names: _containers.RepeatedScalarFieldContainer[str]
    status: _common_pb2.ResourceStatus
    target_port: int
    def __init__(self, name: _Optional[str] = ..., served_model_names: _Optional[_Iterable[str]] = ..., endpoints: _Optional[_Iterable[str]] = ..., endpoints_file: _Optional[str] = ..., target_port: _Optional[int] = ..., protocol: _Optional[_Union[InferenceProtocol, str]] = ..., objectives: _Optional[_Iterable[_Union[InferenceObjective, _Mapping]]] = ..., scrape_interval_ms: _Optional[int] = ..., metrics_path: _Optional[str] = ..., saturation_queue_depth: _Optional[int] = ..., saturation_kv_cache_usage: _Optional[float] = ..., status: _Optional[_Union[_common_pb2.ResourceStatus, _Mapping]] = ..., metrics_port: _Optional[int] = ...) -> None: ...

class InferencePoolStats(_message.Message):
    __slots__ = ["endpoints", "name", "no_endpoint", "shed"]
    ENDPOINTS_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NO_ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SHED_FIELD_NUMBER: _ClassVar[int]
    endpoints: _containers.RepeatedCompositeFieldContainer[EndpointStats]
    name: str
    no_endpoint: int
    shed: int
    def __init__(self, name: _Optional[str] = ..., endpoints: _Optional[_Iterable[_Union[EndpointStats, _Mapping]]] = ..., shed: _Optional[int] = ..., no_endpoint: _Optional[int] = ...) -> None: ...

class ListInferencePoolsRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInferencePoolsResponse(_message.Message):
    __slots__ = ["inference_pools", "next_page_token"]
    INFERENCE_POOLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    inference_pools: _containers.RepeatedCompositeFieldContainer[InferencePool]
    next_page_token: str
    def __init__(self, inference_pools: _Optional[_Iterable[_Union[InferencePool, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PickCandidate(_message.Message):
    __slots__ = ["endpoint", "saturated", "scores", "total_score"]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SATURATED_FIELD_NUMBER: _ClassVar[int]
    SCORES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SCORE_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    saturated: bool
    scores: _containers.RepeatedCompositeFieldContainer[ScorerScore]
    total_score: float
    def __init__(self, endpoint: _Optional[str] = ..., total_score: _Optional[float] = ..., scores: _Optional[_Iterable[_Union[ScorerScore, _Mapping]]] = ..., saturated: bool = ...) -> None: ...

class PickEndpointRequest(_message.Message):
    __slots__ = ["model", "pool", "prompt"]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    model: str
    pool: str
    prompt: str
    def __init__(self, pool: _Optional[str] = ..., model: _Optional[str] = ..., prompt: _Optional[str] = ...) -> None: ...

class PickEndpointResponse(_message.Message):
    __slots__ = ["candidates", "decision", "http_status", "priority"]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    HTTP_STATUS_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    candidates: _containers.RepeatedCompositeFieldContainer[PickCandidate]
    decision: PickDecision
    http_status: int
    priority: int
    def __init__(self, decision: _Optional[_Union[PickDecision, str]] = ..., http_status: _Optional[int] = ..., candidates: _Optional[_Iterable[_Union[PickCandidate, _Mapping]]] = ..., priority: _Optional[int] = ...) -> None: ...

class ScorerScore(_message.Message):
    __slots__ = ["score", "scorer", "weight"]
    SCORER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    score: float
    scorer: str
    weight: float
    def __init__(self, scorer: _Optional[str] = ..., score: _Optional[float] = ..., weight: _Optional[float] = ...) -> None: ...

class StatsInferencePoolRequest(_message.Message):
    __slots__ = ["name"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class StatsInferencePoolResponse(_message.Message):
    __slots__ = ["stats"]
    STATS_FIELD_NUMBER: _ClassVar[int]
    stats: InferencePoolStats
    def __init__(self, stats: _Optional[_Union[InferencePoolStats, _Mapping]] = ...) -> None: ...

class UpdateInferencePoolRequest(_message.Message):
    __slots__ = ["allow_missing", "inference_pool", "update_mask"]
    ALLOW_MISSING_FIELD_NUMBER: _ClassVar[int]
    INFERENCE_POOL_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    allow_missing: bool
    inference_pool: InferencePool
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, inference_pool: _Optional[_Union[InferencePool, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., allow_missing: bool = ...) -> None: ...

class InferenceProtocol(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PickDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
