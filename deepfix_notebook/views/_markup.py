"""The one way DeepFix builds HTML: MarkupSafe templates whose arguments are escaped.

Anything in a result may have come from a run's artifacts (CONTRACT.md §6), so every string
reaching HTML is a `Markup` built here: `html` fills a template and escapes each argument that
is not `Markup` already, `join` joins fragments escaping plain strings, `escape` escapes one
value (`escaped`: as a plain ``str``). Markup written by hand is the template itself, never an
interpolated value.

`Markup` stays inside `views`: the public view functions return ``str``, since a `Markup`
escapes whatever plain string it is combined with (``+``, ``replace``), which would escape a
caller's own markup a second time.
"""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

__all__ = ["Markup", "escape", "escaped", "html", "join"]


def html(template: str, /, *args: object, **kwargs: object) -> Markup:
    """``template`` (trusted markup, `str.format` syntax) filled with escaped arguments."""
    return Markup(template).format(*args, **kwargs)


def escaped(value: object) -> str:
    """``value`` escaped for HTML text or a quoted attribute, as a plain ``str``."""
    return str(escape(value))


def join(parts: Iterable[str], separator: str = "") -> Markup:
    """Fragments joined by ``separator`` (trusted markup); plain strings among them escaped."""
    return Markup(separator).join(parts)
