"""Secrets in the rendered files: never a value; each pod (and compose service) gets only the
keys its role needs, as files its settings read; what the pods are given is accepted by the
settings loader as it stands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from swarmstack.render import render_files
from swarmstack.render.k8s import objects
from swarmstack.security.keyring import load_keyring
from swarmstack.settings.sources import load_layers
from tests.render.conftest import EXAMPLES, example_canaries, example_specs
from tests.render.test_k8s_network import with_redis
from tests.support.keys import TEST_KEY

SENTINELS = {
    "SWARMSTACK_SECURITY__JWT_SECRET": "jwt-sentinel-4f1c9",
    "SWARMSTACK_SECURITY__ENCRYPTION_KEY": "c2VudGluZWwta2V5LW9mLTMyLWJ5dGVzLWV4YWN0bHk=",
    "SWARMSTACK_SECURITY__ADMIN_KEY": "ssk_sentinel_admin",
    "SWARMSTACK_STORE__URL": "postgresql+asyncpg://u:sentinel-password@db/x",
    "REDIS_URL": "redis://:sentinel-redis@redis:6379/0",
}
WORKER_KEYS = {"store-url", "encryption-key"}
MANAGER_KEYS = WORKER_KEYS | {"admin-key", "jwt-secret"}


def containers(found: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Deployment name -> (its pod spec, its one container)."""
    return {
        d["metadata"]["name"]: (
            d["spec"]["template"]["spec"],
            d["spec"]["template"]["spec"]["containers"][0],
        )
        for d in found
        if d["kind"] == "Deployment"
    }


@pytest.mark.parametrize("redis", [False, True])
def test_each_pod_mounts_only_the_keys_of_its_role_and_reads_them_as_files(redis: bool) -> None:
    specs = example_specs("triage+canary")
    specs = with_redis(specs) if redis else specs
    extra = {"redis-url"} if redis else set()
    for name, (pod, container) in containers(
        objects(specs, example_canaries("triage+canary"))
    ).items():
        volume = next(v for v in pod["volumes"] if v["name"] == "secrets")["secret"]
        mounted = {item["key"] for item in volume["items"]}
        assert all(item["path"] == item["key"] for item in volume["items"])
        assert mounted == (MANAGER_KEYS if name.endswith("manager") else WORKER_KEYS) | extra, name
        files = {e["name"]: e["value"] for e in container["env"] if e["name"].endswith("_FILE")}
        assert sorted(v.rsplit("/", 1)[1] for v in files.values()) == sorted(mounted), name
        names = {e["name"] for e in container["env"]}
        assert not names & set(SENTINELS), f"{name}: a secret in the environment"


def test_compose_services_get_their_secrets_as_files(tmp_path: Path) -> None:
    files = render_files(example_specs("triage+digest"))
    compose = yaml.safe_load(files["compose/docker-compose.yml"])
    assert compose["secrets"] == {
        "jwt-secret": {"file": "./secrets/jwt-secret"},
        "encryption-key": {"file": "./secrets/encryption-key"},
    }
    services = compose["services"]
    assert services["manager"]["secrets"] == ["jwt-secret", "encryption-key"]
    assert services["worker"]["secrets"] == ["encryption-key"]
    for name in ("manager", "worker"):
        env = services[name]["environment"]
        for variable, path in env.items():
            if variable.endswith("_FILE"):
                assert path.removeprefix("/run/secrets/") in services[name]["secrets"]
    assert "JWT_SECRET" not in str(services["worker"])
    assert services["manager"]["environment"]["SWARMSTACK_SERVER__TRUSTED_PROXIES"]
    assert "X-Forwarded-For $remote_addr;" in files["compose/nginx/nginx.conf"]


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_no_secret_value_reaches_any_rendered_file(
    example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)
    for specs in (example_specs(example), with_redis(example_specs(example))):
        text = "".join(render_files(specs, example_canaries(example)).values())
        for value in SENTINELS.values():
            assert value not in text
        assert "sentinel" not in text
        assert "kind: Secret\n" not in text, "a Secret object would overwrite the real one"


def test_the_settings_loader_accepts_what_each_pod_is_given(tmp_path: Path) -> None:
    specs = with_redis(example_specs("triage+canary"))
    for name, (_, container) in containers(
        objects(specs, example_canaries("triage+canary"))
    ).items():
        environ = {}
        for variable in container["env"]:
            value = variable["value"]
            if variable["name"].endswith("_FILE"):  # the mounted key, with a stand-in value
                path = tmp_path / name / value.rsplit("/", 1)[1]
                path.parent.mkdir(exist_ok=True)
                path.write_text(_stand_in(path.name) + "\n")
                value = str(path)
            environ[variable["name"]] = value
        loaded = load_layers(environ=environ).settings
        assert loaded.store.url.get_secret_value() == "postgresql+asyncpg://stand-in"
        assert loaded.redis.url is not None
        keys = loaded.security.encryption_key_file  # a key file: rotations are re-read live
        assert keys is not None and load_keyring(loaded.security).current_kid is not None
        assert (loaded.security.jwt_secret is not None) == name.endswith("manager")


def _stand_in(key: str) -> str:
    return {
        "store-url": "postgresql+asyncpg://stand-in",
        "redis-url": "redis://r:6379/0",
        "jwt-secret": "stand-in-secret-of-at-least-32-bytes",
        "admin-key": "ssk_stand_in_admin_key",
        "encryption-key": TEST_KEY,
    }.get(key, "stand-in")
