"""``gongkai_resource_withdraw``: delete a resource and its uploaded bytes, for a withdrawn release.

CKAN's own ``resource_delete`` only marks the resource deleted: its file stays in the server's storage directory.
A version is withdrawn because it published what it must not (a leaked number, an expired 公示期), so the bytes
must go too. The caller needs ``resource_delete`` rights on the resource; DataStore drops the resource's table
itself when the resource is deleted.
"""

from __future__ import annotations

import os
from typing import Any

import ckan.lib.uploader as uploader
import ckan.plugins.toolkit as tk


def gongkai_resource_withdraw(context: dict[str, Any], data_dict: dict[str, Any]) -> dict[str, Any]:
    resource_id = tk.get_or_bust(data_dict, "id")
    tk.check_access("resource_delete", context, {"id": resource_id})
    resource = tk.get_action("resource_show")(dict(context), {"id": resource_id})
    path = uploader.get_resource_uploader(resource).get_path(resource_id) if resource.get("url_type") == "upload" else None
    tk.get_action("resource_delete")(dict(context), {"id": resource_id})
    removed = False
    if path and os.path.isfile(path):
        os.remove(path)
        removed = True
    return {"id": resource_id, "file_removed": removed}
