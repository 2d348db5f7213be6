"""CKAN, through one seam: :mod:`.client` (every ckanapi error mapped to a gongkai error), :mod:`.publish`
(releases, planned then applied), :mod:`.resources` (a file put only when it changed), :mod:`.remote` (releases
read back through a checked cache) and :mod:`.reports` (report datasets and pages)."""
