"""The one seam to CKAN: ``Client.call`` with typed errors, retries for transient failures only, and a count of
every call (tests prove a republish of an unchanged catalog makes no writes). Every ckanapi error becomes a
gongkai error here; nothing above this module sees ckanapi's own. The API token is never printed."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import ckanapi

from ..errors import CkanError, CkanNotFound, CkanUnavailable, NotAuthorized, UsageError
from ..settings import CkanSettings, Secret

READS = {"status_show", "package_show", "organization_show", "organization_list_for_user", "group_list",
         "datastore_info", "resource_show", "package_search", "datastore_search", "resource_view_list"}


class Client:
    def __init__(self, url: str | None, token: str | Secret | None, retries: int = 3, backoff: float = 1.0,
                 timeout: float = 120) -> None:
        if not url:
            raise UsageError("no CKAN URL", "Give --ckan-url or set CKAN_URL.")
        self.url = url.rstrip("/")
        secret = token if isinstance(token, Secret) else Secret(token) if token else None
        self.token = secret
        self._ckan = ckanapi.RemoteCKAN(self.url, apikey=secret.reveal() if secret else None, user_agent="gongkai")
        self.retries, self.backoff, self.timeout = retries, backoff, timeout
        self.calls: Counter[str] = Counter()
        self.uploads = 0

    @classmethod
    def connect(cls, settings: CkanSettings, **kw: Any) -> Client:
        """A client for the catalog the settings name, with the token they resolve to."""
        return cls(settings.url, settings.token(), **kw)

    def __repr__(self) -> str:  # never show the token
        return f"Client({self.url!r})"

    @property
    def writes(self) -> int:
        return sum(n for action, n in self.calls.items() if action not in READS)

    def call(self, action: str, data: dict[str, Any] | None = None, files: dict[str, Any] | None = None) -> Any:
        attempt = 0
        while True:
            self.calls[action] += 1
            try:
                if files:
                    self.uploads += 1
                    for f in files.values():
                        f.seek(0)
                return self._ckan.call_action(action, data or {}, files=files, requests_kwargs={"timeout": self.timeout})
            except ckanapi.NotAuthorized as e:
                raise NotAuthorized(f"CKAN refused {action}: not authorized ({_short(e)})") from None
            except ckanapi.NotFound as e:
                raise CkanNotFound(f"CKAN has no such object for {action} ({_short(e)})") from None
            except ckanapi.ValidationError as e:
                raise CkanError(f"CKAN rejected {action}: {_short(e)}") from None
            except (ckanapi.CKANAPIError, OSError) as e:
                # connection refused, timeout, 5xx: transient. Only reads are retried here: CKAN may have saved a
                # write that failed or timed out, so a write is retried by running the plan again, which looks first.
                attempt += 1
                if attempt > self.retries or action not in READS:
                    raise CkanUnavailable(f"CKAN at {self.url} failed {action}: {_short(e)}",
                                          "Nothing partial is public; run the same command again when CKAN is back.") from None
                time.sleep(self.backoff * 2 ** (attempt - 1))

    def editable_organizations(self) -> frozenset[str]:
        """The organizations the token's own user may create or update datasets in (a sysadmin: all of them):
        who a partition's submitter is, as CKAN knows it."""
        orgs = self.call("organization_list_for_user", {"permission": "create_dataset"})
        return frozenset(str(o["name"]) for o in orgs)

    def show(self, action: str, **data: Any) -> dict[str, Any] | None:
        """A read that answers None for an object CKAN does not have."""
        try:
            return self.call(action, data)  # type: ignore[no-any-return]
        except CkanNotFound:
            return None


def _short(e: Exception) -> str:
    text = str(e.args[0] if e.args else e)
    return text if len(text) < 300 else text[:300] + "…"
