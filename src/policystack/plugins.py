"""Plugin manager factory and discovery: built-ins, installed packages, a plugins folder.

Built-in behaviour is itself a set of plugins (``DEFAULT_PLUGINS``), registered
through the same door as third-party ones. A plugin that fails to load is
recorded with its name and reason; it does not take down commands that do not
need it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable

import pluggy

from . import hookimpl, hookspecs
from .errors import PluginError

ENTRY_POINT_GROUP = "policystack"


def _builtin_modules() -> tuple[str, ...]:
    import pkgutil

    from . import builtins as package

    return tuple(f"{package.__name__}.{m.name}" for m in sorted(pkgutil.iter_modules(package.__path__),
                                                                 key=lambda m: m.name) if not m.name.startswith("_"))


#: Built-in plugins: every module of ``policystack.builtins`` (YAML layers, output formats, ...).
DEFAULT_PLUGINS: tuple[str, ...] = _builtin_modules()
#: Comma-separated plugin names: when set, only these (plus built-ins) load.
ALLOW_ENV = "POLICYSTACK_PLUGINS"
#: Comma-separated plugin names that never load.
DENY_ENV = "POLICYSTACK_DISABLE_PLUGINS"


@dataclass
class PluginInfo:
    """What ``policystack plugins`` shows about one plugin."""

    name: str
    source: str  # "builtin", "entry point", "plugins folder", "registered"
    version: str = ""
    location: str = ""
    hooks: list[str] = field(default_factory=list)
    error: str | None = None
    #: Why the plugin was not loaded on purpose (allow/deny lists), or None.
    disabled: str | None = None


@dataclass
class Plugins:
    """A plugin manager with what was loaded and what failed to."""

    manager: pluggy.PluginManager
    infos: list[PluginInfo]
    #: Plugins found but not loaded because of ``POLICYSTACK_PLUGINS`` / ``POLICYSTACK_DISABLE_PLUGINS``.
    disabled: list[PluginInfo] = field(default_factory=list)

    @property
    def broken(self) -> list[PluginInfo]:
        return [info for info in self.infos if info.error]

    def call_each(self, hook_name: str, *, on_plugin: Callable[[str], None] | None = None,
                  **kwargs: Any) -> list[tuple[str, Any]]:
        """Call every implementation of a hook; a failure is a PluginError naming the plugin.

        Returns ``(plugin name, result)`` pairs, sorted by plugin name so results
        never depend on registration order. ``on_plugin`` is told each plugin's
        name before its implementation runs (so registrations can be stamped).
        """
        caller = getattr(self.manager.hook, hook_name)
        results = []
        for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
            if on_plugin is not None:
                on_plugin(impl.plugin_name)
            try:
                results.append((impl.plugin_name, impl.function(**{a: kwargs[a] for a in impl.argnames})))
            except PluginError:
                raise
            except Exception as exc:  # a third-party hook failed: name it, keep the message
                from .errors import PolicystackError

                if isinstance(exc, PolicystackError):
                    builtin = any(i.name == impl.plugin_name and i.source == "builtin" for i in self.infos)
                    if not builtin:  # a built-in's error already names the file; a plugin's may not
                        exc.hint = exc.hint or f"raised by plugin '{impl.plugin_name}' in {hook_name}"
                    raise
                raise PluginError(f"plugin '{impl.plugin_name}' failed in {hook_name}: "
                                  f"{type(exc).__name__}: {exc}") from exc
            if hook_name.startswith("policystack_register_") and results[-1][1] is not None:
                raise PluginError(f"plugin '{impl.plugin_name}': {hook_name} returned a value, which is ignored; "
                                  "call register(...) for each item instead")
        return results

    def register(self, plugin: Any, name: str, *, source: str = "registered", location: str = "") -> PluginInfo:
        """Register one plugin object or module; a hook signature mismatch is recorded as broken."""
        info = PluginInfo(name=name, source=source, location=location, version=_version_of(plugin))
        try:
            self.manager.register(plugin, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            info.error = f"invalid hook implementation: {' '.join(str(exc).split())}"
            if self.manager.get_plugin(name) is plugin:  # pluggy keeps the hooks it accepted before failing
                self.manager.unregister(plugin)
        else:
            callers = self.manager.get_hookcallers(plugin) or []
            info.hooks = sorted(h.name for h in callers)
            problems = _contract_problems(plugin) + _hook_problems(plugin, callers)
            if problems:
                self.manager.unregister(plugin)
                info.error = "; ".join(problems)
        self.infos.append(info)
        return info

    def unregister(self, name: str) -> None:
        """Remove a plugin (e.g. one registered for a single test)."""
        plugin = self.manager.get_plugin(name)
        if plugin is not None:
            self.manager.unregister(plugin)
        self.infos = [i for i in self.infos if i.name != name]


def _contract_problems(plugin: Any) -> list[str]:
    """A plugin may declare ``POLICYSTACK_HOOK_CONTRACT = "1.0"``: the contract it was written against."""
    wanted = getattr(plugin, "POLICYSTACK_HOOK_CONTRACT", None)
    if wanted is None:
        return []
    have = hookspecs.HOOK_CONTRACT_VERSION
    try:
        want_major, want_minor = (int(p) for p in (str(wanted).split(".") + ["0"])[:2])
        have_major, have_minor = (int(p) for p in have.split(".")[:2])
    except ValueError:
        return [f"POLICYSTACK_HOOK_CONTRACT must look like '1.0', not {wanted!r}"]
    if want_major != have_major:
        return [f"written for hook contract {wanted}, but this policystack has contract {have} "
                "(see the CHANGELOG for what changed)"]
    if want_minor > have_minor:
        return [f"needs hook contract {wanted} or newer, but this policystack has {have}: upgrade policystack"]
    return []


def _hook_problems(plugin: Any, callers: Iterable[Any]) -> list[str]:
    """Mistakes pluggy lets pass silently: a misspelt hook name, a hook function without ``@hookimpl``."""
    import difflib

    specs = [name for name in dir(hookspecs) if name.startswith("policystack_")]
    problems = []
    registered = set()
    for caller in callers:
        registered.add(caller.name)
        if not caller.has_spec():
            close = difflib.get_close_matches(caller.name, specs, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (hooks: {', '.join(specs)})"
            problems.append(f"'{caller.name}' is not a policystack hook{hint}")
    for attr in sorted(vars(plugin) if isinstance(plugin, ModuleType) else dir(plugin)):
        if attr.startswith("policystack_") and attr not in registered and attr in specs \
                and callable(getattr(plugin, attr, None)):
            problems.append(f"'{attr}' is not decorated with @hookimpl (from policystack import hookimpl), "
                            "so it would never be called")
    return problems


def _policystack_version() -> str:
    from . import __version__

    return __version__


def _version_of(plugin: Any) -> str:
    version = getattr(plugin, "__version__", None) or getattr(plugin, "VERSION", None)
    return str(version) if version else ""


def _names(env: str) -> set[str]:
    return {n.strip() for n in os.environ.get(env, "").split(",") if n.strip()}


def _allowed(name: str) -> bool:
    allow, deny = _names(ALLOW_ENV), _names(DENY_ENV)
    if name in deny:
        return False
    return not allow or name in allow


def _why_disabled(name: str) -> str:
    if name in _names(DENY_ENV):
        return f"disabled by {DENY_ENV}"
    return f"not listed in {ALLOW_ENV}"


def _load_module_file(path: Path) -> ModuleType:
    module_name = f"policystack_plugin_{path.stem if path.is_file() else path.name}"
    init = path / "__init__.py" if path.is_dir() else path
    spec = importlib.util.spec_from_file_location(module_name, init,
                                                  submodule_search_locations=[str(path)] if path.is_dir() else None)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    return module


def folder_plugins(folder: Path) -> list[Path]:
    """Python plugins in a plugins folder: ``*.py`` files and packages (folders with ``__init__.py``)."""
    if not folder or not folder.is_dir():
        return []
    found = [p for p in folder.iterdir()
             if (p.suffix == ".py" and not p.name.startswith("_")) or (p / "__init__.py").is_file()]
    return sorted(found)


_YAML = (".yaml", ".yml")


def folder_layer_plugins(folder: Path) -> list[Path]:
    """YAML-only plugins in a plugins folder: ``*.yaml`` files, and folders without ``__init__.py``
    that hold ``*.yaml`` files (at any depth)."""
    if not folder or not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        if path.name.startswith(("_", ".")):
            continue
        if path.is_file() and path.suffix in _YAML:
            found.append(path)
        elif path.is_dir() and not (path / "__init__.py").is_file() and _yaml_files(path):
            found.append(path)
    return sorted(found)


def _yaml_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in _YAML and p.is_file()
                  and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts))


class YamlLayers:
    """The plugin made for a YAML-only entry of a plugins folder: registers each layer file in it.

    A YAML file without a top-level ``layer:`` mapping (e.g. branding settings) is left alone.
    """

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name

    @hookimpl
    def policystack_register_layers(self, register: Callable[[Any], None], project: Any) -> None:
        from .layer_files import layer_from_data
        from .yamlio import read_yaml

        for file in _yaml_files(self.path):
            data = read_yaml(file)
            if isinstance(data, dict) and "layer" in data:
                register(layer_from_data(data, file=str(file), plugin=self.name))


def _yaml_plugin(path: Path, name: str) -> YamlLayers:
    return YamlLayers(path, name)


def make_plugins(*, plugins_dir: Path | None = None, entry_points: bool = True,
                 extra: Iterable[tuple[str, Any]] = (), builtins: Iterable[str] = DEFAULT_PLUGINS) -> Plugins:
    """A fresh plugin manager: built-ins, then entry points, the plugins folder, and ``extra`` plugins."""
    manager = pluggy.PluginManager("policystack")
    manager.add_hookspecs(hookspecs)
    plugins = Plugins(manager, [])
    for module_name in builtins:
        name = module_name.rsplit(".", 1)[-1]
        if name in _names(DENY_ENV):  # e.g. to replace a built-in format with a plugin of the same name
            plugins.disabled.append(PluginInfo(name=name, source="builtin", location=module_name,
                                               disabled=_why_disabled(name)))
            continue
        info = plugins.register(importlib.import_module(module_name), name,
                                source="builtin", location=module_name)
        info.version = info.version or _policystack_version()
    if entry_points:
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if not _allowed(ep.name):
                plugins.disabled.append(PluginInfo(name=ep.name, source="entry point", location=ep.value,
                                                   disabled=_why_disabled(ep.name)))
                continue
            dist = getattr(ep, "dist", None)
            _load(plugins, ep.name, "entry point", ep.value, ep.load,
                  version=dist.version if dist is not None else "")
    for path in folder_plugins(plugins_dir) if plugins_dir else []:
        name = path.stem if path.is_file() else path.name
        if _allowed(name):
            _load(plugins, name, "plugins folder", str(path), lambda p=path: _load_module_file(p))
        else:
            plugins.disabled.append(PluginInfo(name=name, source="plugins folder", location=str(path),
                                               disabled=_why_disabled(name)))
    for path in folder_layer_plugins(plugins_dir) if plugins_dir else []:
        name = path.stem if path.is_file() else path.name
        if _allowed(name):
            _load(plugins, name, "plugins folder (YAML)", str(path), lambda p=path, n=name: _yaml_plugin(p, n))
        else:
            plugins.disabled.append(PluginInfo(name=name, source="plugins folder (YAML)", location=str(path),
                                               disabled=_why_disabled(name)))
    for name, plugin in extra:
        plugins.register(plugin, name, source="registered")
    return plugins


def _load(plugins: Plugins, name: str, source: str, location: str, loader: Callable[[], Any],
          version: str = "") -> None:
    if plugins.manager.get_plugin(name) is not None or any(i.name == name for i in plugins.infos):
        plugins.infos.append(PluginInfo(name=name, source=source, location=location,
                                        error="a plugin with this name is already loaded"))
        return
    try:
        plugin = loader()
    except BaseException as exc:  # noqa: BLE001 - any import failure is the plugin's, report it
        if isinstance(exc, (KeyboardInterrupt, SystemExit)) and not isinstance(exc, SystemExit):
            raise
        plugins.infos.append(PluginInfo(name=name, source=source, location=location, version=version,
                                        error=f"failed to load: {type(exc).__name__}: {exc}"))
        return
    info = plugins.register(plugin, name, source=source, location=location)
    info.version = version or info.version  # an installed distribution's version wins
