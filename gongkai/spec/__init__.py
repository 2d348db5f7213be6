"""The declarations: dataset specs, Table Schemas, quality suites, cross-dataset links, derived-field parsers and
pipeline (schedule) files. Nothing here reads a source or touches a database."""

from .dataset import DatasetSpec, Privacy, Source
from .links import FlowMap, Link, UseMap
from .loading import Specs, load_spec, read_yaml_mapping
from .pipelines import PipelineSpec, find_pipeline, load_pipeline, load_pipelines, pipelines_dir
from .schema import Field, TableSchema, check_schema
from .suite import Expectation, Suite, load_suite

__all__ = [
    "DatasetSpec", "Expectation", "Field", "FlowMap", "Link", "PipelineSpec", "Privacy", "Source", "Specs", "Suite",
    "TableSchema", "UseMap", "check_schema", "find_pipeline", "load_pipeline", "load_pipelines", "load_spec",
    "load_suite", "pipelines_dir", "read_yaml_mapping",
]
