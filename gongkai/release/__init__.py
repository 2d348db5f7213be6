"""Releases: immutable, versioned directories of data files (CSV, JSON, Parquet, XLSX), a Data Package, the
validation report, a changelog and a hash-chained manifest (:mod:`.build`, :mod:`.writers`, :mod:`.changelog`,
:mod:`.store`); reading them back (:mod:`.reading`), verifying (:mod:`.verify`) and comparing (:mod:`.diff`) them,
and the catalogue page (:mod:`.catalogue`).

Nothing is imported here, so that ``gongkai verify`` and ``gongkai history`` load only what they use.
"""
