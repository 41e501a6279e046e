"""The demo fleet of SPEC §9, with the values of seeds/000 (agent state tables, part 2).

Four agent types and one agent each, with exactly 12 configs, 4 states, 11 capabilities and
12 metrics. Seed column names are mapped as SPEC §9 says: is_enabled → enabled,
metric_unit → unit, metadata → tags, collection_timestamp → recorded_at; config_type "number"
is the FLOAT alias.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROJECT_NAME = "Demo"
PROJECT_SLUG = "demo"
CUSTOMER = "550e8400-e29b-41d4-a716-446655440000"


@dataclass(frozen=True)
class DemoAgent:
    type_slug: str
    type_name: str
    type_description: str
    expertise: tuple[str, ...]
    name: str
    final_status: str  # "idle", "executing" or "error"
    workflow: str  # the execution that keeps an EXECUTING agent busy
    configs: tuple[tuple[str, str, str], ...]  # (key, value, description); all "number"
    state: dict[str, Any]
    capabilities: tuple[tuple[str, str, str, dict[str, Any], bool], ...]  # (…, enabled)
    metrics: tuple[tuple[str, float, str, dict[str, Any]], ...] = field(default_factory=tuple)
    # Seconds since the last heartbeat and since last_error, relative to the seeding time.
    heartbeat_age_s: int = 0


FLEET: tuple[DemoAgent, ...] = (
    DemoAgent(
        type_slug="cost",
        type_name="Cost Optimization Agent",
        type_description="Finds GPU, storage and instance savings.",
        expertise=("cost_analysis", "gpu_pricing", "storage_tiering"),
        name="Cost Optimizer",
        final_status="executing",
        workflow="cost_analysis",
        configs=(
            ("cost_threshold_usd", "1000", "Minimum monthly cost to trigger optimization"),
            ("savings_threshold_percent", "15", "Minimum savings percentage to recommend"),
            ("check_interval_minutes", "60", "How often to check for cost anomalies"),
        ),
        state={
            "current_workflow": "cost_analysis",
            "workflow_data": {
                "customer_id": CUSTOMER,
                "metrics_collected": 150,
                "savings_identified": 45000,
            },
            "resource_locks": ["gpu_cluster_1", "billing_data"],
            "error_count": 0,
            "last_error": None,
        },
        capabilities=(
            (
                "gpu_cost_analysis", "1.2.0", "Analyze GPU cluster costs and identify savings",
                {"supported_providers": ["aws", "gcp", "azure"], "gpu_types": ["H100", "A100", "V100"],
                 "analysis_depth": "detailed"},
                True,
            ),
            (
                "storage_optimization", "1.0.0", "Optimize storage tiering and costs",
                {"storage_types": ["s3", "ebs", "gcs"], "tiering_policies": ["hot", "warm", "cold"]},
                True,
            ),
            (
                "spot_instance_recommendation", "0.9.0", "Recommend spot instance usage (beta)",
                {"max_spot_percentage": 70, "fallback_strategy": "on_demand"},
                False,
            ),
        ),
        metrics=(
            ("total_savings_identified_usd", 125000.00, "usd",
             {"period": "last_30_days", "customers_analyzed": 5, "recommendations_generated": 12}),
            ("average_savings_percent", 42.5, "percent", {"min": 28.0, "max": 67.0, "median": 41.0}),
            ("analysis_execution_time_seconds", 145.3, "seconds", {"p50": 120.0, "p95": 180.0, "p99": 220.0}),
        ),
    ),
    DemoAgent(
        type_slug="performance",
        type_name="Performance Tuning Agent",
        type_description="Tunes inference latency and throughput.",
        expertise=("latency", "throughput", "kv_cache", "batching"),
        name="Performance Tuner",
        final_status="idle",
        workflow="",
        configs=(
            ("latency_p95_threshold_ms", "500", "P95 latency threshold for alerts"),
            ("throughput_threshold_rps", "100", "Minimum throughput (requests/sec)"),
            ("kv_cache_size_gb", "32", "KV cache size in GB"),
        ),
        state={
            "current_workflow": None,
            "workflow_data": {},
            "resource_locks": [],
            "error_count": 0,
            "last_error": None,
        },
        capabilities=(
            (
                "kv_cache_tuning", "2.1.0", "Optimize KV cache settings for vLLM/TGI",
                {"supported_engines": ["vllm", "tgi", "sglang"], "cache_strategies": ["static", "dynamic", "adaptive"]},
                True,
            ),
            (
                "batch_optimization", "1.5.0", "Optimize batch sizes and continuous batching",
                {"min_batch_size": 4, "max_batch_size": 128, "dynamic_batching": True},
                True,
            ),
            (
                "quantization_testing", "1.0.0", "Test FP8/INT8 quantization strategies",
                {"quantization_formats": ["fp8", "int8", "int4"], "quality_validation": True},
                True,
            ),
        ),
        metrics=(
            ("latency_improvement_percent", 65.0, "percent",
             {"before_p95_ms": 800, "after_p95_ms": 280, "optimizations_applied": 8}),
            ("throughput_increase_percent", 180.0, "percent",
             {"before_rps": 50, "after_rps": 140, "batch_size_optimized": True}),
            ("tuning_execution_time_seconds", 320.5, "seconds", {"tests_run": 25, "configurations_tested": 15}),
        ),
    ),
    DemoAgent(
        type_slug="resource",
        type_name="Resource Allocation Agent",
        type_description="Scales and balances GPU clusters.",
        expertise=("autoscaling", "load_balancing", "gpu_utilization"),
        name="Resource Allocator",
        final_status="executing",
        workflow="gpu_scaling",
        configs=(
            ("gpu_utilization_target", "75", "Target GPU utilization percentage"),
            ("scale_up_threshold", "85", "GPU utilization % to trigger scale-up"),
            ("scale_down_threshold", "40", "GPU utilization % to trigger scale-down"),
        ),
        state={
            "current_workflow": "gpu_scaling",
            "workflow_data": {
                "customer_id": CUSTOMER,
                "current_gpus": 8,
                "target_gpus": 12,
                "scale_reason": "high_utilization",
            },
            "resource_locks": ["k8s_cluster", "gpu_pool"],
            "error_count": 1,
            "last_error": {"error": "Transient network timeout", "recovered": True},
        },
        capabilities=(
            (
                "auto_scaling", "2.0.0", "Auto-scale GPU clusters based on demand",
                {"scaling_triggers": ["utilization", "queue_depth", "latency"], "cooldown_minutes": 10,
                 "max_scale_factor": 3},
                True,
            ),
            (
                "load_balancing", "1.3.0", "Balance workloads across GPU clusters",
                {"strategy": "least_loaded", "affinity_rules": True},
                True,
            ),
        ),
        metrics=(
            ("average_gpu_utilization_percent", 78.5, "percent", {"before": 35.0, "after": 78.5, "improvement": 124.3}),
            ("scaling_decisions_count", 45, "count", {"scale_ups": 23, "scale_downs": 22, "period_days": 30}),
            ("scaling_accuracy_percent", 92.0, "percent",
             {"correct_decisions": 41, "total_decisions": 45, "false_positives": 4}),
        ),
    ),
    DemoAgent(
        type_slug="application",
        type_name="Application Monitoring Agent",
        type_description="Watches LLM output quality and regressions.",
        expertise=("quality", "regressions", "hallucinations"),
        name="Application Monitor",
        final_status="error",
        workflow="quality_check",
        configs=(
            ("quality_score_threshold", "0.85", "Minimum quality score (0-1)"),
            ("hallucination_threshold", "0.05", "Maximum hallucination rate"),
            ("regression_check_interval", "15", "Minutes between regression checks"),
        ),
        state={
            "current_workflow": "quality_check",
            "workflow_data": {
                "customer_id": CUSTOMER,
                "check_id": "qc_20251019_001",
                "samples_checked": 50,
                "failures": 3,
            },
            "resource_locks": ["quality_db"],
            "error_count": 3,
            "last_error": {"error": "Quality threshold breach: score=0.82 (threshold=0.85)", "severity": "high"},
        },
        heartbeat_age_s=300,
        capabilities=(
            (
                "quality_monitoring", "1.4.0", "Monitor LLM output quality in real-time",
                {"metrics": ["coherence", "relevance", "factuality"], "sampling_rate": 0.1, "alert_threshold": 0.85},
                True,
            ),
            (
                "regression_detection", "1.1.0", "Detect quality regressions after changes",
                {"baseline_samples": 100, "comparison_samples": 100, "significance_level": 0.05},
                True,
            ),
            (
                "hallucination_detection", "0.8.0", "Detect hallucinations in LLM outputs (experimental)",
                {"detection_methods": ["fact_checking", "consistency"], "confidence_threshold": 0.7},
                False,
            ),
        ),
        metrics=(
            ("quality_score_average", 0.91, "score", {"samples_checked": 1500, "period": "last_7_days", "threshold": 0.85}),
            ("regressions_detected_count", 3, "count",
             {"caught_before_production": 3, "auto_rolled_back": 2, "manual_review": 1}),
            ("check_execution_time_seconds", 28.7, "seconds", {"samples_per_check": 100, "parallel_checks": 4}),
        ),
    ),
)  # fmt: skip
