"""ErrorDNA: an error's fingerprint, category and severity, the same in Python and C++.

The fingerprint groups errors of one cause (Sentry's grouping, Google Error Reporting's owned frames):
- the exception's type, with ABI tags and inline namespaces taken out;
- its in-app frames (the service's own code, not the standard library's or a package's), innermost
  ``max_frames`` of them, without line numbers, recursion collapsed to one frame;
- its message with the values taken out: emails, URLs, UUIDs, dates, IPs, hashes, hex, paths,
  hosts, quoted strings and numbers become ``<email>``, ``<url>``, ... ``<num>``.

Two errors that differ in any of the three get different fingerprints: more groups rather than wrong
merges (Rollbar's rule). The rules are data (``error_dna_rules.json``), which the C++ library builds in,
so both languages agree; ``tests/errordna/fingerprints.json`` holds the cases both check.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

RULES_FILE = Path(__file__).with_name("error_dna_rules.json")
FINGERPRINT_PREFIX = "errordna/1"


@dataclass(frozen=True)
class Frame:
    """One stack frame, outermost first in a stack. ``in_app`` is ``None`` when not known."""

    module: str
    function: str
    file: str = ""
    line: int = 0
    in_app: Optional[bool] = None

    def key(self) -> str:
        return f"{self.module}:{self.function}"


@dataclass
class ErrorPattern:
    """What ErrorDNA makes of one error; ``to_dict()`` is what goes to the hub and into logs."""

    fingerprint: str
    type: str
    message: str
    parameterized_message: str
    frames: List[Frame] = field(default_factory=list)  # the normalized in-app frames fingerprinted
    stack: List[Frame] = field(default_factory=list)  # every frame, as captured

    def to_dict(self) -> Dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "type": self.type,
            "message": self.message,
            "parameterized_message": self.parameterized_message,
            "frames": [dataclasses.asdict(f) for f in self.stack],
        }


@dataclass(frozen=True)
class Classification:
    """A pattern's category (``network``, ``timeout``, ``database``, ``validation``,
    ``authentication``, ``resource_exhaustion``, ``dependency_down`` or ``bug``) and severity."""

    category: str
    severity: str
    rule: int  # the index of the rule that matched, among the service's own and then the built-in ones

    def __str__(self) -> str:
        return f"{self.category} ({self.severity})"


def load_rules(path: Path = RULES_FILE) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as data:
        return json.load(data)


def _compile(pattern: str) -> "re.Pattern[str]":
    return re.compile(pattern, re.ASCII)  # the C++ library's PCRE2 is ASCII: \d, \b and \s must mean the same here


class ErrorDNA:
    """Fingerprints errors. ``in_app_modules`` (prefixes, like ``"myservice."``) says which modules
    are the service's own; without it, a frame is in-app unless its file is the standard library's
    or an installed package's."""

    def __init__(self, rules: Optional[Dict[str, Any]] = None, in_app_modules: Sequence[str] = ()) -> None:
        self.rules = rules or load_rules()
        self.max_frames = int(self.rules["max_frames"])
        self._parameters = [(_compile(p["pattern"]), f"<{p['name']}>") for p in self.rules["parameters"]]
        self._types = [(_compile(r["pattern"]), r["replace"]) for r in self.rules["type_normalization"]]
        self._functions = [(_compile(r["pattern"]), r["replace"]) for r in self.rules["function_normalization"]]
        self.in_app_modules = tuple(in_app_modules)
        self._library_roots = _library_roots()

    # --- the language-neutral core -----------------------------------------------------------
    def parameterize(self, message: str) -> str:
        for pattern, placeholder in self._parameters:
            message = pattern.sub(placeholder, message)
        return message

    def normalize_type(self, name: str) -> str:
        for pattern, replace in self._types:
            name = pattern.sub(replace, name)
        return name

    def normalize_function(self, name: str) -> str:
        for pattern, replace in self._functions:
            name = pattern.sub(replace, name)
        return name.strip()

    def fingerprinted_frames(self, stack: Iterable[Frame]) -> List[Frame]:
        """The in-app frames (all, when none is marked), innermost ``max_frames``, recursion collapsed."""
        stack = list(stack)
        chosen = [f for f in stack if f.in_app] or [f for f in stack if f.in_app is not False]
        frames: List[Frame] = []
        for frame in chosen:
            normal = Frame(frame.module, self.normalize_function(frame.function))
            if not frames or frames[-1].key() != normal.key():
                frames.append(normal)
        return frames[-self.max_frames :] if self.max_frames else []

    def analyze(self, error_type: str, message: str, stack: Sequence[Frame] = ()) -> ErrorPattern:
        """The pattern of an error given as data (as ``POST /errors`` and other languages send it)."""
        normal_type = self.normalize_type(error_type)
        parameterized = self.parameterize(message)
        frames = self.fingerprinted_frames(stack)
        text = "\n".join([FINGERPRINT_PREFIX, normal_type, *(f.key() for f in frames), parameterized])
        fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
        return ErrorPattern(fingerprint, normal_type, message, parameterized, frames, list(stack))

    # --- Python exceptions -------------------------------------------------------------------
    def analyze_error(self, error: BaseException) -> ErrorPattern:
        """The seed's ``error_dna.analyze_error(e)``: the pattern of a caught exception."""
        return self.analyze(exception_type(error), str(error), self.frames_of(error.__traceback__))

    def frames_of(self, traceback: Optional[TracebackType]) -> List[Frame]:
        frames = []
        while traceback is not None:
            code = traceback.tb_frame.f_code
            module = str(traceback.tb_frame.f_globals.get("__name__", ""))
            function = getattr(code, "co_qualname", code.co_name)  # Class.method from 3.11 on
            frames.append(Frame(module, function, code.co_filename, traceback.tb_lineno, self._in_app(module, code.co_filename)))
            traceback = traceback.tb_next
        return frames

    def _in_app(self, module: str, file: str) -> bool:
        if self.in_app_modules:
            return module.startswith(self.in_app_modules)
        return not (file.startswith(self._library_roots) or file.startswith("<") or "site-packages" in file or "dist-packages" in file)


def exception_type(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _library_roots() -> Tuple[str, ...]:
    roots = {sysconfig.get_paths().get(name, "") for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    roots.add(str(Path(json.__file__).parent.parent))  # the standard library, wherever this Python keeps it
    return tuple(sorted(r for r in roots if r))


class ErrorClassifier:
    """Classifies patterns by rules: the service's own (``rules``, first) and then the built-in ones.
    A rule is ``{"category", "severity", "types": REGEX, "messages": REGEX}``; it matches when the
    type matches ``types`` or the message matches ``messages`` (case-insensitively); an empty
    regex matches nothing, and a rule with both empty matches everything (the last, ``bug``)."""

    def __init__(self, rules: Sequence[Dict[str, str]] = (), base: Optional[Dict[str, Any]] = None) -> None:
        base = base or load_rules()
        categories = set(base["categories"])
        self._rules: List[Tuple[Optional["re.Pattern[str]"], Optional["re.Pattern[str]"], bool, str, str]] = []
        for rule in [*rules, *base["rules"]]:
            if rule["category"] not in categories:
                raise ValueError(f"rule category {rule['category']!r} is not one of {sorted(categories)}")
            types, messages = rule.get("types", ""), rule.get("messages", "")
            self._rules.append(
                (
                    re.compile(types, re.ASCII | re.IGNORECASE) if types else None,
                    re.compile(messages, re.ASCII | re.IGNORECASE) if messages else None,
                    not types and not messages,
                    rule["category"],
                    rule.get("severity", "error"),
                )
            )

    def classify(self, pattern: ErrorPattern) -> Classification:
        for index, (types, messages, always, category, severity) in enumerate(self._rules):
            if always or (types and types.search(pattern.type)) or (messages and messages.search(pattern.message)):
                return Classification(category, severity, index)
        return Classification("bug", "error", len(self._rules))


__all__ = ["Classification", "ErrorClassifier", "ErrorDNA", "ErrorPattern", "Frame", "exception_type"]
