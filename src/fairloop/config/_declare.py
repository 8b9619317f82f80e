"""Options are declared once: type, range, default and help, in one dataclass field.

A field of a validated dataclass holds all four, and everything else reads them there.

Each table of options (:class:`~fairloop.AuditConfig`, ``[flags]``, ``[[policy]]``,
``[review]``, ``[system]``, ``[[attestations]]``) is a frozen pydantic dataclass in strict
mode: a value of the wrong type is refused, not converted (``"0.8"`` is text, not a
number; ``1`` is not ``true``), and an unknown key is refused. :func:`declared` turns
pydantic's errors into one :class:`~fairloop.exceptions.ConfigError` naming the option
and the fix, writes the class's numpydoc "Parameters" from the fields, and registers the
table so the command line's help, the documentation and the tests read the same
declarations.
"""

from __future__ import annotations

import difflib
import functools
import math
import textwrap
import types
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import ConfigDict, Field, ValidationError
from pydantic.fields import FieldInfo

from fairloop.exceptions import ConfigError

__all__ = [
    "STRICT",
    "TABLES",
    "declared",
    "default_of",
    "expected",
    "field_info",
    "help_text",
    "option",
    "table_of",
]

T = TypeVar("T")

#: Every options dataclass: strict types, no unknown keys.
STRICT = ConfigDict(strict=True, extra="forbid")
#: The declared tables by key ("" for the top level of fairloop.toml).
TABLES: dict[str, type] = {}


def option(
    default: Any = ...,
    *,
    help: str,
    default_factory: Callable[[], Any] | None = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    min_length: int | None = None,
    expect: str | None = None,
    shown_default: str | None = None,
) -> Any:
    """Declare an option: its default, range and help (its type is the annotation).

    Parameters
    ----------
    default : Any
        The default; omit for a required option.
    help : str
        One sentence for the documentation and the command line's ``--help``.
    default_factory : callable or None
        Builds the default instead (tables, mappings).
    ge, gt, le, lt : float or None
        Bounds of a number.
    min_length : int or None
        Fewest items of a list, or characters of a text.
    expect : str or None
        How errors describe a valid value, when the type and bounds do not say it well.
    shown_default : str or None
        How help describes the default, when it is not a value (``largest group``).
    """
    extra: dict[str, Any] = {"expect": expect} if expect else {}
    if shown_default:
        extra["shown_default"] = shown_default
    bounds: dict[str, Any] = {"ge": ge, "gt": gt, "le": le, "lt": lt, "min_length": min_length}
    keywords: dict[str, Any] = {k: v for k, v in bounds.items() if v is not None}
    if default_factory is not None:
        keywords["default_factory"] = default_factory
    else:
        keywords["default"] = default
    return Field(description=help, json_schema_extra=extra, **keywords)


def field_info(cls: type, name: str) -> FieldInfo:
    """The declaration of one option of a table."""
    info: FieldInfo = cls.__pydantic_fields__[name]  # type: ignore[attr-defined]
    return info


def default_of(cls: type, name: str) -> Any:
    """An option's default (``...`` when it is required)."""
    info = field_info(cls, name)
    if info.is_required():
        return ...
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return info.default


def _bounds(info: FieldInfo) -> str:
    lo = hi = None
    for item in info.metadata:  # annotated_types' Ge, Gt, Le, Lt
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            bound = getattr(item, attr, None)
            if isinstance(bound, int | float):
                if attr.startswith("g"):
                    lo = f"{sign} {bound:g}"
                else:
                    hi = f"{sign} {bound:g}"
    if lo and hi:
        if lo.startswith("> ") and hi.startswith("< "):
            return f" strictly between {lo[2:]} and {hi[2:]}"
        return f" {lo} and {hi}"
    return f" {lo or hi}" if lo or hi else ""


def _kind(annotation: Any) -> str:
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin in (Union, types.UnionType):
        if len(args) == 1:
            return _kind(args[0])
        if set(args) == {str, int, float, bool}:
            return "a value (text, number or true/false)"
        return " or ".join(_kind(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(annotation))
    if origin is tuple:
        return f"a list of {_kind(args[0]).removeprefix('a ').removeprefix('an ')}s"
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return "a table of text values"
    simple = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}
    if annotation in simple:
        return simple[annotation]
    name = getattr(annotation, "__name__", str(annotation))
    return f"a {name} table"


def expected(cls: type, name: str) -> str:
    """How an error describes a valid value of an option, e.g. "a whole number >= 1"."""
    info = field_info(cls, name)
    extra = info.json_schema_extra
    if isinstance(extra, dict) and extra.get("expect"):
        return str(extra["expect"])
    return _kind(info.annotation) + _bounds(info)


def _type_text(annotation: Any) -> str:
    """Numpydoc's way to write a type: ``int``, ``str or None``, ``{"a", "b"}``."""
    origin = get_origin(annotation)
    args = get_args(annotation)
    if origin in (Union, types.UnionType):
        return " or ".join(_type_text(a) for a in args)
    if origin is Literal:
        return "{" + ", ".join(f'"{a}"' for a in args) + "}"
    if origin is tuple:
        return f"tuple of {_type_text(args[0])}"
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        return f"mapping of {_type_text(args[0])} to {_type_text(args[1])}"
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))


def _default_text(cls: type, name: str) -> str:
    extra = field_info(cls, name).json_schema_extra
    if isinstance(extra, dict) and extra.get("shown_default"):
        return f"default: {extra['shown_default']}"
    value = default_of(cls, name)
    if value is ...:
        return ""
    if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
        return f"default=({', '.join(value)})"
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return f"default={type(value).__name__}()"
    return f"default={value!r}"


def help_text(cls: type, name: str) -> str:
    """An option's help for the command line: its sentence and default."""
    info = field_info(cls, name)
    value = default_of(cls, name)
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if extra.get("shown_default"):
        return f"{info.description} [default: {extra['shown_default']}]"
    shown = "" if value in (..., None, (), {}) else f" [default: {_cli_value(value)}]"
    return f"{info.description}{shown}"


def _cli_value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def _document(cls: type) -> None:
    """Write the numpydoc "Parameters" section of ``cls`` from its fields."""
    lines = ["Parameters", "----------"]
    for name, info in cls.__pydantic_fields__.items():  # type: ignore[attr-defined]
        default = _default_text(cls, name)
        lines.append(f"{name} : {_type_text(info.annotation)}{', ' + default if default else ''}")
        lines += textwrap.wrap(str(info.description), 84, initial_indent="    ",
                               subsequent_indent="    ")  # fmt: skip
    doc = (cls.__doc__ or "").rstrip()
    head, sep, rest = doc.partition("\n\n    Examples\n")
    indent = "    "
    parameters = "\n".join(indent + line if line else line for line in lines)
    cls.__doc__ = f"{head}\n\n{parameters}\n" + (f"\n    Examples\n{rest}\n" if sep else "")


def _looks_like(value: Any) -> str | None:
    """What a quoted value was meant to be, if it reads as a number or a boolean."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() in ("true", "false"):
        return text.lower()
    try:
        number = float(text)
    except ValueError:
        return None
    return text if math.isfinite(number) else None


def _translate(cls: type, exc: ValidationError) -> ConfigError:
    """One ConfigError for the first problem pydantic found."""
    error = exc.errors()[0]
    loc = error["loc"]
    inner = (error.get("ctx") or {}).get("error")
    if isinstance(inner, ConfigError):
        return inner.within(str(loc[0])) if loc else inner
    fields = list(cls.__pydantic_fields__)  # type: ignore[attr-defined]
    kind = error["type"]
    if kind == "unexpected_keyword_argument" or (kind == "missing_argument" and not loc):
        key = str(loc[0]) if loc else "?"
        match = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
        hint = f" Did you mean {match[0]!r}?" if match else ""
        return ConfigError(
            f"Unknown option {{option}}.{hint} Known options: {', '.join(fields)}.", option=key
        )
    name = str(loc[0]) if loc else fields[0]
    if kind in ("missing_argument", "missing"):
        return ConfigError(f"{{option}} is required: {field_info(cls, name).description}",
                           option=name)  # fmt: skip
    value = error.get("input")
    meant = _looks_like(value)
    fix = f" Write it without quotes: {meant}." if meant is not None else ""
    return ConfigError(
        f"{{option}} must be {expected(cls, name)}. Got {value!r}.{fix}", option=name
    )


def table_of(cls: type[Any], value: Any) -> Any:
    """A table of options from ``None`` (the defaults), an instance, or a mapping."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise ConfigError(f"{{option}} must be a table of options. Got {value!r}.")
    return cls(**{str(k): v for k, v in value.items()})


def declared(key: str) -> Callable[[type[T]], type[T]]:
    """Register a pydantic dataclass of options as the table ``key`` of fairloop.toml.

    Its constructor then raises :class:`ConfigError` (never pydantic's errors), and its
    docstring lists its options.
    """

    def decorate(cls: type[T]) -> type[T]:
        init = cls.__init__

        @functools.wraps(init)
        def checked_init(self: Any, *args: Any, **kwargs: Any) -> None:
            try:
                init(self, *args, **kwargs)
            except ValidationError as exc:
                raise _translate(cls, exc) from None

        cls.__init__ = checked_init  # type: ignore[method-assign]
        _document(cls)
        TABLES[key] = cls
        return cls

    return decorate
