"""The cluster recipes in deploy/ray parse and carry what the launcher and the operator need.

No cloud is called. The Ray cluster-launcher config goes through Ray's own config
preparation and schema (``ray-schema.json``, what ``ray up`` checks first); the KubeRay
RayJob is checked against the fields and ``required`` lists of the ``ray.io/v1`` RayJob
CRD (``ray-operator/config/crd/bases/ray.io_rayjobs.yaml``), transcribed below with
unknown fields refused, as ``kubectl apply`` with server-side field validation does.
Every ``soundscout`` command line in the recipes and in docs/scale.md is parsed by the
real CLI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml

from soundscout.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "ray"
RAY_VERSION = "2.60.0"


def _closed(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


_ANY: dict[str, Any] = {}
_STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_QUANTITY = {"type": ["string", "integer", "number"]}
_CONTAINER = {
    "type": "object",
    "required": ["name", "image"],
    "properties": {
        "name": {"type": "string"},
        "image": {"type": "string"},
        "resources": {
            "type": "object",
            "properties": {
                "requests": {"type": "object", "additionalProperties": _QUANTITY},
                "limits": {"type": "object", "additionalProperties": _QUANTITY},
            },
        },
        "volumeMounts": {
            "type": "array",
            "items": {"type": "object", "required": ["mountPath", "name"]},
        },
    },
}
_TEMPLATE = {
    "type": "object",
    "required": ["spec"],
    "properties": {
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "required": ["containers"],
            "properties": {
                "containers": {"type": "array", "minItems": 1, "items": _CONTAINER},
                "volumes": {"type": "array", "items": {"type": "object", "required": ["name"]}},
            },
        },
    },
}
_GROUP_COMMON = {
    "rayStartParams": _STR_MAP,
    "template": _TEMPLATE,
    "resources": _STR_MAP,
    "labels": _STR_MAP,
}
_HEAD_GROUP = _closed(
    {
        **_GROUP_COMMON,
        **dict.fromkeys(["enableIngress", "headService", "ingressOptions", "serviceType"], _ANY),
    },
    required=["template"],
)
_WORKER_GROUP = _closed(
    {
        **_GROUP_COMMON,
        "groupName": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 0},
        "minReplicas": {"type": "integer", "minimum": 0},
        "maxReplicas": {"type": "integer", "minimum": 0},
        **dict.fromkeys(
            ["idleTimeoutSeconds", "numOfHosts", "priority", "scaleStrategy", "suspend"], _ANY
        ),
    },
    required=["groupName", "maxReplicas", "minReplicas", "template"],
)
_CLUSTER_SPEC = _closed(
    {
        "headGroupSpec": _HEAD_GROUP,
        "workerGroupSpecs": {"type": "array", "items": _WORKER_GROUP},
        "rayVersion": {"type": "string"},
        "enableInTreeAutoscaling": {"type": "boolean"},
        **dict.fromkeys(
            [
                "authOptions",
                "autoscalerOptions",
                "gcsFaultToleranceOptions",
                "headServiceAnnotations",
                "historyServerOptions",
                "managedBy",
                "networkPolicy",
                "suspend",
                "tlsOptions",
                "upgradeStrategy",
            ],
            _ANY,
        ),
    },
    required=["headGroupSpec"],
)
#: RayJob ``ray.io/v1`` (KubeRay CRD): spec fields as listed in the CRD, typed where used.
RAYJOB_SCHEMA = _closed(
    {
        "apiVersion": {"const": "ray.io/v1"},
        "kind": {"const": "RayJob"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": _closed(
            {
                "entrypoint": {"type": "string", "minLength": 1},
                "rayClusterSpec": _CLUSTER_SPEC,
                "shutdownAfterJobFinishes": {"type": "boolean"},
                "ttlSecondsAfterFinished": {"type": "integer", "minimum": 0},
                "backoffLimit": {"type": "integer", "minimum": 0},
                "submissionMode": {
                    "enum": ["K8sJobMode", "HTTPMode", "InteractiveMode", "SidecarMode"]
                },
                "runtimeEnvYAML": {"type": "string"},
                **dict.fromkeys(
                    [
                        "activeDeadlineSeconds",
                        "clusterSelector",
                        "deletionStrategy",
                        "entrypointNumCpus",
                        "entrypointNumGpus",
                        "entrypointResources",
                        "jobId",
                        "managedBy",
                        "metadata",
                        "preRunningDeadlineSeconds",
                        "submitterConfig",
                        "submitterPodTemplate",
                        "suspend",
                    ],
                    _ANY,
                ),
            },
        ),
    },
    required=["apiVersion", "kind", "metadata", "spec"],
)


def _documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def _soundscout_args(command: str) -> list[str]:
    """The arguments of the first ``soundscout`` call in a shell line (quoted ones too)."""
    words = shlex.split(command)
    for i, word in enumerate(words):
        if word == "soundscout":
            return words[i + 1 :]
        if word.startswith("soundscout "):  # e.g. ray exec CONFIG "soundscout ..."
            return shlex.split(word)[1:]
    raise AssertionError(f"no soundscout command in {command!r}")


def _parse(args: list[str]) -> dict[str, Any]:
    """Parse a command line with the real CLI, without running it; return the options."""
    command: Any = typer.main.get_command(app)
    ctx = command.make_context("soundscout", list(args))
    params, rest = ctx.params, list(args[len(args) - _remaining(ctx) :])
    while hasattr(command, "commands"):  # a group: the next word names the subcommand
        name, command, rest = command.resolve_command(ctx, rest)
        ctx = command.make_context(name, rest, parent=ctx)
        params, rest = ctx.params, rest[len(rest) - _remaining(ctx) :]
    return params


def _remaining(ctx: Any) -> int:
    """How many words a group's context left for its subcommand (click keeps them apart)."""
    return len(getattr(ctx, "_protected_args", [])) + len(ctx.args)


@pytest.fixture(scope="module")
def cluster_config() -> dict[str, Any]:
    (config,) = _documents("gcp-cluster.yaml")
    return config


def test_cluster_launcher_config_passes_rays_own_checks(cluster_config: dict[str, Any]) -> None:
    pytest.importorskip("jsonschema")
    util = pytest.importorskip("ray.autoscaler._private.util")
    prepared = util.prepare_config(cluster_config)
    util.validate_config(prepared)  # ray-schema.json, as `ray up` does before any cloud call
    assert prepared["provider"]["type"] == "gcp" and prepared["provider"]["project_id"]
    for name, node_type in prepared["available_node_types"].items():
        # Ray's GCP provider tells a Compute VM from a TPU by `machineType`.
        assert "machineType" in node_type["node_config"], name
        assert node_type["node_config"]["disks"][0]["boot"] is True, name


def test_cluster_has_a_cpu_head_and_autoscaling_cpu_and_gpu_workers(
    cluster_config: dict[str, Any],
) -> None:
    types = cluster_config["available_node_types"]
    head = types[cluster_config["head_node_type"]]
    assert head["resources"] == {"CPU": 0} and "guestAccelerators" not in head["node_config"]
    workers = {name: t for name, t in types.items() if name != cluster_config["head_node_type"]}
    gpu = [t for t in workers.values() if t["resources"].get("GPU")]
    cpu = [t for t in workers.values() if not t["resources"].get("GPU")]
    assert gpu and cpu
    for node_type in workers.values():
        assert node_type["min_workers"] == 0 < node_type["max_workers"]
        assert any("soundscout" in c and "[ray" in c for c in node_type["worker_setup_commands"])
    for node_type in gpu:
        config = node_type["node_config"]
        assert config["guestAccelerators"][0]["acceleratorCount"] == 1
        assert config["scheduling"]["onHostMaintenance"] == "TERMINATE"
        assert node_type["docker"]["worker_image"].endswith("-gpu")
    assert any("gcsfuse" in c for c in cluster_config["initialization_commands"])
    assert any("/mnt/bucket:/mnt/bucket:ro" in o for o in cluster_config["docker"]["run_options"])


def test_rayjob_matches_the_kuberay_crd() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    claim, job = _documents("kuberay-rayjob.yaml")
    jsonschema.validate(job, RAYJOB_SCHEMA)
    assert claim["kind"] == "PersistentVolumeClaim" and claim["spec"]["accessModes"]
    spec = job["spec"]["rayClusterSpec"]
    head = spec["headGroupSpec"]["template"]["spec"]
    claims = [
        v["persistentVolumeClaim"]["claimName"]
        for v in head["volumes"]
        if "persistentVolumeClaim" in v
    ]
    assert claims == [claim["metadata"]["name"]], "the catalog volume is the head's only"
    groups = {g["groupName"]: g for g in spec["workerGroupSpecs"]}
    gpu_limits = groups["gpu"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert gpu_limits["nvidia.com/gpu"] == "1"
    for group in groups.values():
        assert group["minReplicas"] <= group["replicas"] <= group["maxReplicas"]
        mounts = group["template"]["spec"]["containers"][0]["volumeMounts"]
        assert {"name": "bucket", "mountPath": "/bucket", "readOnly": True} in mounts


def test_rayjob_entrypoint_is_a_valid_index_command() -> None:
    _, job = _documents("kuberay-rayjob.yaml")
    params = _parse(_soundscout_args(job["spec"]["entrypoint"]))
    assert params["engine"] == "ray" and params["address"] == "auto"
    assert params["actor_gpus"] == 1 and params["actors"] == 4


def test_every_recipe_uses_one_ray_version() -> None:
    texts = [p.read_text() for p in DEPLOY.iterdir() if p.is_file()]
    versions = {v for text in texts for v in re.findall(r"rayproject/ray:(\d+\.\d+\.\d+)", text)}
    _, job = _documents("kuberay-rayjob.yaml")
    assert versions == {RAY_VERSION} == {job["spec"]["rayClusterSpec"]["rayVersion"]}


def _doc_commands() -> list[str]:
    text = (ROOT / "docs" / "scale.md").read_text()
    blocks = re.findall(r"```(?:bash|sh|console)?\n(.*?)```", text, re.S)
    lines = [line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    return [line for line in lines if re.search(r"(^|[\s\"'])soundscout\s", line)]


def _recipe_commands() -> list[str]:
    text = (DEPLOY / "gcp-cluster.yaml").read_text()
    return [line.strip("#\"' ") for line in text.splitlines() if "soundscout -L" in line]


@pytest.mark.parametrize("command", _doc_commands() + _recipe_commands())
def test_soundscout_commands_in_the_docs_and_recipes_parse(command: str) -> None:
    _parse(_soundscout_args(command))
