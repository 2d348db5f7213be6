"""Create the organizations and groups listed in YAML files, if missing (run with CKAN's virtualenv python)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import ckanapi
import yaml


def main(org_file: str, group_file: str) -> None:
    token = Path(os.environ["CKAN_API_TOKEN_FILE"]).read_text(encoding="utf-8").strip()
    ckan = ckanapi.RemoteCKAN(os.environ["CKAN_URL"], apikey=token)
    for path, kind in ((org_file, "organization"), (group_file, "group")):
        existing = set(ckan.call_action(f"{kind}_list", {"all_fields": False}))
        for item in yaml.safe_load(Path(path).read_text(encoding="utf-8")):
            if item["name"] not in existing:
                ckan.call_action(f"{kind}_create", item)
                print(f"created {kind} {item['name']}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
