"""What an external system does with the API, for locust (run by bench/load_test.py).

Each simulated system holds a write token and, in turn: lists projects or year
records with filters (the bulk of its traffic), reads a project, updates a year
record with the ``ETag`` it just read (``If-Match``), and submits a report.
Each user updates and submits its own records (handed out by the runner), so a
412 or a 409 here would be a fault, not contention: every non-2xx is an error.

Environment (set by the runner): ``LOAD_TOKEN``, ``LOAD_POOL`` (a JSON file
with ``codes``, ``districts``, ``sectors``, ``years`` and per-user ``update`` and
``submit`` lists of ``[id, version]``).
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

POOL = json.loads(Path(os.environ["LOAD_POOL"]).read_text(encoding="utf-8"))
TOKEN = os.environ["LOAD_TOKEN"]
_users = itertools.count()
PHASES = ["preparing", "under_construction", "completed", "in_operation"]


class ExternalSystem(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
        index = next(_users) % len(POOL["update"])
        self.update = list(POOL["update"][index])
        self.submit_queue = list(POOL["submit"][index])
        self.headers = {"Authorization": f"Token {TOKEN}"}
        self.rng = random.Random(index)

    @task(5)
    def list_projects(self):
        rng = self.rng
        params = rng.choice(
            [
                {
                    "district": rng.choice(POOL["districts"]),
                    "phase": rng.choice(PHASES),
                },
                {"sector": rng.choice(POOL["sectors"]), "page": rng.randint(1, 5)},
                {"district": rng.choice(POOL["districts"]), "overdue": "true"},
                {
                    "sector": rng.choice(POOL["sectors"]),
                    "year": rng.choice(POOL["years"]),
                },
            ]
        )
        self.client.get(
            "/api/v1/projects/",
            params={**params, "page_size": 50},
            headers=self.headers,
            name="list projects (filtered)",
        )

    @task(2)
    def list_year_records(self):
        rng = self.rng
        self.client.get(
            "/api/v1/year-records/",
            params={
                "state": rng.choice(["draft", "submitted", "approved"]),
                "year": rng.choice(POOL["years"]),
                "district": rng.choice(POOL["districts"]),
                "page_size": 50,
            },
            headers=self.headers,
            name="list year records (filtered)",
        )

    @task(3)
    def project_detail(self):
        code = self.rng.choice(POOL["codes"])
        self.client.get(
            f"/api/v1/projects/{code}/", headers=self.headers, name="project detail"
        )

    @task(2)
    def update_record(self):
        record_id = self.rng.choice(self.update)[0]
        url = f"/api/v1/year-records/{record_id}/"
        read = self.client.get(url, headers=self.headers, name="year record (read)")
        etag = read.headers.get("ETag") if read.status_code == 200 else None
        if not etag:
            return
        self.client.patch(
            url,
            json={
                "progress": f"外部系统同步 {self.rng.randint(1, 10**6)}",
                "percent_complete": f"{self.rng.randint(0, 100)}.00",
            },
            headers={**self.headers, "If-Match": etag},
            name="year record update (If-Match)",
        )

    @task(1)
    def submit_record(self):
        if not self.submit_queue:
            return
        record_id, version = self.submit_queue.pop()
        self.client.post(
            f"/api/v1/year-records/{record_id}/submit/",
            headers={**self.headers, "If-Match": f'"{version}"'},
            name="year record submit",
        )
