"""Error mapping of the API, and the credential file the provisioning command writes."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from contracts.errors import DomainError
from iot_gateway import api, domain
from iot_gateway.provision import (
    canonical_vehicle_id,
    credentials,
    merge_passwd_in,
    provision,
    read_vehicle_file,
)
from mobility_platform.signing import vehicle_mqtt_password


def test_every_domain_error_has_a_status() -> None:
    errors = {
        cls
        for cls in vars(domain).values()
        if isinstance(cls, type) and issubclass(cls, DomainError) and cls is not DomainError
    }
    assert errors == set(api.ERROR_STATUS)
    assert api.ERROR_STATUS[domain.VehicleTimeoutError] == 504
    assert api.ERROR_STATUS[domain.CommandRejectedError] == 409
    assert api.ERROR_STATUS[domain.BrokerUnavailableError] == 503


def test_credentials_follow_the_documented_derivation() -> None:
    vid = str(uuid.uuid4())
    assert credentials("s3cret", [vid]) == {vid: vehicle_mqtt_password("s3cret", vid)}
    assert len(credentials("s3cret", [vid])[vid]) == 32


def test_merge_keeps_other_accounts_replaces_and_removes(tmp_path: Path) -> None:
    passwd_in = tmp_path / "mosquitto" / "vehicles.passwd.in"
    passwd_in.parent.mkdir()
    passwd_in.write_text("# seeded by fleet\nkeep:me\nold:pw\n")
    lock = tmp_path / "infra.lock"
    merge_passwd_in(passwd_in, add={"old": "new", "added": "x"}, lock_file=lock)
    assert passwd_in.read_text().splitlines() == ["keep:me", "old:new", "added:x"]
    merge_passwd_in(passwd_in, add={}, remove=["old", "absent"], lock_file=lock)
    assert passwd_in.read_text().splitlines() == ["keep:me", "added:x"]
    assert passwd_in.stat().st_mode & 0o777 == 0o600


def test_provision_thousands_of_vehicles_at_once(tmp_path: Path) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5000)]
    assert provision(ids, secret="s", state_dir=tmp_path / "infra") == 5000
    lines = (tmp_path / "infra" / "mosquitto" / "vehicles.passwd.in").read_text().splitlines()
    assert len(lines) == 5000
    provision(ids[:10], secret="s", state_dir=tmp_path / "infra", remove=True)
    lines = (tmp_path / "infra" / "mosquitto" / "vehicles.passwd.in").read_text().splitlines()
    assert len(lines) == 4990


def test_only_canonical_uuids_become_broker_usernames() -> None:
    vid = str(uuid.uuid4())
    assert canonical_vehicle_id(vid) == vid
    for bad in (vid.upper(), "veh-1", "a/+/#"):
        with pytest.raises(ValueError):
            canonical_vehicle_id(bad)


def test_vehicle_files_in_every_supported_shape(tmp_path: Path) -> None:
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"items": [{"id": a}, {"id": b}], "total": 2}))
    plain = tmp_path / "ids.json"
    plain.write_text(json.dumps([a, b]))
    text = tmp_path / "ids.txt"
    text.write_text(f"# fleet\n{a}\n\n{b}\n")
    assert read_vehicle_file(page) == read_vehicle_file(plain) == read_vehicle_file(text) == [a, b]
