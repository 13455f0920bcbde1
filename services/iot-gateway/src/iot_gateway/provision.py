"""`iot-gateway-provision`: give vehicles their MQTT credentials on the local broker (dev).

username = vehicle id, password = `mobility_platform.signing.vehicle_mqtt_password(secret, id)`
(docs/internal-apis.md). The clear-text lines go to `$MC_STATE_DIR/mosquitto/vehicles.passwd.in`
(merged with what is there, rewritten atomically under the infra lock), then
`deploy/local/infra.sh mqtt-reload` hashes them and SIGHUPs the broker: no restart. One HMAC per
vehicle and one `mosquitto_passwd -U` run, so thousands of vehicles take well under a second.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from mobility_platform.signing import vehicle_mqtt_password

from iot_gateway.fleet_client import list_vehicle_ids

cli = typer.Typer(help=__doc__, add_completion=False)


def canonical_vehicle_id(raw: str) -> str:
    """Broker usernames are canonical UUID text (ACL `%u` must equal the topic segment)."""
    value = str(uuid.UUID(raw.strip()))
    if value != raw.strip():
        raise ValueError(f"{raw!r} is not a canonical (lower-case, hyphenated) UUID")
    return value


def credentials(secret: str, vehicle_ids: Iterable[str]) -> dict[str, str]:
    return {vid: vehicle_mqtt_password(secret, vid) for vid in vehicle_ids}


@contextmanager
def _locked(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read_lines(path: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            user, sep, password = line.partition(":")
            if sep and user.strip() and not user.lstrip().startswith("#"):
                entries[user.strip()] = password
    return entries


def merge_passwd_in(
    path: Path, *, add: Mapping[str, str], remove: Collection[str] = (), lock_file: Path
) -> int:
    """Add/replace and remove `user:password` lines; returns the number of lines kept."""
    with _locked(lock_file):
        entries = _read_lines(path)
        for user in remove:
            entries.pop(user, None)
        entries.update(add)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".vehicles.passwd.in.")
        with os.fdopen(fd, "w") as out:
            out.writelines(f"{user}:{password}\n" for user, password in entries.items())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return len(entries)


def reload_broker(infra_sh: Path) -> None:
    """Hash the credentials into the broker's password file and SIGHUP it."""
    result = subprocess.run(
        [str(infra_sh), "mqtt-reload"], capture_output=True, text=True, check=False, timeout=120
    )
    if result.returncode != 0:
        raise RuntimeError(f"mqtt-reload failed:\n{result.stdout}\n{result.stderr}")


def read_vehicle_file(path: Path) -> list[str]:
    """A VehiclePage JSON, a JSON list of vehicles or ids, or one id per line."""
    text = path.read_text()
    if path.suffix == ".json":
        data: Any = json.loads(text)
        items = data["items"] if isinstance(data, dict) else data
        return [str(item["id"] if isinstance(item, dict) else item) for item in items]
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def repo_root() -> Path:
    for candidate in (Path.cwd(), *Path.cwd().parents):
        if (candidate / "deploy" / "local" / "infra.sh").exists():
            return candidate
    return Path.cwd()


def _state_dir(root: Path) -> Path:
    return Path(os.environ.get("MC_STATE_DIR", str(root / ".cache" / "infra")))


def _secrets_dir(root: Path) -> Path:
    return Path(os.environ.get("MC_SECRETS_DIR", str(root / ".cache" / "secrets")))


def provision(
    vehicle_ids: Iterable[str],
    *,
    secret: str,
    state_dir: Path,
    remove: bool = False,
    reload_with: Path | None = None,
) -> int:
    """Write (or with `remove`, delete) vehicles' credentials, then reload the broker."""
    ids = sorted({canonical_vehicle_id(v) for v in vehicle_ids})
    passwd_in = state_dir / "mosquitto" / "vehicles.passwd.in"
    lock = state_dir.parent / f"{state_dir.name}.lock"
    if remove:
        merge_passwd_in(passwd_in, add={}, remove=ids, lock_file=lock)
    else:
        merge_passwd_in(passwd_in, add=credentials(secret, ids), lock_file=lock)
    if reload_with is not None:
        reload_broker(reload_with)
    return len(ids)


@cli.command()
def main(
    vehicle_ids: Annotated[list[str] | None, typer.Argument(help="Vehicle ids")] = None,
    file: Annotated[Path | None, typer.Option(help="JSON (VehiclePage/list) or text")] = None,
    from_fleet: Annotated[str | None, typer.Option(help="Fleet base URL")] = None,
    city: Annotated[str | None, typer.Option(help="Only this city (with --from-fleet)")] = None,
    secret_file: Annotated[Path | None, typer.Option(help="vehicle_mqtt_secret")] = None,
    service_key: Annotated[Path | None, typer.Option(help="service_jwt_private.pem")] = None,
    remove: Annotated[bool, typer.Option(help="Delete these vehicles' credentials")] = False,
    reload: Annotated[bool, typer.Option(help="Run infra.sh mqtt-reload afterwards")] = True,
) -> None:
    """Provision MQTT credentials for vehicles (ids, a file and/or fleet's listing)."""
    root = repo_root()
    ids = list(vehicle_ids or [])
    if file is not None:
        ids += read_vehicle_file(file)
    if from_fleet is not None:
        key = (service_key or _secrets_dir(root) / "service_jwt_private.pem").read_text()
        ids += asyncio.run(list_vehicle_ids(from_fleet, service_private_key=key, city=city))
    if not ids:
        raise typer.BadParameter("no vehicles: pass ids, --file or --from-fleet")
    secret = (secret_file or _secrets_dir(root) / "vehicle_mqtt_secret").read_text().strip()
    count = provision(
        ids,
        secret=secret,
        state_dir=_state_dir(root),
        remove=remove,
        reload_with=root / "deploy" / "local" / "infra.sh" if reload else None,
    )
    typer.echo(f"{'removed' if remove else 'provisioned'} {count} vehicle credential(s)")
