"""Running pipelines on several workers: the scheduler enqueues one RQ job per dataset on Redis, and any number of
``rq worker`` processes (on this host or others sharing the store and a PostgreSQL run history) execute them.
The per-dataset lease in the run history still allows only one run of a dataset at a time.

A history URL with a password is never put into a job (RQ keeps job arguments in Redis, readable by anyone with
access to it): workers then read it from their own ``GONGKAI_HISTORY_URL``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..project import Project
from ..spec.pipelines import PipelineSpec
from ..urls import has_password

JOB = "gongkai.schedule.runner.queued_run"


class Dispatcher:
    def __init__(self, redis_url: str, queue_name: str, project: Project, history_url: str,
                 job_timeout: int = 3600) -> None:
        from redis import Redis
        from rq import Queue

        self.queue = Queue(queue_name, connection=Redis.from_url(redis_url))
        self.project, self.history_url, self.job_timeout = project, history_url, job_timeout

    def enqueue(self, pipeline: PipelineSpec, when: dt.datetime) -> list[str]:
        """One job per dataset; the job id names the fire time, so a repeated dispatch is not queued twice."""
        ids = []
        for d in pipeline.datasets:
            job_id = f"{pipeline.id}_{d}_{int(when.timestamp())}"  # RQ allows letters, digits, _ and -
            if self.queue.fetch_job(job_id) is not None:
                continue
            kwargs: dict[str, Any] = {"project_root": str(self.project.root.resolve()),
                                      "store": str(self.project.store.path.resolve()),
                                      "pipeline_file": str(pipeline.path), "dataset": d}
            if not has_password(self.history_url):
                kwargs["history_url"] = self.history_url
            self.queue.enqueue_call(JOB, kwargs=kwargs, job_id=job_id, timeout=self.job_timeout,
                                    result_ttl=7 * 86400, failure_ttl=30 * 86400,
                                    description=f"gongkai {pipeline.id}/{d} ({when.isoformat()})")
            ids.append(job_id)
        return ids
