"""Source checks: where the source's own figures disagree with each other or with us.

Each finding says what was expected, what was found, and where in the source it is, in
Spanish and English (texts.py, key check_<kind>). Findings are facts for the report, not
errors: a run goes on.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from .boundaries import BoundaryReport
from .coverage import Coverage
from .districts import Gazetteer, normalize_ubigeo
from .formatting import cite, cite_origin
from .inventory import Inventory, Origin, read_data_csv
from .texts import TEXTS, messages

log = logging.getLogger(__name__)

COLUMNS = ["check", "service", "where", "source", "expected", "found", "message_es", "message_en"]
#: A declared total that differs from the listing names the unlisted districts when they are this few.
UNLISTED_NAMED = 5


def finding(check: str, service: str, where: str, expected, found, /, **values) -> dict:
    """A finding of kind check, its message in each language from the text check_<check>;
    its source (the documents or files that hold its figures) is cited from where."""
    return {"check": check, "service": service, "where": where, "source": cite(where, "es"),
            "expected": expected, "found": found, **messages(f"check_{check}", **values)}


def cite_sources(checks: pd.DataFrame, origins: dict[str, Origin]) -> pd.DataFrame:
    """checks with the source of findings made elsewhere (facility placement) named: a
    facility list by its title when it is a known document, else by its file name."""
    checks = checks.copy()
    titles = {Path(o.path).name: cite_origin(o, "es") for o in origins.values() if o.document}
    def source(row: pd.Series) -> str:
        if isinstance(row["source"], str) and row["source"]:
            return row["source"]
        text = cite(str(row["where"]), "es")
        return next((text.replace(name, title, 1) for name, title in titles.items() if text.startswith(name)), text)
    checks["source"] = checks.apply(source, axis=1) if len(checks) else pd.Series(dtype=object)
    return checks


def declared_vs_listed(coverage: Coverage, declared: pd.DataFrame, origins: dict[str, Origin] | None = None) -> list[dict]:
    """A service whose declared total differs from the sum of what is listed by district:
    within the embedded summary, or between it and the user's file that replaced its
    listing (a finding of its own kind, naming both)."""
    findings = []
    origins = origins or {}
    for service, row in coverage.summary.iterrows():
        listed, total = row["listed_total"], row["declared_total"]
        if pd.isna(listed) or pd.isna(total) or listed == total:
            continue
        origin = origins.get(service)
        if origin is not None and not origin.embedded:
            where = f"{declared.at[service, 'source']}; {origin.path}"
            first = {lang: cite(declared.at[service, "source"], lang) for lang in TEXTS}
            second = {lang: cite_origin(origin, lang) for lang in TEXTS}
            findings.append(
                finding("sources_differ", service, where, int(total), int(listed),
                        service=service, total=total, listed=listed, first=first, second=second)
                | {"source": f"{first['es']}; {second['es']}"})
            continue
        gaps = coverage.gaps(service)["district"].tolist()
        unlisted = {lang: "" for lang in TEXTS}
        if 0 < len(gaps) <= UNLISTED_NAMED:
            unlisted = {lang: text["check_unlisted"].format(districts=", ".join(gaps)) for lang, text in TEXTS.items()}
        findings.append(
            finding("declared_vs_listed", service, declared.at[service, "source"], int(total), int(listed),
                    service=service, total=total, listed=listed, unlisted=unlisted)
        )
    return findings


def table_totals() -> list[dict]:
    """Consolidated tables whose stated total differs from the sum of their columns."""
    tables = read_data_csv("consolidated.csv")
    tables["count"] = tables["count"].astype(int)
    findings = []
    for table, rows in tables.groupby("table", sort=False):
        stated = rows.loc[rows["service"] == "TOTAL", "count"].sum()
        parts = rows.loc[rows["service"] != "TOTAL", "count"].sum()
        if stated != parts:
            title = rows["title_es"].iloc[0]
            findings.append(
                finding("table_total", "", rows["source"].iloc[0], int(stated), int(parts),
                        title=title, stated=stated, parts=parts)
            )
    return findings


def consolidated_vs_declared(declared: pd.DataFrame) -> list[dict]:
    """A service whose figure in a consolidated table differs from its own section."""
    tables = read_data_csv("consolidated.csv")
    tables = tables[tables["service"] != "TOTAL"]
    findings = []
    for _, row in tables.iterrows():
        total = declared["declared_total"].get(row["service"], pd.NA)
        if pd.notna(total) and int(row["count"]) != total:
            findings.append(
                finding("consolidated_vs_section", row["service"], row["source"], int(total), int(row["count"]),
                        service=row["service"], count=row["count"], total=total)
            )
    return findings


def spellings(inventory: Inventory, gazetteer: Gazetteer) -> list[dict]:
    """District names written differently from the official name (beyond case and accents)."""
    counts = inventory.counts
    # rows that name their district by ubigeo (or by a point) have no spelling to check
    named = counts.loc[[normalize_ubigeo(w) is None and bool(w) for w in counts["written"]]]
    odd = named.loc[[not gazetteer.is_official_spelling(w, u) for w, u in zip(named["written"], named["ubigeo"])]]
    findings = []
    for (written, ubigeo), rows in odd.groupby(["written", "ubigeo"], sort=False):
        official = gazetteer.name(ubigeo)
        services = ", ".join(dict.fromkeys(rows["service"]))
        where = "; ".join(dict.fromkeys(rows["source"]))
        findings.append(
            finding("spelling", services, where, official, written,
                    written=written, services=services, official=official, ubigeo=ubigeo)
        )
    return findings


def boundary_findings(report: BoundaryReport, gazetteer: Gazetteer) -> list[dict]:
    """Boundary features that had to be repaired or renamed, have no geometry, or are missing."""
    findings = []
    for written, ubigeo in report.renamed:
        official = gazetteer.name(ubigeo)
        findings.append(finding("boundary_name", "", report.path, official, written,
                                written=written, official=official, ubigeo=ubigeo))
    for name in report.empty:
        findings.append(finding("boundary_empty", "", report.path, "geometry", "none", name=name))
    for name in report.missing:
        findings.append(finding("boundary_missing", "", report.path, name, "none", name=name))
    for name in report.repaired:
        findings.append(finding("boundary_repaired", "", report.path, "valid geometry", "invalid", name=name))
    return findings


def run_checks(
    coverage: Coverage,
    inventory: Inventory,
    declared: pd.DataFrame,
    gazetteer: Gazetteer,
    boundary: BoundaryReport,
    *,
    embedded: bool,
) -> pd.DataFrame:
    """Every finding about the sources, in a stable order."""
    findings = declared_vs_listed(coverage, declared, inventory.origin)
    if embedded:
        findings += table_totals() + consolidated_vs_declared(declared)
    findings += spellings(inventory, gazetteer) + boundary_findings(boundary, gazetteer)
    log.debug("Source checks: %d findings", len(findings))
    return pd.DataFrame(findings, columns=COLUMNS)
