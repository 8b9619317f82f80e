"""Links fairloop writes or shows: web addresses only.

A link from a file or a person (a catalogue's ``source_url``, a reviewer's ``--link``)
ends up as ``href`` in the report; only ``http`` and ``https`` addresses with a host are
accepted, so a ``javascript:`` or ``data:`` address can never become a live link.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["WEB_SCHEMES", "is_web_link"]

#: The schemes a link may have.
WEB_SCHEMES = ("http", "https")


def is_web_link(value: object) -> bool:
    """Whether ``value`` is an http(s) address with a host.

    Examples
    --------
    >>> is_web_link("https://eur-lex.europa.eu/eli/reg/2024/1689/oj")
    True
    >>> is_web_link("javascript:alert(1)"), is_web_link(" JavaScript:alert(1)"), is_web_link("x")
    (False, False, False)
    """
    if not isinstance(value, str) or value != value.strip() or any(c < " " for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)
