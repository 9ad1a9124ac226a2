"""The contract every resource of the API keeps, written once.

A test module subclasses ``ResourceContract`` and says where the resource is,
how an object is identified, which filters to try and, for resources that
accept writes, one write to make. The base then checks, for that resource:
list, retrieve, each filter, 401 without credentials, 403 for a read-only
token writing, 404 outside the caller's scope (scoped resources) or 405 for
writes (read-only resources), and a history row after each write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.callers import token_caller


@dataclass
class FilterCase:
    params: dict[str, str]
    # Every object listed must satisfy this.
    holds: Callable[[dict], bool]


@dataclass
class WriteCase:
    """One write on an object in scope: method, path suffix, body, what changes."""

    suffix: str
    body: dict[str, Any]
    expect: dict[str, Any]
    method: str = "patch"
    headers: dict[str, str] = field(default_factory=dict)


class ResourceContract:
    path: str = ""
    key: str = "code"
    scoped: bool = False
    filters: list[FilterCase] = []
    write: WriteCase | None = None

    # -- hooks a resource may override ------------------------------------------
    def object_in_scope(self) -> str:
        """The key of an object inside 巴州区人民政府's scope (bazhou-gov)."""
        raise NotImplementedError

    def object_out_of_scope(self) -> str:
        raise NotImplementedError

    def filter_cases(self) -> list[FilterCase]:
        """The filters to try; may first create what makes them bite."""
        return self.filters

    def prepare_write(self, key: str) -> None:
        """Put the object in a state where ``write`` is allowed."""

    def detail(self, key: str) -> str:
        return f"{self.path}{key}/"

    # -- the contract --------------------------------------------------------------
    def test_list_without_credentials_is_401(self, anonymous, plan):
        response = anonymous.get(self.path)
        assert response.status_code == 401
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_authenticated"
        assert response["WWW-Authenticate"] == "Token"

    def test_detail_without_credentials_is_401(self, anonymous, reader):
        key = reader.get(self.path).json()["results"][0][self.key]
        assert anonymous.get(self.detail(key)).status_code == 401

    def test_bad_token_is_401(self, anonymous, plan):
        anonymous.credentials(HTTP_AUTHORIZATION="Token bzk_not-a-real-token")
        response = anonymous.get(self.path)
        assert response.status_code == 401
        assert response.json()["detail"] == "令牌无效。"

    def test_list(self, reader):
        response = reader.get(self.path, {"page_size": 500})
        assert response.status_code == 200
        body = response.json()
        page = {"count", "next", "previous", "results"}
        # Lists that clients sync (projects, year records, deletions) give a cursor.
        assert set(body) in (page, page | {"sync_token"})
        assert len(body["results"]) == min(body["count"], 500) > 0
        keys = [row[self.key] for row in body["results"]]
        assert len(set(keys)) == len(keys)

    def test_retrieve(self, reader):
        first = reader.get(self.path).json()["results"][0]
        response = reader.get(self.detail(first[self.key]))
        assert response.status_code == 200
        assert response.json() == first
        if "version" in first:
            assert response["ETag"].startswith(f'"{first["version"]}-')
            again = reader.get(
                self.detail(first[self.key]), HTTP_IF_NONE_MATCH=response["ETag"]
            )
            assert again.status_code == 304 and not again.content

    def test_unknown_object_is_404_json(self, reader):
        response = reader.get(
            self.detail("no-such-object" if self.key == "code" else 0)
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"

    def test_filters(self, reader):
        cases = self.filter_cases()
        everything = reader.get(self.path, {"page_size": 500}).json()["count"]
        for case in cases:
            response = reader.get(self.path, {**case.params, "page_size": 500})
            assert response.status_code == 200, (case.params, response.json())
            rows = response.json()["results"]
            assert rows, f"{case.params} matched nothing: a filter test must bite"
            assert response.json()["count"] < everything, case.params
            bad = [row[self.key] for row in rows if not case.holds(row)]
            assert not bad, (case.params, bad)

    def test_unknown_filter_value_is_400_naming_it(self, reader):
        for case in self.filter_cases():
            name = next(iter(case.params))
            if name in ("search", "ordering") or name.endswith(("_min", "_max")):
                continue
            response = reader.get(self.path, {name: "§nonsense§"})
            if response.status_code == 400:
                assert name in response.json()["errors"], response.json()
                return

    def test_read_only_token_cannot_write(self, reader):
        key = self.any_key(reader)
        response = reader.patch(self.detail(key), {"name": "x"}, format="json")
        if self.write is None:
            assert response.status_code in (403, 405)
        else:
            assert response.status_code == 403
            assert response.json()["code"] == "permission_denied"

    def test_outside_scope_is_invisible(self, bazhou_reader, reader):
        if not self.scoped:
            # Reference data is the plan's public content: every caller sees it.
            assert (
                bazhou_reader.get(self.path).json()["count"]
                == reader.get(self.path).json()["count"]
            )
            return
        inside, outside = self.object_in_scope(), self.object_out_of_scope()
        assert bazhou_reader.get(self.detail(inside)).status_code == 200
        response = bazhou_reader.get(self.detail(outside))
        assert response.status_code == 404
        listed = {
            row[self.key]
            for row in bazhou_reader.get(self.path, {"page_size": 500}).json()[
                "results"
            ]
        }
        assert inside in listed and outside not in listed
        assert reader.get(self.detail(outside)).status_code == 200

    def any_key(self, caller) -> str:
        if self.scoped:
            return self.object_in_scope()
        return caller.get(self.path).json()["results"][0][self.key]

    def _send(self, caller, key):
        return getattr(caller, self.write.method)(
            self.detail(key) + self.write.suffix,
            self.write.body,
            format="json",
            **{
                f"HTTP_{k.upper().replace('-', '_')}": v
                for k, v in self.write.headers.items()
            },
        )


__all__ = ["FilterCase", "ResourceContract", "WriteCase", "token_caller"]


class ReadOnlyResourceContract(ResourceContract):
    """The contract of a resource nobody writes through the API (reference data)."""

    def test_writes_are_refused_on_read_only_resources(self, writer):
        key = self.any_key(writer)
        for method in ("patch", "put", "delete", "post"):
            response = getattr(writer, method)(self.detail(key), {}, format="json")
            assert response.status_code == 405, method
            assert response.json()["code"] == "method_not_allowed"
        assert writer.post(self.path, {}, format="json").status_code == 405


class WritableResourceContract(ResourceContract):
    """The contract of a resource written through the API, within a scope."""

    scoped = True

    def test_write_outside_scope_is_404_and_changes_nothing(
        self, bazhou_writer, reader
    ):
        outside = self.object_out_of_scope()
        before = reader.get(self.detail(outside)).json()
        self.prepare_write(outside)
        response = self._send(bazhou_writer, outside)
        assert response.status_code == 404
        after = reader.get(self.detail(outside)).json()
        assert after["version"] == before["version"]

    def test_write_changes_the_object_and_leaves_history(self, bazhou_writer):
        key = self.object_in_scope()
        self.prepare_write(key)
        before = bazhou_writer.get(self.detail(key))
        history_before = bazhou_writer.get(self.detail(key) + "history/").json()
        response = self._send(bazhou_writer, key)
        assert response.status_code == 200, response.json()
        body = response.json()
        for name, value in self.write.expect.items():
            assert body[name] == value, name
        assert body["version"] > before.json()["version"]
        assert response["ETag"].startswith(f'"{body["version"]}-')
        assert bazhou_writer.get(self.detail(key)).json() == body
        history = bazhou_writer.get(self.detail(key) + "history/").json()
        assert history["count"] > history_before["count"]
        newest = history["results"][0]
        assert newest["actor"] == bazhou_writer.api_client.actor_label

    # -- helpers -------------------------------------------------------------------
