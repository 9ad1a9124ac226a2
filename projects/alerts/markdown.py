"""Text from the database, made inert inside a robot's markdown message.

WeCom and DingTalk group robots render markdown: a link ``[x](http://…)``, an
image, bold, a heading or a quote at the start of a line, and WeCom's
``<font color>`` tag. A project name is typed by clerks (and reaches the API's
PATCH), so ``[点击领取补贴](http://evil.example)`` in a name would have put a
phishing link, under the system's name, into a department's group chat.

``markdown_text`` keeps the words and takes away the markup: every character
that markdown or the robots' HTML reads as syntax becomes its full-width form
(``[`` → ``［``, ``(`` → ``（``, ``<`` → ``＜``…), which Chinese text uses anyway
and which neither robot interprets; line breaks become spaces, so no value can
open a heading, a list or a quote; ``://`` becomes ``：//`` so that a bare
address is not turned into a link by the chat client either. Backslash escapes
are not used: neither robot documents them, and WeCom shows the backslash.
"""

from __future__ import annotations

_INERT = str.maketrans(
    {
        "[": "［",
        "]": "］",
        "(": "（",
        ")": "）",
        "<": "＜",
        ">": "＞",
        "*": "＊",
        "_": "＿",
        "`": "｀",
        "#": "＃",
        "!": "！",
        "|": "｜",
        "~": "～",
        "\\": "＼",
        "\r": " ",
        "\n": " ",
        "\t": " ",
    }
)


def markdown_text(value: object) -> str:
    """``value`` as plain text inside robot markdown (see the module doc)."""
    return str(value).translate(_INERT).replace("://", "：//")
