"""What one template render may cost: value sizes, loop items, emitted text and time.

Why: manifests arrive in pull requests and their templates run on the CI runner at validate time.
Jinja's sandbox stops escapes, not costs: nested ``range`` loops spin the CPU, and
``"%999999999d" % 1``, ``"x".center(999999999)`` or ``"{:>999999999}".format(1)`` build a
gigabyte string inside one C call, before any later check could look at it. So every operation
that can build a value out of proportion to its inputs is bounded *before* it runs (format widths
and precisions, padding, repetition, replacement, joining, ``range``), every value that becomes
text is measured first, and a per-render budget of loop items, emitted characters and time is
charged from the sandbox's hooks (``templating`` wires them; nothing here imports jinja2).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, ItemsView, Iterable, KeysView, Mapping, Sized, ValuesView
from itertools import islice
from typing import Any, Final

MAX_TEMPLATE_CHARS: Final = 100_000  # characters of any value a template builds, and per field
MAX_SEQUENCE: Final = 100_000  # items of a list or string built with *
MAX_RANGE: Final = 10_000  # numbers in one range()
MAX_LOOP_ITEMS: Final = 100_000  # for-loop items in one render, all loops together
MAX_EMITTED: Final = 1_000_000  # characters emitted in one render, captured blocks included
MAX_INT_BITS: Final = 16_384  # about 4,900 digits; Python refuses to print 4,300 or more
MAX_EXPONENT: Final = 64
RENDER_SECONDS: Final = 2.0

TOO_LONG = f"template would build a value longer than {MAX_TEMPLATE_CHARS:,} characters"
_OPAQUE = 64  # what an object of no known shape (a macro, a cycler) is assumed to print as
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[diouxXeEfFgGcrsa%]")
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[a-zA-Z%]?", re.DOTALL)
_PADDING = frozenset({"center", "ljust", "rjust", "zfill"})
_CONTAINERS = (Mapping, KeysView, ValuesView, ItemsView, list, tuple, set, frozenset)


class _LimitExceeded(Exception):
    """A render went past one of the limits; ``templating`` turns it into a located problem, so
    it never leaves the manifest package (hence private, and not in ``errors``).

    Deliberately not a ``ValueError``/``TypeError``: Jinja's filters catch those around their own
    conversions, and a limit must never be swallowed as a bad input.
    """


def _require(ok: bool, message: str = TOO_LONG) -> None:
    if not ok:
        raise _LimitExceeded(message)


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class Limits:
    """The checks and the per-render budget; ``unwrap`` opens objects whose text shows their
    contents (Jinja's ``namespace``), ``clock`` is injectable so tests need no real time."""

    def __init__(
        self,
        unwrap: Callable[[Any], Any] = lambda _value: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.unwrap = unwrap
        self.clock = clock
        self.start()

    # --- the budget -------------------------------------------------------------------------

    def start(self) -> None:
        """A new render: the full budget again."""
        self.deadline = self.clock() + RENDER_SECONDS
        self.loop_items = 0
        self.emitted = 0

    def tick(self) -> None:
        _require(
            self.clock() <= self.deadline,
            f"template took longer than {RENDER_SECONDS:g} seconds to render",
        )

    def loop(self, items: Iterable[Any]) -> Iterable[Any]:
        """Every for-loop's items pass through here, charged one by one."""
        for item in items:
            self.loop_items += 1
            _require(
                self.loop_items <= MAX_LOOP_ITEMS,
                f"template loops over more than {MAX_LOOP_ITEMS:,} items in one render",
            )
            self.tick()
            yield item

    def emit(self, value: Any) -> Any:
        """A value about to become text (output, ``~``): measured before it is converted."""
        size = self.size(value)
        _require(size <= MAX_TEMPLATE_CHARS)
        self.emitted += size
        _require(
            self.emitted <= MAX_EMITTED,
            f"template would emit more than {MAX_EMITTED:,} characters in one render",
        )
        self.tick()
        return value

    def range(self, *args: int) -> range:
        numbers = range(*args)
        _require(len(numbers) <= MAX_RANGE, f"template range() of more than {MAX_RANGE:,} numbers")
        return numbers

    # --- measuring --------------------------------------------------------------------------

    def size(self, value: Any, limit: int = MAX_TEMPLATE_CHARS) -> int:
        """An upper bound on ``len(str(value))``, counted only until it passes ``limit``."""
        return self.shape(value, limit)[0]

    def shape(self, value: Any, limit: int = MAX_TEMPLATE_CHARS) -> tuple[int, int]:
        """``(size, depth)``: the size bound as :meth:`size`, and how deep containers nest."""
        if isinstance(value, str):
            return len(value), 0
        total, deepest = 0, 0
        stack: list[tuple[Any, int]] = [(value, 0)]
        seen: set[int] = set()
        while stack and total <= limit:
            item, depth = stack.pop()
            deepest = max(deepest, depth)
            if isinstance(item, str | bytes):
                total += len(item) + 3
                continue
            if isinstance(item, bool | float | complex) or item is None:
                total += 24
                continue
            if isinstance(item, int):
                total += item.bit_length() // 3 + 2
                continue
            inner = item if isinstance(item, _CONTAINERS) else None
            if inner is None and not isinstance(item, range):
                inner = self.unwrap(item)
            if inner is None or isinstance(inner, range):
                total += _OPAQUE
                continue
            if id(inner) in seen:
                total += 5  # a container holding itself prints as [...]
                continue
            seen.add(id(inner))
            children: list[Any] = (
                [x for pair in inner.items() for x in pair]
                if isinstance(inner, Mapping) and len(inner) * 4 <= limit
                else list(islice(inner, limit // 2 + 1))
            )
            total += 2 + 2 * len(children)
            if total <= limit:
                stack.extend((child, depth + 1) for child in children)
        return total, deepest

    def within(self, chars: int) -> None:
        """Text of ``chars`` characters (a rendered field, the fields of one format call)."""
        _require(chars <= MAX_TEMPLATE_CHARS)

    def checked(self, value: Any) -> Any:
        """A result of an operation: refused when its text would pass the cap."""
        _require(self.size(value) <= MAX_TEMPLATE_CHARS)
        return value

    def inputs(self, values: Iterable[Any]) -> None:
        for value in values:
            _require(self.size(value) <= MAX_TEMPLATE_CHARS)

    # --- operations bounded before they run -------------------------------------------------

    def binop(self, operator: str, left: Any, right: Any) -> None:
        if operator == "**":
            _require(
                not isinstance(right, int | float) or abs(right) <= MAX_EXPONENT,
                f"template would raise a number to a power above {MAX_EXPONENT}",
            )
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                self._bits(left.bit_length() * right)
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                self._bits(left.bit_length() + right.bit_length())
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    _require(
                        len(seq) * times <= MAX_SEQUENCE,
                        f"template would build a sequence longer than {MAX_SEQUENCE:,} items",
                    )
        elif operator == "%" and isinstance(left, str):
            self.printf(left, right)
        self.inputs((left, right))

    def _bits(self, bits: int) -> None:
        _require(
            bits <= MAX_INT_BITS, f"template would build a number longer than {MAX_INT_BITS:,} bits"
        )

    def printf(self, template: str, args: Any) -> None:
        """``template % args``: the widths and precisions it asks for, plus what it formats."""
        bound = len(template)
        for found in _PRINTF.finditer(template):
            width, precision = found.group(1) or "", found.group(2) or ""
            _require(
                "*" not in (width, precision),
                "template % formatting may not take a width or precision from its arguments",
            )
            bound += int(width or 0) + int(precision or 0)
        values = args.values() if isinstance(args, Mapping) else args
        values = values if isinstance(values, tuple | list) else [values]
        bound += sum(self.size(v) for v in islice(values, MAX_SEQUENCE))
        _require(bound <= MAX_TEMPLATE_CHARS)

    def format_field(self, value: Any, spec: str) -> int:
        """The most characters ``format(value, spec)`` may produce (spec already resolved)."""
        found = _SPEC.fullmatch(spec)
        if found is not None:
            widths = int(found.group(1) or 0) + int(found.group(2) or 0)
        else:  # not a standard spec: every number in it counts
            widths = sum(int(n) for n in re.findall(r"\d+", spec))
        bound = widths + self.size(value) + len(spec)
        _require(bound <= MAX_TEMPLATE_CHARS)
        return bound

    def method(self, name: str, owner: str, args: tuple[Any, ...], kw: Mapping[str, Any]) -> None:
        """A ``str`` method that can build more than its inputs: checked before it runs."""
        if name in _PADDING:
            _require(_int(args[0] if args else kw.get("width")) <= MAX_TEMPLATE_CHARS)
        elif name == "expandtabs":
            tabs = _int(args[0] if args else kw.get("tabsize", 8), 8)
            _require(len(owner) + owner.count("\t") * max(tabs, 0) <= MAX_TEMPLATE_CHARS)
        elif name == "replace" and len(args) >= 2:
            self._replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1)
        elif name == "join" and args and isinstance(args[0], list | tuple):
            self._join(owner, args[0])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((self.size(v) for v in args[0].values()), default=1)
            _require(len(owner) * max(longest, 1) <= MAX_TEMPLATE_CHARS)

    def _replace(self, text: Any, old: Any, new: Any, count: Any) -> None:
        if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
            return
        hits = text.count(old) if old else len(text) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        _require(len(text) + hits * len(new) <= MAX_TEMPLATE_CHARS)

    def _join(self, separator: Any, items: list[Any] | tuple[Any, ...]) -> None:
        sep = self.size(separator)
        _require(
            sep * max(len(items) - 1, 0) + sum(self.size(i) for i in items) <= MAX_TEMPLATE_CHARS
        )

    def materialise(self, items: Any) -> Any:
        """An iterable about to be joined, as a list (a generator cannot be measured)."""
        if isinstance(items, Sized) or not isinstance(items, Iterable):
            return items
        listed = list(islice(items, MAX_SEQUENCE + 1))
        _require(
            len(listed) <= MAX_SEQUENCE,
            f"template would build a sequence longer than {MAX_SEQUENCE:,} items",
        )
        return listed

    def filter(self, name: str, args: list[Any], kw: dict[str, Any]) -> None:
        """A filter that can build more than its inputs: checked before it runs. ``args[0]``
        is the filtered value; ``args`` may be changed in place (a generator made a list)."""
        value = args[0] if args else None

        def arg(index: int, key: str, default: Any = None) -> Any:
            return args[index] if len(args) > index else kw.get(key, default)

        text = value if isinstance(value, str) else ""
        if name == "center":
            _require(_int(arg(1, "width", 80)) <= MAX_TEMPLATE_CHARS)
        elif name == "indent":
            width = arg(1, "width", 4)
            step = len(width) if isinstance(width, str) else _int(width)
            _require(len(text) + (text.count("\n") + 1) * step <= MAX_TEMPLATE_CHARS)
        elif name == "format":
            self.printf(text, kw or tuple(args[1:]))
        elif name == "replace":
            self._replace(value, arg(1, "old"), arg(2, "new"), arg(3, "count"))
        elif name == "join" and args:
            args[0] = self.materialise(value)
            if isinstance(args[0], list | tuple):
                self._join(arg(1, "d", ""), args[0])
        elif name == "wordwrap":
            width = max(_int(arg(1, "width", 79), 79), 1)
            wrap = arg(3, "wrapstring")
            wrap_len = len(wrap) if isinstance(wrap, str) else 1
            _require(len(text) + (len(text) // width + 1) * wrap_len <= MAX_TEMPLATE_CHARS)
        elif name in ("batch", "slice"):
            count = arg(1, "linecount" if name == "batch" else "slices", 1)
            _require(
                _int(count) <= MAX_SEQUENCE,
                f"template would build a sequence longer than {MAX_SEQUENCE:,} items",
            )
        elif name in ("tojson", "pprint"):
            size, depth = self.shape(value)
            indent = _int(arg(1, "indent")) if name == "tojson" else 1
            _require(size * (1 + max(indent, 0) * (depth + 1)) <= MAX_TEMPLATE_CHARS)
        elif name == "urlize":
            extra = sum(self.size(arg(i, k, "")) for i, k in ((3, "target"), (4, "rel"))) + 64
            _require(len(text) + (len(text) // 8 + 1) * extra <= MAX_TEMPLATE_CHARS)

    def lipsum(self, generate: Callable[..., Any]) -> Callable[..., Any]:
        """Jinja's ``lipsum(n=5, html=True, min=20, max=100)`` (n paragraphs of up to max
        words each), refused before it starts when that could pass the cap."""

        @functools.wraps(generate)
        def bounded(*args: Any, **kw: Any) -> Any:
            paragraphs = _int(args[0] if args else kw.get("n", 5), 5)
            words = _int(args[3] if len(args) > 3 else kw.get("max", 100), 100)
            _require(paragraphs * words * 12 <= MAX_TEMPLATE_CHARS)
            return generate(*args, **kw)

        return bounded


__all__ = [
    "MAX_EMITTED",
    "MAX_LOOP_ITEMS",
    "MAX_RANGE",
    "MAX_SEQUENCE",
    "MAX_TEMPLATE_CHARS",
    "RENDER_SECONDS",
    "Limits",
]
