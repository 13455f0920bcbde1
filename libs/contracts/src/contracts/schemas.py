"""Export JSON Schema for every event (as its full CloudEvent) and every MQTT payload.

`contracts-schemas` writes them under libs/contracts/schemas/; `contracts-schemas --check`
exits 1 when the committed files differ from the models (CI and a test run it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from contracts import mqtt
from contracts.envelope import CloudEvent, event_types

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas"
_MQTT_MODELS: tuple[type[BaseModel], ...] = (
    mqtt.VehicleCommand,
    mqtt.SignedCommand,
    mqtt.CommandAck,
    mqtt.Telemetry,
)


def render_all() -> dict[str, str]:
    """Relative path -> JSON text, for every exported schema."""
    out: dict[str, str] = {}
    for name, cls in sorted(event_types().items()):
        schema = CloudEvent[cls].model_json_schema()  # type: ignore[valid-type]
        schema["title"] = name
        schema["x-topic"] = cls.topic
        schema["x-key"] = cls.key_field
        out[f"events/{cls.topic}/{name}.json"] = _dump(schema)
    for model in _MQTT_MODELS:
        out[f"mqtt/{model.__name__}.json"] = _dump(model.model_json_schema())
    return out


def _dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def diff(directory: Path) -> list[str]:
    """Paths whose committed schema is missing, stale or no longer produced."""
    expected = render_all()
    problems = [
        path
        for path, text in expected.items()
        if not (directory / path).is_file() or (directory / path).read_text() != text
    ]
    committed = {str(p.relative_to(directory)) for p in directory.rglob("*.json")}
    problems += sorted(committed - set(expected))
    return problems


def write(directory: Path) -> int:
    expected = render_all()
    for stale in set(map(str, directory.rglob("*.json"))) - {str(directory / p) for p in expected}:
        Path(stale).unlink()
    for path, text in expected.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return len(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--check", action="store_true", help="fail if committed schemas differ")
    args = parser.parse_args(argv)
    if args.check:
        problems = diff(args.out)
        for path in problems:
            sys.stderr.write(f"schema out of date: {path}\n")
        return 1 if problems else 0
    count = write(args.out)
    sys.stdout.write(f"wrote {count} schemas to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
