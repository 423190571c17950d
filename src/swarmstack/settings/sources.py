"""Layered settings: defaults < config.toml < .env file < environment < command line.

`load_layers` also says where each value came from (for `swarmstack config show`) and collects
notices for the seed's keys that have no effect here, each with the reason.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from swarmstack.errors import InvalidInput
from swarmstack.settings import seed
from swarmstack.settings.dotenv_file import env_lines
from swarmstack.settings.models import Settings
from swarmstack.settings.suggest import unknown_env_name, unknown_toml_key
from swarmstack.spec.interpolate import MissingVariable, interpolate

# SWARMSTACK_* names that are not settings: files to read, and what the CLI and specs use.
NOT_SETTINGS = frozenset(
    {
        "SWARMSTACK_CONFIG",
        "SWARMSTACK_ENV_FILE",
        "SWARMSTACK_SPECS",
        "SWARMSTACK_SPEC_DIR",
        "SWARMSTACK_SWARM",
        "SWARMSTACK_URL",
        "SWARMSTACK_API_KEY",
        "SWARMSTACK_SECRETS_DIR",
        "SWARMSTACK_TEST_PG",
        "SWARMSTACK_PARENT_PID",
    }
)


@dataclass
class LoadedSettings:
    """Settings with the source of every value that is not a default."""

    settings: Settings
    sources: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


@dataclass
class _Layers:
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def put(self, key: str, value: Any, source: str) -> None:
        self.values[key] = value
        self.sources[key] = source


def setting_keys(model: type[BaseModel] = Settings, prefix: str = "") -> Iterator[str]:
    """Every leaf setting as a dotted path (`store.url`, `worker.batch_size`, ...)."""
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            yield from setting_keys(kind, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}"


KNOWN = frozenset(setting_keys())
# (section, key) as config.toml spells swarmstack's own settings: `[server] port`, `mode`
OWN_TOML_KEYS = frozenset((k.rpartition(".")[0], k.rpartition(".")[2]) for k in KNOWN)


def _env_name(dotted: str) -> str:
    return "SWARMSTACK_" + dotted.upper().replace(".", "__")


def load_settings(
    *,
    config_file: Path | None = None,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """The effective settings (see `load_layers`)."""
    return load_layers(config_file, env_file, environ, overrides).settings


def load_layers(
    config_file: Path | None = None,
    env_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Defaults < config.toml < .env < environment < `overrides` (dotted keys or groups).

    The files default to $SWARMSTACK_CONFIG / ./config.toml and $SWARMSTACK_ENV_FILE / ./.env
    when those exist.
    """
    env = dict(os.environ if environ is None else environ)
    layers = _Layers()
    config = config_file or _file(env, "SWARMSTACK_CONFIG", "config.toml")
    if config is not None:
        _read_toml(config, env, layers)
    dotenv = env_file or _file(env, "SWARMSTACK_ENV_FILE", ".env")
    if dotenv is not None:
        _read_env(_dotenv(dotenv, env, layers), layers, str(dotenv))
    _read_env(env, layers, "environment")
    for key, value in _flatten(dict(overrides or {})).items():
        if value is not None:
            layers.put(key, value, "command line")
    return LoadedSettings(_build(layers), layers.sources, layers.notices)


def _file(env: Mapping[str, str], variable: str, default: str) -> Path | None:
    if env.get(variable):
        path = Path(env[variable])
        if not path.is_file():
            raise InvalidInput(
                f"{variable} names {path}, which is not a file",
                where=variable,
                fix=f"point {variable} at an existing file or unset it",
            )
        return path
    path = Path(default)
    return path if path.is_file() else None


def _read_toml(path: Path, env: Mapping[str, str], layers: _Layers) -> None:
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc}", where=str(path), fix="fix the TOML syntax"
        ) from exc
    for name, value in data.items():
        if isinstance(value, dict):
            for key, item in value.items():
                _toml_item(name, key, item, env, f"{path} [{name}] {key}", layers)
        else:
            _toml_item("", name, value, env, f"{path} {name}", layers)


def _toml_item(
    section: str, key: str, value: Any, env: Mapping[str, str], where: str, layers: _Layers
) -> None:
    """One entry; an unsupported key is noted without expanding its `${VAR}`s, so a variable
    that only it uses need not be set."""
    if (section, key) in seed.TOML_UNSUPPORTED:
        if value:
            layers.notices.append(f"{where}: not supported: {seed.TOML_UNSUPPORTED[section, key]}")
        return
    _toml_entry(section, key, _expand(value, env, where), where, layers)


def _toml_entry(section: str, key: str, value: Any, where: str, layers: _Layers) -> None:
    dotted = f"{section}.{key}" if section else key
    if dotted in KNOWN:
        layers.put(dotted, value, where)
        return
    target, mapped, notice = seed.toml_value(section, key, value)
    if notice:
        layers.notices.append(f"{where}: {notice}")
    if target is not None:
        layers.put(target, mapped, where)
    elif notice is None and (section, key) != ("communication", "protocol"):
        raise unknown_toml_key(section, key, where, [*OWN_TOML_KEYS, *seed.TOML_KEYS])


def _expand(value: Any, env: Mapping[str, str], where: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return interpolate(value, env)
    except MissingVariable as exc:
        raise InvalidInput(str(exc), where=where, fix=f"export {exc.name}=...") from exc


def _dotenv(path: Path, env: Mapping[str, str], layers: _Layers) -> dict[str, str]:
    """The file's values, as docker compose reads them: single-quoted values are literal,
    double-quoted and unquoted ones expand `${VAR}` (`$${` is a literal `${`). A value that
    swarmstack does not use is left out, with a notice, when a variable it names is unset."""
    values: dict[str, str] = {}
    for entry in env_lines(path):
        if isinstance(entry, int):
            layers.notices.append(f"{path}:{entry}: ignored: not a NAME=value line")
            continue
        if entry.literal or entry.name in seed.ENV_UNSUPPORTED:
            values[entry.name] = entry.value  # unsupported names are only noted, never expanded
            continue
        try:
            values[entry.name] = interpolate(entry.value, {**values, **env})
        except MissingVariable as exc:
            where = f"{path}:{entry.line} {entry.name}"
            if _used(entry.name):
                raise InvalidInput(str(exc), where=where, fix=f"export {exc.name}=...") from exc
            layers.notices.append(
                f"{where}: left out: swarmstack does not use it, and {exc.name} is not set"
            )
    return values


def _used(name: str) -> bool:
    """Whether swarmstack reads this .env name (else it is only kept for interpolation)."""
    return _is_setting_name(name) or _is_setting_name(name.removesuffix("_FILE"))


def _read_env(env: Mapping[str, str], layers: _Layers, source: str) -> None:
    env = _with_files(env, source)
    if url := seed.db_url(env):
        layers.put("store.url", url, f"{source} DB_*")
    if url := seed.redis_url(env):
        layers.put("redis.url", url, f"{source} REDIS_*")
    for name, target in seed.ENV_KEYS.items():
        if env.get(name):
            layers.put(target, env[name], f"{source} {name}")
    for name, reason in seed.ENV_UNSUPPORTED.items():
        if env.get(name):
            layers.notices.append(f"{source} {name}: not supported: {reason}")
    for name, value in sorted(env.items()):
        if name.startswith("SWARMSTACK_") and name not in NOT_SETTINGS:
            _prefixed(name, value, layers, source)


def _with_files(env: Mapping[str, str], source: str) -> dict[str, str]:
    """`NAME_FILE=/path` sets NAME to the file's content (mounted Kubernetes or Docker
    secrets), for every name that is a setting, unless NAME_FILE names a setting itself
    (`SWARM_ENCRYPTION_KEY_FILE` is `security.encryption_key_file`, a file of keys)."""
    resolved = dict(env)
    for name, path in env.items():
        base = name.removesuffix("_FILE")
        if name in NOT_SETTINGS or base == name or not _is_setting_name(base):
            continue
        if _names_a_setting(name):
            continue
        if base in env:
            raise InvalidInput(
                f"both {base} and {name} are set", where=source, fix="unset one of them"
            )
        try:
            resolved[base] = Path(path).read_text().rstrip("\n")
        except OSError as exc:
            raise InvalidInput(
                f"{name} names {path}, which cannot be read: {exc.strerror}",
                where=f"{source} {name}",
                fix="mount the secret there or unset the variable",
            ) from exc
        del resolved[name]
    return resolved


def _names_a_setting(name: str) -> bool:
    """Whether `name` is itself the environment name of one setting."""
    if name in seed.ENV_KEYS:
        return True
    prefixed = name.startswith("SWARMSTACK_") and name not in NOT_SETTINGS
    return prefixed and name.removeprefix("SWARMSTACK_").lower().replace("__", ".") in KNOWN


def _is_setting_name(name: str) -> bool:
    if name in seed.ENV_KEYS or name in seed.DB_PARTS or name in seed.REDIS_PARTS:
        return True
    return name.startswith("SWARMSTACK_") and name not in NOT_SETTINGS


def _prefixed(name: str, value: str, layers: _Layers, source: str) -> None:
    if name in seed.ENV_KEYS:
        return
    dotted = name.removeprefix("SWARMSTACK_").lower().replace("__", ".")
    if dotted not in KNOWN:
        raise unknown_env_name(name, source, [_env_name(k) for k in KNOWN])
    layers.put(dotted, value, f"{source} {name}")


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _build(layers: _Layers) -> Settings:
    nested: dict[str, Any] = {}
    for dotted, value in layers.values.items():
        *groups, leaf = dotted.split(".")
        node = nested
        for group in groups:
            node = node.setdefault(group, {})
        node[leaf] = value
    try:
        return Settings.model_validate(nested)
    except ValidationError as exc:
        error = exc.errors()[0]
        dotted = ".".join(str(p) for p in error["loc"])
        raise InvalidInput(
            f"setting {dotted}: {error['msg']}",
            where=layers.sources.get(dotted, "settings"),
            fix="correct the value where it is set (`swarmstack config show` lists sources)",
        ) from None  # pydantic's error would repeat the input, and it may be a secret
