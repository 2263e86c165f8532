"""The Ray engine: decode and embed pending sounds on a Ray cluster (``--engine ray``).

The driver (``soundscout index``) scans and plans exactly as the local engine does;
only the pending list comes here. It runs as a Ray Data pipeline::

    pending (id, path) → decode tasks (CPU) → encoder actors (ActorPoolStrategy,
    one model copy each; one GPU each when the cluster has GPUs) → driver

and every result comes back as a :class:`~soundscout.catalog.catalog.Outcome` (vector,
file facts, tags, fingerprint, a long sound's segments), which the runner commits through
the same code as the local engine. Resume, incremental re-index
and failure recording therefore need nothing from this module; the worker side lives in
:mod:`soundscout.ingest.ray_tasks`.

Every file path must be readable at the same path on every Ray node (a shared
mount). Ray is an optional extra: ``pip install 'soundscout[ray]'``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Generator
from dataclasses import dataclass, replace
from typing import Any

from soundscout.catalog.catalog import Outcome
from soundscout.config import IngestSettings
from soundscout.encoders.base import Encoder
from soundscout.errors import LibraryError
from soundscout.ingest.ray_tasks import EmbedActor, EncoderSpec, decode_row, outcomes_from_columns
from soundscout.ingest.stages import SegmentPlan, longest_decoded

__all__ = ["EncoderSpec", "RayJob", "RayOptions", "import_ray", "plan_actors"]

log = logging.getLogger(__name__)

INSTALL_HINT = "Install the Ray extra: pip install 'soundscout[ray]'"
LOCAL_ADDRESSES = (None, "", "none", "local")
#: Files per decode task block: small enough to spread, large enough to amortise a task.
FILES_PER_BLOCK = 16
#: CPUs reserved by one decode task. Decoding is light next to a model; a value that
#: differs from the actors' also keeps Ray Data from fusing decode into the actors, so
#: decode tasks prepare the next batches while the actors embed.
DECODE_CPUS = 0.5
#: Environment of a Ray instance started by the driver (no telemetry, no token auth).
LOCAL_RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide the Ray engine runs.

    Attributes:
        address: ``auto`` (the cluster this node belongs to), ``ray://host:10001``, or
            None / ``none`` to start a local Ray instance for this run.
        actors: most encoder actors (None: sized from the cluster's resources now).
        actor_gpus: GPUs per actor (None: 1 when the cluster has GPUs now, else 0). Set it
            on an autoscaling cluster whose GPU workers start from zero.
        encoder: how each actor creates its encoder (None: the driver's by name).
    """

    address: str | None = None
    actors: int | None = None
    actor_gpus: float | None = None
    encoder: EncoderSpec | None = None

    def with_encoder(self, spec: EncoderSpec) -> RayOptions:
        """These options with the actors' encoder set."""
        return replace(self, encoder=spec)


@dataclass(frozen=True)
class ActorPlan:
    """The encoder actor pool: how many actors and what each one holds."""

    size: int
    num_cpus: float
    num_gpus: float


def plan_actors(
    resources: dict[str, float], actors: int | None = None, actor_gpus: float | None = None
) -> ActorPlan:
    """Size the actor pool from the cluster's resources.

    With GPUs: one actor per GPU (bf16 autocast is the encoder's own choice on CUDA).
    Without: one single-threaded actor per CPU, but a quarter of the CPUs (at least
    one) stays free for the decode tasks; actors holding every CPU starve the readers
    and the pipeline stalls. On one CPU the actor takes half of it.
    """
    gpus, cpus = float(resources.get("GPU", 0)), float(resources.get("CPU", 1))
    if actor_gpus is None:
        actor_gpus = 1.0 if gpus >= 1 else 0.0
    if actor_gpus > 0:
        size = actors or max(1, int(gpus / actor_gpus))
        return ActorPlan(size, num_cpus=1.0, num_gpus=actor_gpus)
    if cpus < 2:
        return ActorPlan(1, num_cpus=cpus / 2, num_gpus=0.0)
    size = max(1, int(cpus - max(1.0, cpus // 4)))
    return ActorPlan(min(size, actors or size), num_cpus=1.0, num_gpus=0.0)


def import_ray() -> Any:
    """The ``ray`` module, or an error saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the [data] extra)
    except ImportError as exc:
        raise LibraryError(
            "--engine ray needs Ray Data, which is not installed.", hint=INSTALL_HINT
        ) from exc
    return ray


def connect(address: str | None, num_cpus: int | None = None) -> bool:
    """Join the Ray cluster at ``address`` or start a local instance; True if started here.

    A Ray already initialised in this process (tests, notebooks) is reused as is.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    if address in LOCAL_ADDRESSES:
        for key, value in LOCAL_RAY_ENV.items():
            os.environ.setdefault(key, value)
        ray.init(
            num_cpus=num_cpus or os.cpu_count(),
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
            raise LibraryError(
                f"Cannot join the Ray cluster at {address!r}: {first_line}",
                hint="Start the cluster first (`ray start --head` on its head node), check "
                "the address (`auto` for the cluster this machine belongs to, "
                "ray://HOST:10001 for a remote one), or leave --address out to run a local "
                "Ray instance.",
            ) from exc
    return True


class RayJob:
    """One ingest's pending work on Ray; :meth:`outcomes` streams the results back."""

    def __init__(
        self,
        encoder: Encoder,
        settings: IngestSettings,
        batch_size: int,
        options: RayOptions | None = None,
        plan: SegmentPlan | None = None,
    ) -> None:
        self.encoder, self.settings, self.batch_size = encoder, settings, batch_size
        self.options, self.plan = options or RayOptions(), plan
        self.spec = self.options.encoder or EncoderSpec(encoder.name)

    def outcomes(self, pending: list[tuple[int, str]]) -> Generator[Outcome, None, None]:
        """Run the pipeline over ``pending``; yield an Outcome per file as results arrive."""
        ray = import_ray()
        started_here = connect(self.options.address)
        try:
            dataset = self._dataset(ray, pending)
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                for path, outcome in outcomes_from_columns(batch):
                    if outcome.error:
                        log.warning("failed: %s: %s", path, outcome.error)
                    yield outcome
        finally:
            if started_here:
                ray.shutdown()

    def _dataset(self, ray: Any, pending: list[tuple[int, str]]) -> Any:
        from ray.data import ActorPoolStrategy, DataContext

        context = DataContext.get_current()
        context.enable_progress_bars = False  # the runner draws its own bar
        context.print_on_execution_start = False
        if not log.isEnabledFor(logging.DEBUG):  # Ray Data's INFO/WARNING chatter, unless -v
            logging.getLogger("ray.data").setLevel(logging.ERROR)
        opts = self.options
        plan = plan_actors(ray.cluster_resources(), opts.actors, opts.actor_gpus)
        log.info(
            "ray: %d pending files, %d encoder actors (%g CPU, %g GPU each)",
            len(pending),
            plan.size,
            plan.num_cpus,
            plan.num_gpus,
        )
        rows = [{"sound_id": sid, "path": path} for sid, path in pending]
        blocks = max(1, min(len(rows), math.ceil(len(rows) / FILES_PER_BLOCK)))
        decode_args = {
            "sample_rate": self.encoder.sample_rate,
            # Ray workers decode whole files: no more of one than a streamed piece (a
            # longer one gets its segments from the next local run; docs/search.md).
            "max_seconds": longest_decoded(self.settings),
        }
        return (
            ray.data.from_items(rows, override_num_blocks=blocks)
            .map(decode_row, fn_kwargs=decode_args, num_cpus=DECODE_CPUS)
            .map_batches(
                EmbedActor,
                fn_constructor_args=(self.spec, self.encoder.version, self.batch_size, self.plan),
                batch_size=self.batch_size,
                batch_format="numpy",
                compute=ActorPoolStrategy(min_size=1, max_size=plan.size),
                num_cpus=plan.num_cpus,
                num_gpus=plan.num_gpus,
            )
        )
