"""The control catalogues: schema, citations, evidence keys, coverage of the articles asked for."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from fairloop.config import AuditConfig
from fairloop.controls import (
    control_statuses,
    evidence_keys,
    evidence_states,
    load_catalogue,
    load_catalogues,
)
from fairloop.controls._catalogue import BUNDLED, DECIDED_BY
from fairloop.exceptions import ConfigError

from .conftest import SECTIONS

EU_REQUIRED = [
    "Art. 4a",
    "Art. 9",
    "Art. 10(2)(f)",
    "Art. 10(2)(g)",
    "Art. 10(3)",
    "Art. 11",
    "Annex IV",
    "Art. 12",
    "Art. 13(3)(b)",
    "Art. 14(4)",
    "Art. 15",
    "Art. 17",
    "Art. 26",
    "Art. 27",
    "Art. 72",
    "Art. 73",
]
NIST_REQUIRED = [
    "GOVERN 4.",
    "GOVERN 5.2",
    "MAP 2.3",
    "MEASURE 1.1",
    "MEASURE 2.1",
    "MEASURE 2.3",
    "MEASURE 2.11",
    "MEASURE 3.",
    "MEASURE 4.",
    "MANAGE 1.",
    "MANAGE 2.",
    "MANAGE 4.",
]


def _raw(name: str) -> dict:
    text = resources.files("fairloop").joinpath(f"data/controls/{name}").read_text("utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_catalogue_matches_its_schema(name: str) -> None:
    # checked on the raw TOML, independently of the loader
    raw = _raw(name)
    keys = set(evidence_keys())
    required = {"id", "title", "summary", "citation", "source_url", "evidence", "decided_by"}
    ids = [c["id"] for c in raw["controls"]]
    assert len(ids) == len(set(ids))
    for control in raw["controls"]:
        assert required <= set(control), control["id"]
        assert control["citation"].strip() and control["source_url"].startswith("https://")
        assert control["evidence"] and set(control["evidence"]) <= keys, control["id"]
        assert control["decided_by"] in DECIDED_BY
        if "attestation" in control["decided_by"]:
            assert control.get("attestation", "").strip(), control["id"]
    assert len(
        load_catalogue(resources.files("fairloop") / "data" / "controls" / name).controls
    ) == len(ids)


@pytest.mark.parametrize(
    ("name", "wanted"), [("eu_ai_act.toml", EU_REQUIRED), ("nist_ai_rmf.toml", NIST_REQUIRED)]
)
def test_catalogues_cover_the_provisions_asked_for(name: str, wanted: list[str]) -> None:
    ids = [c["id"] for c in _raw(name)["controls"]]
    for prefix in wanted:
        assert any(i.startswith(prefix) for i in ids), prefix


def test_every_evidence_key_is_decided_and_every_section_exists(demo_result) -> None:
    states = evidence_states(demo_result, flag_status=None, trail_verified=None)
    assert set(states) == set(evidence_keys())
    assert {k.section for k in evidence_keys().values()} <= set(SECTIONS)
    # without a store there are no adjudications, with the demo's time column there are trends
    assert states["adjudications"].state == "absent"
    assert states["trends"].state == "present"
    assert states["system_description"].state == "present"
    assert states["special_category_safeguards"].state == "absent"


def _catalogue(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text('[catalogue]\nid = "iso-42001"\nname = "ISO/IEC 42001 Annex A"\n' + body)
    return path


CONTROL = """
[[controls]]
id = "A.7.4"
title = "Quality of data for AI systems"
summary = "Data quality is defined and checked."
citation = "ISO/IEC 42001:2023, Annex A, A.7.4"
source_url = "https://www.iso.org/standard/81230.html"
evidence = ["coverage", "missing_data"]
decided_by = "evidence"
"""


def test_user_catalogue_is_loaded_and_decided(tmp_path: Path, demo_result) -> None:
    path = _catalogue(tmp_path, CONTROL)
    catalogues = load_catalogues([path])
    assert [c.id for c in catalogues] == ["eu-ai-act", "nist-ai-rmf", "iso-42001"]
    states = evidence_states(demo_result, flag_status=None, trail_verified=None)
    mine = [s for s in control_statuses(catalogues, states, ()) if s.catalogue == "iso-42001"]
    assert [(s.control.id, s.status) for s in mine] == [("A.7.4", "evidenced")]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ('evidence = ["coverage", "missing_data"]', 'evidence = ["coverage", "vibes"]'),
            "unknown evidence key 'vibes'",
        ),
        (('decided_by = "evidence"', 'decided_by = "attestation"'), "'attestation' is empty"),
        (('citation = "ISO/IEC 42001:2023, Annex A, A.7.4"\n', ""), "missing 'citation'"),
        (('decided_by = "evidence"', 'decided_by = "magic"'), "decided_by 'magic'"),
    ],
)
def test_bad_user_catalogue_names_file_control_and_fix(tmp_path: Path, edit, message) -> None:
    path = _catalogue(tmp_path, CONTROL.replace(*edit))
    with pytest.raises(ConfigError, match=r"mine\.toml, control 'A\.7\.4'") as err:
        load_catalogue(path)
    assert message in str(err.value)


def test_missing_catalogue_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_catalogues([tmp_path / "nope.toml"])


def test_status_rules_by_hand(demo_result) -> None:
    """Hand-decided cases: evidence complete, partial, gap, attestation needed and given."""
    from fairloop.config import Attestation
    from fairloop.controls import Catalogue, Control

    def control(cid: str, evidence: tuple[str, ...], decided_by: str = "evidence") -> Control:
        return Control(
            id=cid,
            title="t",
            summary="s",
            citation="c",
            source_url="https://x",
            evidence=evidence,
            decided_by=decided_by,  # type: ignore[arg-type]
            attestation="a person confirms" if "attestation" in decided_by else "",
        )

    catalogue = Catalogue(
        "test",
        "Test",
        "",
        "",
        "",
        (
            control("all", ("group_metrics", "provenance")),
            control("some", ("provenance", "adjudications")),
            control("none", ("adjudications", "audit_trail")),
            control("attest", ("provenance",), "evidence+attestation"),
            control("attested", ("provenance",), "evidence+attestation"),
            control("only", ("flags",), "attestation"),
        ),
        "memory",
    )
    states = evidence_states(demo_result, flag_status=None, trail_verified=None)
    signed = Attestation("attested", "Grace Hopper, DPO", "2026-11-01", "Reviewed.")
    got = {s.control.id: s.status for s in control_statuses([catalogue], states, [signed])}
    partial_metrics = states["group_metrics"].state
    assert got == {
        "all": "evidenced" if partial_metrics == "present" else "partial",
        "some": "partial",
        "none": "gap",
        "attest": "needs attestation",
        "attested": "evidenced",
        "only": "needs attestation",
    }


def test_attestations_and_safeguards_are_validated() -> None:
    base = {"prediction": "p", "label": "l", "sensitive": "s"}
    with pytest.raises(ConfigError, match="Unknown safeguard 'encryption'"):
        AuditConfig.from_mapping({**base, "safeguards": {"encryption": "yes"}})
    with pytest.raises(ConfigError, match="Missing: \\['statement'\\]"):
        AuditConfig.from_mapping(
            {**base, "attestations": [{"control": "Art. 9", "by": "x", "date": "2026-01-01"}]}
        )
    with pytest.raises(ConfigError, match=r"Unknown option colour= in system="):
        AuditConfig.from_mapping({**base, "system": {"colour": "blue"}})
