"""Gambit's ``.nfg`` strategic-form file format, read and written.

Two body layouts exist (Gambit documentation, "The strategic game (.nfg) file format"):

* payoff version -- after the header, ``n_players`` payoffs for each pure profile, profiles in
  order with the *first* player's strategy changing fastest;
* outcome version -- a list of outcomes ``{ "name" p_1, ..., p_n }`` followed by one outcome
  index per profile (same order; ``0`` is the null outcome paying zero to everybody).

The header is ``NFG 1 R|D "title" { "player" ... }`` followed by either the strategy counts
``{ 3 2 }`` or the strategy names ``{ { "a" "b" "c" } { "x" "y" } }`` and an optional comment
string.  Numbers may be integers, decimals, scientific notation or rationals ``p/q``.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Iterator
from fractions import Fraction
from typing import IO, Any

import torch

from attractor.games.game import NormalFormGame, check_game


class NFGFormatError(ValueError):
    """A malformed ``.nfg`` file; the message names the source and the line."""


class _Tokens:
    """Tokens of an ``.nfg`` text with their line numbers: strings, braces and numbers."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.items: list[tuple[str, str, int]] = list(self._scan(text))
        self.pos = 0
        self.last_line = text.count("\n") + 1

    def _error(self, line: int, message: str) -> NFGFormatError:
        return NFGFormatError(f"{self.source}, line {line}: {message}")

    def _scan(self, text: str) -> Iterator[tuple[str, str, int]]:
        i, line, n = 0, 1, len(text)
        while i < n:
            c = text[i]
            if c == "\n":
                line += 1
                i += 1
            elif c.isspace() or c == ",":
                i += 1
            elif c in "{}":
                yield ("brace", c, line)
                i += 1
            elif c == '"':
                start_line, j, chars = line, i + 1, []
                while j < n and text[j] != '"':
                    if text[j] == "\\" and j + 1 < n:
                        j += 1
                    if text[j] == "\n":
                        line += 1
                    chars.append(text[j])
                    j += 1
                if j >= n:
                    raise self._error(start_line, "unterminated string (missing closing quote)")
                yield ("string", "".join(chars), start_line)
                i = j + 1
            else:
                j = i
                while j < n and not (text[j].isspace() or text[j] in '{}",'):
                    j += 1
                yield ("word", text[i:j], line)
                i = j

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def next(self, what: str) -> tuple[str, str, int]:
        tok = self.peek()
        if tok is None:
            raise self._error(self.last_line, f"unexpected end of file, expected {what}")
        self.pos += 1
        return tok

    def expect(self, kind: str, value: str | None, what: str) -> tuple[str, str, int]:
        tok = self.next(what)
        if tok[0] != kind or (value is not None and tok[1] != value):
            raise self._error(tok[2], f"expected {what}, got {tok[1]!r}")
        return tok

    def number(self, what: str) -> float:
        kind, text, line = self.next(what)
        if kind != "word":
            raise self._error(line, f"expected {what}, got {text!r}")
        try:
            value = float(Fraction(text)) if "/" in text else float(text)
        except (ValueError, ZeroDivisionError):
            raise self._error(line, f"expected {what}, got {text!r}") from None
        if not math.isfinite(value):
            raise self._error(line, f"{what} must be finite, got {text!r}")
        return value

    def integer(self, what: str, low: int, high: int | None = None) -> int:
        kind, text, line = self.next(what)
        try:
            value = int(text) if kind == "word" else None
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            bound = f">= {low}" if high is None else f"in [{low}, {high}]"
            raise self._error(line, f"expected {what} (an integer {bound}), got {text!r}")
        return value

    def strings(self, what: str) -> list[str]:
        """A brace-delimited list of strings."""
        self.expect("brace", "{", f"'{{' opening the {what}")
        out = []
        while True:
            tok = self.next(f"a {what[:-1]} name or '}}'")
            if tok[:2] == ("brace", "}"):
                return out
            if tok[0] != "string":
                raise self._error(tok[2], f"expected a quoted {what[:-1]} name, got {tok[1]!r}")
            out.append(tok[1])


def parse_nfg(text: str, *, source: str = "<string>", dtype: torch.dtype = torch.float64, device=None) -> NormalFormGame:
    """Parse the text of an ``.nfg`` file into a :class:`NormalFormGame`."""
    toks = _Tokens(text, source)
    first = toks.next("'NFG'")
    if first[:2] != ("word", "NFG"):
        raise toks._error(first[2], f"an .nfg file starts with 'NFG 1 R' or 'NFG 1 D', got {first[1]!r}")
    version = toks.next("the version number 1")
    if version[1] != "1":
        raise toks._error(version[2], f"only version 1 of the .nfg format exists, got {version[1]!r}")
    kind = toks.next("'R' or 'D'")
    if kind[1] not in ("R", "D"):
        raise toks._error(kind[2], f"expected 'R' or 'D' after 'NFG 1', got {kind[1]!r}")
    title = toks.expect("string", None, "the quoted game title")[1]
    players = toks.strings("players")
    if not players:
        raise toks._error(kind[2], "the game must have at least one player")
    toks.expect("brace", "{", "'{' opening the strategy counts or names")
    actions: list[list[str]] = []
    if toks.peek() is not None and toks.peek()[0] == "brace":
        for _ in players:
            actions.append(toks.strings("strategies"))
        toks.expect("brace", "}", "'}' closing the strategy names")
        counts = [len(a) for a in actions]
        for i, a in enumerate(counts):
            if a == 0:
                raise toks._error(kind[2], f"player {i + 1} has no strategies")
    else:
        counts = [toks.integer(f"the number of strategies of player {i + 1}", 1) for i in range(len(players))]
        toks.expect("brace", "}", "'}' closing the strategy counts")
        actions = [[str(k + 1) for k in range(a)] for a in counts]
    if toks.peek() is not None and toks.peek()[0] == "string":
        toks.next("comment")
    n, num_profiles = len(players), math.prod(counts)
    tok = toks.peek()
    if tok is not None and tok[:2] == ("brace", "{"):
        flat = _outcome_body(toks, n, num_profiles)
    else:
        flat = [toks.number(f"payoff {k % n + 1} of profile {k // n + 1}") for k in range(n * num_profiles)]
    extra = toks.peek()
    if extra is not None:
        raise toks._error(extra[2], f"unexpected {extra[1]!r} after the last payoff")
    # profiles run with player 1 fastest: reshape with reversed axes, then reverse them back
    table = torch.tensor(flat, dtype=torch.float64).reshape(*reversed(counts), n)
    payoffs = table.permute(n, *range(n - 1, -1, -1)).contiguous()
    return NormalFormGame(payoffs.to(dtype=dtype, device=device), players=players, actions=actions, title=title)


def _outcome_body(toks: _Tokens, n: int, num_profiles: int) -> list[float]:
    toks.expect("brace", "{", "'{' opening the outcome list")
    outcomes: list[list[float]] = []
    while True:
        tok = toks.next("an outcome '{' or '}'")
        if tok[:2] == ("brace", "}"):
            break
        if tok[:2] != ("brace", "{"):
            raise toks._error(tok[2], f"expected an outcome '{{ \"name\" payoffs }}', got {tok[1]!r}")
        toks.expect("string", None, "the quoted outcome name")
        outcomes.append([toks.number(f"payoff {i + 1} of outcome {len(outcomes) + 1}") for i in range(n)])
        toks.expect("brace", "}", f"'}}' closing outcome {len(outcomes)} ({n} payoffs)")
    flat: list[float] = []
    for k in range(num_profiles):
        index = toks.integer(f"the outcome index of profile {k + 1}", 0, len(outcomes))
        flat.extend(outcomes[index - 1] if index else [0.0] * n)
    return flat


def read_nfg(file: str | os.PathLike | IO[str], *, dtype: torch.dtype = torch.float64, device=None) -> NormalFormGame:
    """Read a Gambit ``.nfg`` file (payoff or outcome version) from a path or an open text file.

    Raises :class:`NFGFormatError` (a ``ValueError``) naming the line of a malformed entry.
    """
    if isinstance(file, (str, os.PathLike)):
        with open(file, encoding="utf-8") as fh:
            return parse_nfg(fh.read(), source=os.fspath(file), dtype=dtype, device=device)
    if not hasattr(file, "read"):
        raise TypeError(f"`file` must be a path or an open text file; got {type(file).__name__}.")
    return parse_nfg(file.read(), source=getattr(file, "name", "<stream>"), dtype=dtype, device=device)


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**53 else repr(float(x))


def format_nfg(game: NormalFormGame, *, version: str = "payoff", comment: str = "") -> str:
    """The ``.nfg`` text of ``game`` (``version="payoff"`` or ``"outcome"``)."""
    if version not in ("payoff", "outcome"):
        raise ValueError(f"`version` must be 'payoff' or 'outcome'; got {version!r}.")
    n = game.n_players
    payoffs = game.payoffs.detach().to("cpu", torch.float64)
    # one row per profile, player 1 fastest
    rows = payoffs.permute(*range(n, 0, -1), 0).reshape(-1, n).tolist()
    out = io.StringIO()
    out.write(f"NFG 1 R {_quote(game.title)} {{ {' '.join(_quote(p) for p in game.players)} }}\n")
    # strategy names (allowed in both versions) keep the labels through a round trip
    out.write("{\n")
    for names in game.actions:
        out.write("{ " + " ".join(_quote(a) for a in names) + " }\n")
    out.write("}\n" + _quote(comment) + "\n\n")
    if version == "payoff":
        out.write(" ".join(_number(v) for row in rows for v in row) + "\n")
        return out.getvalue()
    out.write("{\n")
    for row in rows:
        out.write('{ "" ' + ", ".join(_number(v) for v in row) + " }\n")
    out.write("}\n" + " ".join(str(k + 1) for k in range(len(rows))) + "\n")
    return out.getvalue()


def write_nfg(game: NormalFormGame, file: Any = None, *, version: str = "payoff", comment: str = "") -> str:
    """Write ``game`` as a Gambit ``.nfg`` file to a path or open text file; returns the text.

    ``version="outcome"`` writes one outcome per profile together with the strategy names.
    """
    check_game(game)
    text = format_nfg(game, version=version, comment=comment)
    if file is None:
        return text
    if isinstance(file, (str, os.PathLike)):
        with open(file, "w", encoding="utf-8") as fh:
            fh.write(text)
    elif hasattr(file, "write"):
        file.write(text)
    else:
        raise TypeError(f"`file` must be a path or an open text file; got {type(file).__name__}.")
    return text
