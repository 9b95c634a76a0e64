"""Source checks: where the source's own figures disagree with each other or with us.

Each finding says what was expected, what was found, and where in the source it is, in
Spanish and English. Findings are facts for the report, not errors: a run goes on.
"""

from __future__ import annotations

import logging

import pandas as pd

from .boundaries import BoundaryReport
from .coverage import Coverage
from .districts import Gazetteer, normalize_ubigeo
from .inventory import Inventory, read_data_csv

log = logging.getLogger(__name__)

COLUMNS = ["check", "service", "where", "expected", "found", "message_es", "message_en"]


def _finding(check, service, where, expected, found, es, en) -> dict:
    return dict(zip(COLUMNS, [check, service, where, expected, found, es, en]))


def declared_vs_listed(coverage: Coverage, declared: pd.DataFrame) -> list[dict]:
    """A service whose declared total differs from the sum of what is listed by district."""
    findings = []
    for service, row in coverage.summary.iterrows():
        listed, total = row["listed_total"], row["declared_total"]
        if pd.isna(listed) or pd.isna(total) or listed == total:
            continue
        gaps = coverage.gaps(service)["district"].tolist()
        unlisted_es = unlisted_en = ""
        if 0 < len(gaps) <= 5:
            unlisted_es = f"; no figuran: {', '.join(gaps)}"
            unlisted_en = f"; not listed: {', '.join(gaps)}"
        findings.append(
            _finding(
                "declared_vs_listed", service, declared.at[service, "source"], int(total), int(listed),
                f"{service}: el total declarado es {total}, pero la tabla por distrito suma {listed}{unlisted_es}.",
                f"{service}: the declared total is {total}, but the table by district adds up to {listed}{unlisted_en}.",
            )
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
                _finding(
                    "table_total", "", rows["source"].iloc[0], int(stated), int(parts),
                    f"Consolidado «{title}»: el total indicado es {stated}, pero sus columnas suman {parts}.",
                    f"Consolidated table «{title}»: its stated total is {stated}, but its columns add up to {parts}.",
                )
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
                _finding(
                    "consolidated_vs_section", row["service"], row["source"], int(total), int(row["count"]),
                    f"{row['service']}: el consolidado indica {row['count']}, su sección indica {total}.",
                    f"{row['service']}: the consolidated table gives {row['count']}, its section gives {total}.",
                )
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
            _finding(
                "spelling", services, where, official, written,
                f"«{written}» ({services}) se leyó como el distrito {official} ({ubigeo}).",
                f"“{written}” ({services}) was read as the district {official} ({ubigeo}).",
            )
        )
    return findings


def boundary_findings(report: BoundaryReport, gazetteer: Gazetteer) -> list[dict]:
    """Boundary features that had to be repaired or renamed, have no geometry, or are missing."""
    findings = []
    for written, ubigeo in report.renamed:
        official = gazetteer.name(ubigeo)
        findings.append(
            _finding(
                "boundary_name", "", report.path, official, written,
                f"Límites: «{written}» se leyó como {official} ({ubigeo}).",
                f"Boundaries: “{written}” was read as {official} ({ubigeo}).",
            )
        )
    for name in report.empty:
        findings.append(
            _finding(
                "boundary_empty", "", report.path, "geometry", "none",
                f"Límites: el distrito {name} no tiene geometría; no se dibuja ni se miden distancias.",
                f"Boundaries: the district {name} has no geometry; it is not drawn and has no distances.",
            )
        )
    for name in report.missing:
        findings.append(
            _finding(
                "boundary_missing", "", report.path, name, "none",
                f"Límites: el distrito {name} no está en el archivo; queda fuera del análisis.",
                f"Boundaries: the district {name} is not in the file; it is left out of the analysis.",
            )
        )
    for name in report.repaired:
        findings.append(
            _finding(
                "boundary_repaired", "", report.path, "valid geometry", "invalid",
                f"Límites: la geometría de {name} era inválida y se reparó.",
                f"Boundaries: the geometry of {name} was invalid and was repaired.",
            )
        )
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
    findings = declared_vs_listed(coverage, declared)
    if embedded:
        findings += table_totals() + consolidated_vs_declared(declared)
    findings += spellings(inventory, gazetteer) + boundary_findings(boundary, gazetteer)
    log.info("Source checks: %d findings", len(findings))
    return pd.DataFrame(findings, columns=COLUMNS)
