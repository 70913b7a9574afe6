"""IPython's variable expansion for ``%deepfix`` lines: ``$name``, ``$obj.attr``, ``{expr}``.

IPython expands a line magic's text before the magic sees it, turning every reference into text;
``%deepfix`` opts out (``@no_var_expand``) because a run object (a DataFrame, an
``mlflow.ActiveRun``, a tracked run) must arrive as itself. So a token that is one reference
alone stands for its object; references inside other text become text as IPython's
``var_expand`` makes them (``$$`` is a literal ``$``; single-quoted text is left alone).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError
from IPython.utils.process import arg_split  # type: ignore[attr-defined]  # re-exported
from IPython.utils.text import DollarFormatter

_REFERENCE = re.compile(r"\$(?P<name>[A-Za-z_]\w*)(?P<attrs>(?:\.[A-Za-z_]\w*)*)|\{(?P<expr>.+)\}")
_TEXT = (str, int, float, os.PathLike)  # what IPython's own expansion would give as text anyway


@dataclass
class Expanded:
    """A magic's arguments (``argv``); a token that stood for an object maps to it."""

    argv: list[str]
    objects: dict[str, Any]

    def value(self, token: Any) -> Any:
        """The object ``token`` stands for, else the token itself."""
        return self.objects.get(token, token) if isinstance(token, str) else token


def expand(line: str, namespace: Mapping[str, Any]) -> Expanded:
    """Split ``line`` as IPython's magic arguments are split, expanding references."""
    argv: list[str] = []
    objects: dict[str, Any] = {}
    for token in arg_split(line, strict=False):
        match = _REFERENCE.fullmatch(token)
        if match is not None:
            value = _evaluate(match, namespace)
            if isinstance(value, _TEXT):
                argv.append(str(value))
            else:
                objects[token] = value
                argv.append(token)
        elif ("$" in token or "{" in token) and not token.startswith("'"):
            argv.append(_as_text(token, namespace))
        else:
            argv.append(token)
    return Expanded(argv, objects)


def parse(func: Callable[..., Any], line: str, namespace: Mapping[str, Any]) -> Any:
    """``func``'s magic arguments from ``line``; an argument that is a reference alone holds
    its object (a bad argument raises IPython's one-line ``UsageError``)."""
    expanded = expand(line, namespace)
    args = func.parser.parse_args(expanded.argv)  # type: ignore[attr-defined]
    for key, given in list(vars(args).items()):
        if isinstance(given, list):
            setattr(args, key, [expanded.value(item) for item in given])
        else:
            setattr(args, key, expanded.value(given))
    return args


def _evaluate(match: re.Match[str], namespace: Mapping[str, Any]) -> Any:
    if match["expr"] is not None:
        try:
            return eval(match["expr"], {}, dict(namespace))  # as IPython's {expr} does
        except Exception as error:
            raise UsageError(
                f"%deepfix: {{{match['expr']}}} failed: {type(error).__name__}: {error}"
            ) from None
    name = match["name"]
    if name not in namespace:
        raise UsageError(f"%deepfix: no variable named {name!r} in the notebook.")
    value = namespace[name]
    for attr in filter(None, match["attrs"].split(".")):
        try:
            value = getattr(value, attr)
        except AttributeError:
            raise UsageError(
                f"%deepfix: ${name}{match['attrs']}: a {type(value).__name__} has no {attr!r}."
            ) from None
    return value


def _as_text(token: str, namespace: Mapping[str, Any]) -> str:
    """What IPython's ``var_expand`` makes of ``token`` (unchanged when it cannot)."""
    try:
        return DollarFormatter().vformat(token, args=[], kwargs=namespace)
    except Exception:
        return token
