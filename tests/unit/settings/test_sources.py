"""Layered settings: the seed's config files load as written; every key has an effect or a note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from swarmstack.cli.main import app
from swarmstack.errors import InvalidInput
from swarmstack.security.crypto import key_id, parse_key
from swarmstack.security.keyring import load_keyring
from swarmstack.settings import Settings, load_layers
from swarmstack.settings.sources import KNOWN
from tests.support.keys import TEST_KEY

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "tests" / "fixtures"
SEED = REPO.parent / "shared" / "seeds"
SEED_ENV = {
    "DB_PASSWORD": "pg-secret",
    "REDIS_PASSWORD": "redis-secret",
    "ENCRYPTION_KEY": TEST_KEY,
    "JWT_SECRET": "j" * 32,
}


def seed_block(name: str) -> str:
    """The seed's `# name` code block, taken from the deployment guide as written."""
    text = next(p.read_text() for p in sorted(SEED.glob("*.txt")) if name in p.read_text())
    block = text.split(f"# {name}\n", 1)[1]
    return block.split("```", 1)[0]


@pytest.mark.skipif(not SEED.is_dir(), reason="the seed documents are not beside this checkout")
def test_the_fixtures_are_the_seed_files_as_written() -> None:
    assert (FIXTURES / "seed-config.toml").read_text() == seed_block("config.toml")
    assert (FIXTURES / "seed.env.production").read_text() == seed_block(".env.production")


@pytest.fixture
def seed_files(tmp_path: Path) -> tuple[Path, Path]:
    config = tmp_path / "config.toml"
    config.write_text((FIXTURES / "seed-config.toml").read_text())
    env = tmp_path / ".env.production"
    env.write_text((FIXTURES / "seed.env.production").read_text())
    return config, env


def test_the_seed_files_load_as_written(seed_files: tuple[Path, Path]) -> None:
    config, env_file = seed_files
    loaded = load_layers(config, env_file, environ=SEED_ENV)
    s = loaded.settings
    assert s.store.url.get_secret_value() == (
        "postgresql+asyncpg://swarms_user:pg-secret@postgres-cluster.internal:5432/swarms_production"
    )
    assert s.redis.url is not None
    assert s.redis.url.get_secret_value() == "redis://:redis-secret@redis-cluster.internal:6379/0"
    assert s.mode == "worker"
    assert s.cluster.manager_url == "https://swarm-manager.internal:8080"
    assert s.cluster.expected_workers == 10
    assert s.cluster.discovery == "kubernetes"
    assert s.agents.max_concurrent == 100
    assert s.agents.timeout == 30.0
    assert s.agents.retry_attempts == 3
    assert s.agents.retry_delay == 5.0
    assert s.worker.batch_size == 100
    assert s.worker.batch_timeout == 0.05
    assert s.server.gzip is True
    assert s.server.tls_cert == Path("/etc/ssl/certs/swarm.crt")
    assert s.server.metrics_enabled is True
    assert s.security.jwt_secret is not None
    assert s.security.jwt_secret.get_secret_value() == "j" * 32
    assert s.tracing.enabled is True
    assert loaded.sources["tracing.enabled"].endswith("config.toml [monitoring] tracing_enabled")
    assert loaded.sources["worker.batch_size"].endswith("config.toml [communication] batch_size")
    assert loaded.sources["store.url"].endswith(".env.production DB_*")
    notes = "\n".join(loaded.notices)
    assert "encryption" not in notes
    for unsupported in (
        "protocol = 'grpc'",
        "PROMETHEUS_ENDPOINT",
        "GRAFANA_ENDPOINT",
    ):
        assert unsupported in notes, unsupported
    assert all("not supported" in n for n in loaded.notices)


def test_the_seed_encryption_key_is_the_data_key(seed_files: tuple[Path, Path]) -> None:
    config, env_file = seed_files
    loaded = load_layers(config, env_file, environ=SEED_ENV)
    assert loaded.sources["security.encryption_key"].endswith(
        ".env.production SWARM_ENCRYPTION_KEY"
    )
    alone = load_layers(config, None, environ=SEED_ENV)
    assert alone.sources["security.encryption_key"].endswith("[security] encryption_key")
    for settings in (loaded.settings, alone.settings):
        keyring = load_keyring(settings.security)
        assert keyring.current_kid == key_id(parse_key(TEST_KEY, "test"))
        sealed = keyring.seal("hello", "tasks.input")
        assert "hello" not in sealed and keyring.open(sealed, "tasks.input") == "hello"
    assert TEST_KEY not in repr(loaded.settings)


def test_a_variable_a_used_key_references_must_be_set(seed_files: tuple[Path, Path]) -> None:
    config, env_file = seed_files
    environ = {k: v for k, v in SEED_ENV.items() if k != "DB_PASSWORD"}
    with pytest.raises(InvalidInput) as caught:
        load_layers(config, env_file, environ=environ)
    assert "${DB_PASSWORD} is not set" in str(caught.value)
    for name in ("JWT_SECRET", "ENCRYPTION_KEY"):
        environ = {k: v for k, v in SEED_ENV.items() if k != name}
        with pytest.raises(InvalidInput, match=rf"\$\{{{name}\}} is not set"):
            load_layers(config, env_file, environ=environ)
    assert str(caught.value.where).endswith(".env.production:6 DB_PASSWORD")
    (config.parent / "used.toml").write_text('[swarm]\nmanager_url = "${MANAGER}"\n')
    with pytest.raises(InvalidInput, match=r"\$\{MANAGER\} is not set"):
        load_layers(config.parent / "used.toml", None, environ={})


def test_env_file_quoting_follows_docker_compose(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# comment\n"
        "\n"
        "SWARMSTACK_SERVER__HOST=${HOST}\n"
        "SWARMSTACK_STORE__URL='sqlite+aiosqlite:///${literal}.db'\n"
        'SWARMSTACK_SECURITY__ADMIN_KEY="ssk_${HOST}-$${HOST}-padding"\n'
        "OTHER_TOOL=${UNSET_FOR_OTHER_TOOL}\n"
        "export SWARM_MODE='worker'\n"
    )
    loaded = load_layers(None, env_file, environ={"HOST": "h"})
    s = loaded.settings
    assert s.server.host == "h"  # unquoted: expanded
    assert (
        s.store.url.get_secret_value() == "sqlite+aiosqlite:///${literal}.db"
    )  # single-quoted: literal
    assert s.security.admin_key is not None
    assert (
        s.security.admin_key.get_secret_value() == "ssk_h-${HOST}-padding"
    )  # double: expanded, $${ kept
    assert s.mode == "worker"
    assert loaded.sources["store.url"] == f"{env_file} SWARMSTACK_STORE__URL"
    [note] = [n for n in loaded.notices if "OTHER_TOOL" in n]
    assert note.startswith(f"{env_file}:6 OTHER_TOOL: left out")
    assert "UNSET_FOR_OTHER_TOOL is not set" in note


def test_a_literal_dollar_brace_in_config_toml(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[swarm]\nmanager_url = "http://$${not-a-var}:1"\n')
    assert load_layers(config, None, environ={}).settings.cluster.manager_url == (
        "http://${not-a-var}:1"
    )


def test_environment_beats_env_file_beats_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[worker]\nbatch_size = 7\npoll_interval = '2s'\n[server]\nport = 9000\n")
    env_file = tmp_path / ".env"
    env_file.write_text("SWARMSTACK_WORKER__BATCH_SIZE=8\nSWARMSTACK_SERVER__PORT=9001\n")
    loaded = load_layers(
        config,
        env_file,
        environ={"SWARMSTACK_SERVER__PORT": "9002"},
        overrides={"server": {"host": "0.0.0.0", "port": None}},
    )
    assert loaded.settings.worker.poll_interval == 2.0
    assert loaded.settings.worker.batch_size == 8
    assert loaded.settings.server.port == 9002
    assert loaded.settings.server.host == "0.0.0.0"
    assert loaded.sources["server.host"] == "command line"
    assert loaded.sources["server.port"] == "environment SWARMSTACK_SERVER__PORT"


def test_database_url_beats_db_parts_and_explicit_names_beat_both() -> None:
    env = {"DB_HOST": "db", "DATABASE_URL": "postgresql+asyncpg://u@h/x"}
    assert (
        load_layers(environ=env).settings.store.url.get_secret_value()
        == "postgresql+asyncpg://u@h/x"
    )
    env["SWARMSTACK_STORE__URL"] = "sqlite+aiosqlite:///x.db"
    assert (
        load_layers(environ=env).settings.store.url.get_secret_value() == "sqlite+aiosqlite:///x.db"
    )
    key = load_layers(
        environ={"SWARMSTACK_ADMIN_KEY": "ssk_abc_0123456789"}
    ).settings.security.admin_key
    assert key is not None and key.get_secret_value() == "ssk_abc_0123456789"


@pytest.mark.parametrize(
    ("config", "environ", "message"),
    [
        ("[agents]\nmax_concurent = 3\n", {}, "unknown setting 'max_concurent' in [agents]"),
        ("[worker]\nbatch_size = 0\n", {}, "setting worker.batch_size"),
        ("[worker\n", {}, "cannot read"),
        ("", {"SWARMSTACK_WORKER__BATCHSIZE": "3"}, "unknown setting SWARMSTACK_WORKER__BATCHSIZE"),
        ("", {"SWARM_MODE": "boss"}, "setting mode"),
    ],
)
def test_bad_settings_say_what_and_where(
    tmp_path: Path, config: str, environ: dict[str, str], message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    with pytest.raises(InvalidInput) as caught:
        load_layers(path, None, environ=environ)
    assert message in str(caught.value)
    assert caught.value.where and caught.value.fix


@pytest.mark.parametrize(
    ("config", "environ", "fix"),
    [
        (
            "[server]\nprot = 1\n",
            {},
            "did you mean port? known keys in [server]: cors_origins, gzip,",
        ),
        ("[agents]\nmax_concurent = 3\n", {}, "did you mean max_concurrent?"),
        ("[sever]\nport = 1\n", {}, "did you mean [server]? sections: [agents], [cluster],"),
        ('mdoe = "worker"\n', {}, "did you mean mode? known keys in the top level: data_dir,"),
        ("[swarm]\nmod = 1\n", {}, "did you mean mode? known keys in [swarm]: cluster_size,"),
        ("[server]\nzzz = 1\n", {}, "known keys in [server]: cors_origins, gzip"),
        ("", {"SWARMSTACK_SERVER__PROT": "1"}, "did you mean SWARMSTACK_SERVER__PORT?"),
    ],
)
def test_unknown_keys_list_the_known_ones_and_the_closest(
    tmp_path: Path, config: str, environ: dict[str, str], fix: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(config)
    with pytest.raises(InvalidInput) as caught:
        load_layers(path, None, environ=environ)
    assert caught.value.fix is not None
    assert fix in caught.value.fix
    assert "none" not in caught.value.fix


def test_every_setting_has_a_description() -> None:
    assert {"store.url", "redis.url", "worker.batch_size", "cluster.expected_workers"} <= KNOWN
    groups = [Settings, *(f.annotation for f in Settings.model_fields.values())]
    models = [m for m in groups if isinstance(m, type) and issubclass(m, BaseModel)]
    missing = [
        f"{model.__name__}.{name}"
        for model in models
        for name, info in model.model_fields.items()
        if not info.description
        and not (isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel))
    ]
    assert missing == []


def test_config_show_masks_secrets_and_names_sources(
    seed_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, env_file = seed_files
    for name, value in SEED_ENV.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        app,
        ["config", "show", "--config", str(config), "--env-file", str(env_file)],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    assert "pg-secret" not in result.output and "redis-secret" not in result.output
    assert TEST_KEY not in result.output
    assert "note:" in result.output and "grpc" in result.output
    as_json = CliRunner().invoke(
        app, ["config", "show", "--json", "--config", str(config), "--env-file", str(env_file)]
    )
    rows = {r["setting"]: r for r in json.loads(as_json.output)["settings"]}
    assert "***@postgres-cluster" in rows["store.url"]["value"]
    assert rows["store.url"]["source"].endswith(".env.production DB_*")
    assert rows["security.jwt_secret"]["value"] == "********"
    assert rows["security.encryption_key"]["value"] == "********"
    assert "pg-secret" not in as_json.output and "j" * 32 not in as_json.output


def test_name_file_reads_a_mounted_secret(tmp_path: Path) -> None:
    secret = tmp_path / "store-url"
    secret.write_text("postgresql+asyncpg://u:p@db/x\n")
    loaded = load_layers(environ={"SWARMSTACK_STORE__URL_FILE": str(secret)})
    assert loaded.settings.store.url.get_secret_value() == "postgresql+asyncpg://u:p@db/x"
    assert loaded.sources["store.url"] == "environment SWARMSTACK_STORE__URL"
    key = tmp_path / "admin-key"
    key.write_text("ssk_from_file_0123")
    admin = load_layers(environ={"SWARMSTACK_ADMIN_KEY_FILE": str(key)}).settings.security
    assert (
        admin.admin_key is not None and admin.admin_key.get_secret_value() == "ssk_from_file_0123"
    )


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SWARMSTACK_STORE__URL_FILE": "/nonexistent/url"}, "cannot be read"),
        ({"REDIS_URL_FILE": "/x", "REDIS_URL": "redis://h"}, "both REDIS_URL and REDIS_URL_FILE"),
    ],
)
def test_name_file_problems_are_clear(environ: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        load_layers(environ=environ)
    assert message in str(caught.value)


@pytest.mark.parametrize("bad", ["abc", "ssk_short", "ssk_with a space in it"])
def test_an_admin_key_no_request_could_use_is_refused(bad: str) -> None:
    with pytest.raises(InvalidInput, match="starts with `ssk_`") as caught:
        load_layers(environ={"SWARMSTACK_SECURITY__ADMIN_KEY": bad})
    assert bad not in str(caught.value)


def test_an_empty_admin_key_is_no_admin_key() -> None:
    """Compose's `${SWARMSTACK_ADMIN_KEY:-}` with the variable unset: the stored key stays."""
    loaded = load_layers(environ={"SWARMSTACK_ADMIN_KEY": "", "SWARM_JWT_SECRET": ""})
    assert loaded.settings.security.admin_key is None
    assert loaded.settings.security.jwt_secret is None


def test_llm_routes_from_the_environment_are_model_url_pairs() -> None:
    from swarmstack.settings.models import LLMSettings

    parsed = LLMSettings.model_validate({"routes": "m1=http://a/v1, m2 = http://b/v1,"})
    assert parsed.routes == {"m1": "http://a/v1", "m2": "http://b/v1"}
    assert LLMSettings.model_validate({"routes": {"m": "u"}}).routes == {"m": "u"}
