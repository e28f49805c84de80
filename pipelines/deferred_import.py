"""Stand-ins for modules a library imports when it is imported but that a
process never uses: the real module is imported on first attribute access.

Why: the GX child (checks/gx_process.py) imports Great Expectations while
the command starts up, on the core the run's own start-up needs too. GX
imports every expectation it ships at its own import, and one of them (the
KL-divergence expectation) brings ``scipy.stats`` and ``altair``: ~1 s of
the child's ~2.6 s import on this machine, for expectations no WindowWatch
suite has. ``importlib.util.LazyLoader`` does not help on Python 3.11: the
import system reads the module's ``__spec__`` at the next ``import`` of its
name, which loads it there.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


class DeferredModule(types.ModuleType):
    """Stands in ``sys.modules`` for a module not imported yet. Reading any
    attribute it does not have imports the real module (which then replaces
    it in ``sys.modules``) and answers from there, so a caller holding the
    stand-in works as with the module itself."""

    def __getattr__(self, attr: str):
        return getattr(load_deferred(self.__name__), attr)


def defer_import(name: str) -> bool:
    """Put a stand-in for module ``name`` in ``sys.modules`` unless it is
    imported already or cannot be found; whether a stand-in was put there."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    stand_in = DeferredModule(name)
    # the import system reads these of a module it finds in sys.modules;
    # set here, they do not go through __getattr__ (which would import)
    stand_in.__spec__ = spec
    stand_in.__file__ = spec.origin
    sys.modules[name] = stand_in
    return True


def load_deferred(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if a stand-in held its place."""
    if is_deferred(name):
        del sys.modules[name]
    return importlib.import_module(name)


def is_deferred(name: str) -> bool:
    """Whether ``name`` is still a stand-in (its real module not imported)."""
    return isinstance(sys.modules.get(name), DeferredModule)
