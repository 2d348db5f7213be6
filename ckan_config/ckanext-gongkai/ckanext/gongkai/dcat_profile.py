"""gongkai's DCAT profile (ckanext-dcat, after ``euro_dcat_ap_3``): what the scheming fields know and the default
profile leaves out — the publisher (our ``publisher`` is a name, not DCAT-AP's publisher object), a contact
point, the licence, the version, the Table Schema the data conforms to (the current ``datapackage.json``), and the
span in time and place read from the current release's rows (``temporal_*``, ``spatial_*``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from ckanext.dcat.profiles import RDFProfile
from ckanext.dcat.profiles.base import DCAT, DCT, FOAF, OWL, VCARD


class GongkaiProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: Any) -> None:
        g = self.g
        org = dataset_dict.get("organization") or {}
        name = dataset_dict.get("publisher") or org.get("title")
        page = tk.url_for("dataset.read", id=dataset_dict["name"], _external=True)
        if name and not list(g.objects(dataset_ref, DCT.publisher)):
            agent = URIRef(tk.url_for("organization.read", id=org["name"], _external=True)) if org else BNode()
            g.add((agent, RDF.type, FOAF.Agent))
            g.add((agent, FOAF.name, Literal(name, lang="zh")))
            g.add((dataset_ref, DCT.publisher, agent))
        if name and not list(g.objects(dataset_ref, DCAT.contactPoint)):
            contact = BNode()
            g.add((contact, RDF.type, VCARD.Organization))
            g.add((contact, VCARD.fn, Literal(name, lang="zh")))
            g.add((contact, VCARD.hasURL, URIRef(page)))
            g.add((dataset_ref, DCAT.contactPoint, contact))
        license_url = dataset_dict.get("license_url")
        if license_url and not list(g.objects(dataset_ref, DCT.license)):
            g.add((dataset_ref, DCT.license, URIRef(license_url)))
        version = dataset_dict.get("current_version")
        if version:
            g.add((dataset_ref, OWL.versionInfo, Literal(version)))
            g.add((dataset_ref, DCAT.version, Literal(version)))
            schema = next((r for r in dataset_dict.get("resources", [])
                           if r.get("name") == f"{version} datapackage.json" and r.get("url")), None)
            if schema:
                g.add((dataset_ref, DCT.conformsTo, URIRef(schema["url"])))
        self._coverage(dataset_dict, dataset_ref)

    def _coverage(self, d: dict[str, Any], dataset_ref: Any) -> None:
        g = self.g
        start, end = d.get("temporal_start"), d.get("temporal_end")
        if (start or end) and not list(g.objects(dataset_ref, DCT.temporal)):  # else the base profile's stands
            period = BNode()
            g.add((period, RDF.type, DCT.PeriodOfTime))
            if start:
                g.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
            if end:
                g.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))
            g.add((dataset_ref, DCT.temporal, period))
        if d.get("spatial_text"):  # the base profile names the place; its GB/T 2260 code is ours to add
            place = next(iter(g.objects(dataset_ref, DCT.spatial)), None)
            if place is None:
                place = BNode()
                g.add((place, RDF.type, DCT.Location))
                g.add((place, SKOS.prefLabel, Literal(d["spatial_text"], lang="zh")))
                g.add((dataset_ref, DCT.spatial, place))
            if d.get("spatial_code"):
                g.add((place, DCT.identifier, Literal(d["spatial_code"])))
