"""The routing table: a review plan in the form a production system applies.

One rule per unit of the plan (sensitive group, context, score stratum, model decision),
each giving the probability that a case it matches goes to a human, split into the random
quality sample and targeted review. The format is published as a JSON Schema
(``fairloop/data/routing.schema.json``) and written as JSON or TOML; TOML has no null, so
absent keys stand for open score edges in both forms.

To apply it, a system finds the one rule whose ``when`` values all equal the case's (as
text), whose score range holds the case's score (``score_from <= score < score_to``, an
absent edge open; ``score_missing`` for a case without a score) and whose
``model_decision`` is the model's; it draws ``u`` uniform on [0, 1) and sends the case to
a human when ``u < review_probability``, as a quality-sample case when ``u <
quality_probability``. A case no rule matches goes to a human with
``default_review_probability``. Recording each case's ``review_probability`` and reason
in the decision log lets the next audit weight reviewed cases by design
(``estimator = "inverse-probability"``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fairloop._files import written
from fairloop._plain import json_safe
from fairloop._version import __version__
from fairloop.exceptions import ConfigError
from fairloop.vocabulary import MISSING_GROUP

if TYPE_CHECKING:
    from fairloop.plan._plan import ReviewPlan

__all__ = ["ROUTING_FORMAT", "read_routing", "routing_schema", "routing_table", "write_routing"]

#: The routing table's format name and version (``routing.schema.json``).
ROUTING_FORMAT = ("fairloop-routing", 1)
#: Decimals of the probabilities written.
_DECIMALS = 6


@cache
def routing_schema() -> dict[str, Any]:
    """The JSON Schema of the routing table (``fairloop/data/routing.schema.json``)."""
    text = resources.files("fairloop.data").joinpath("routing.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def routing_table(plan: ReviewPlan) -> dict[str, Any]:
    """The plan as a routing table (plain data; see the module's docstring)."""
    units = plan.units
    context = list(plan.by)
    rules = []
    columns = {name: units[name].tolist() for name in units.columns}
    for i in range(len(units)):
        rule: dict[str, Any] = {
            "when": {a: str(columns[a][i]) for a in (*plan.sensitive, *context)},
            "model_decision": columns["decision"][i],
        }
        if "band" in columns:
            if str(columns["band"][i]) == MISSING_GROUP:
                rule["score_missing"] = True
            else:
                for edge in ("score_from", "score_to"):
                    value = columns[edge][i]
                    if value is not None and math.isfinite(float(value)):
                        rule[edge] = float(value)
        quality = round(float(columns["quality_rate"][i]), _DECIMALS)
        total = round(float(columns["review_rate"][i]), _DECIMALS)
        rule["review_probability"] = total
        rule["quality_probability"] = min(quality, total)
        rule["targeted_probability"] = round(total - min(quality, total), _DECIMALS)
        rule["cases_in_log"] = int(columns["cases"][i])
        rules.append(rule)
    provenance = plan.provenance
    table: dict[str, Any] = {
        "format": ROUTING_FORMAT[0],
        "version": ROUTING_FORMAT[1],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "fairloop_version": __version__,
        "source": {key: provenance[key] for key in ("data_sha256", "rows") if provenance.get(key)},
        "budget": {
            "share": round(plan.budget_share, _DECIMALS),
            "cases": round(plan.budget_cases, 3),
            "given_as": plan.comparison.get("budget", ""),
        },
        "floor": round(plan.floor, _DECIMALS),
        "match": {
            "sensitive": list(plan.sensitive),
            "context": context,
            **({"score": plan.score} if plan.score else {}),
            "positive": str(plan.positive),
        },
        "default_review_probability": round(plan.budget_share, _DECIMALS),
        "rules": rules,
    }
    out: dict[str, Any] = json_safe(table)
    return out


def write_routing(table: dict[str, Any], path: Path) -> Path:
    """Write a routing table as JSON (``.json``) or TOML (``.toml``), whole or not at all."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        text = json.dumps(table, indent=2, ensure_ascii=False) + "\n"
    elif suffix == ".toml":
        import tomli_w

        text = tomli_w.dumps(table)
    else:
        raise ConfigError(
            f"{{option}} must end in .json or .toml (the routing table's two forms). Got "
            f"{path.name!r}.",
            option="routing",
        )
    return written(path, lambda target: target.write_text(text, encoding="utf-8"))


def read_routing(path: str | Path) -> dict[str, Any]:
    """Read a routing table written by :func:`write_routing` (JSON or TOML).

    Raises
    ------
    ConfigError
        When the file cannot be read or is not a routing table of a known version.
    """
    import tomllib

    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
        data: Any = tomllib.loads(text) if source.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"{{option}}: {source} is not a readable routing table ({exc}).", option="routing"
        ) from None
    if not isinstance(data, dict) or data.get("format") != ROUTING_FORMAT[0]:
        raise ConfigError(
            f"{{option}}: {source} is not a fairloop routing table (no format "
            f"{ROUTING_FORMAT[0]!r}).",
            option="routing",
        )
    if data.get("version") != ROUTING_FORMAT[1]:
        raise ConfigError(
            f"{{option}}: {source} is a routing table of version {data.get('version')!r}; "
            f"this fairloop reads version {ROUTING_FORMAT[1]}.",
            option="routing",
        )
    return data
