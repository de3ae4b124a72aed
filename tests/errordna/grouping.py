#!/usr/bin/python3
"""ErrorDNA's grouping, measured on the labeled corpus: Python causes (python_corpus.py) and C++ causes
(cpp_corpus.cpp, its program named by HUB_ERRORDNA_CPP_CORPUS or the first argument).

    tests/errordna/grouping.py [build-test/tests/errordna_cpp_corpus]

Prints the corpus's size, pairwise precision and recall (of all pairs of events: those ErrorDNA puts in
one group that are one cause, and those of one cause it puts in one group), and every cause split or
merged. The C++ events carry the C++ library's fingerprint; the Python package must give the same.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Dict, List, Set, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "python"))
sys.path.insert(0, str(HERE))

from central_hub.error_dna import ErrorClassifier, ErrorDNA, Frame  # noqa: E402

import python_corpus  # noqa: E402


@dataclass
class Event:
    label: str
    language: str
    fingerprint: str
    category: str


@dataclass
class Grouping:
    events: List[Event]
    precision: float
    recall: float
    split: Dict[str, int]  # cause -> groups it was split into (more than one)
    merged: Dict[str, Set[str]]  # fingerprint -> causes merged into it (more than one)
    disagreements: List[str]  # C++ events whose Python fingerprint differs


def python_events(dna: ErrorDNA, classifier: ErrorClassifier) -> List[Event]:
    events = []
    for label, error in python_corpus.events():
        pattern = dna.analyze_error(error)
        events.append(Event(label, "python", pattern.fingerprint, classifier.classify(pattern).category))
    return events


def cpp_events(program: str, dna: ErrorDNA) -> Tuple[List[Event], List[str]]:
    output = subprocess.run([program], capture_output=True, text=True, check=True).stdout
    events, disagreements = [], []
    for line in output.splitlines():
        event = json.loads(line)
        again = dna.analyze(event["type"], event["message"], [Frame(**frame) for frame in event["frames"]])
        if again.fingerprint != event["fingerprint"]:
            disagreements.append(f"{event['label']}: C++ {event['fingerprint']}, Python {again.fingerprint}")
        events.append(Event(event["label"], "c++", event["fingerprint"], event["category"]))
    return events, disagreements


def measure(program: str) -> Grouping:
    dna, classifier = ErrorDNA(), ErrorClassifier()
    cpp, disagreements = cpp_events(program, dna)
    events = python_events(dna, classifier) + cpp
    same_group = same_cause = both = 0
    for a, b in combinations(events, 2):
        grouped, caused = a.fingerprint == b.fingerprint, a.label == b.label
        same_group += grouped
        same_cause += caused
        both += grouped and caused
    groups_of: Dict[str, Set[str]] = defaultdict(set)
    causes_of: Dict[str, Set[str]] = defaultdict(set)
    for event in events:
        groups_of[event.label].add(event.fingerprint)
        causes_of[event.fingerprint].add(event.label)
    return Grouping(
        events,
        precision=both / same_group if same_group else 1.0,
        recall=both / same_cause if same_cause else 1.0,
        split={label: len(groups) for label, groups in groups_of.items() if len(groups) > 1},
        merged={fingerprint: causes for fingerprint, causes in causes_of.items() if len(causes) > 1},
        disagreements=disagreements,
    )


def main() -> None:
    program = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HUB_ERRORDNA_CPP_CORPUS", "build/tests/errordna_cpp_corpus")
    result = measure(program)
    languages = Counter(event.language for event in result.events)
    causes = {event.label for event in result.events}
    groups = {event.fingerprint for event in result.events}
    print(f"events: {len(result.events)} ({languages['python']} Python, {languages['c++']} C++) from {len(causes)} causes, in {len(groups)} groups")
    print(f"pairwise precision: {result.precision:.4f}   recall: {result.recall:.4f}")
    for label, count in sorted(result.split.items()):
        print(f"split: {label} into {count} groups")
    for fingerprint, labels in sorted(result.merged.items()):
        print(f"merged: {', '.join(sorted(labels))} as {fingerprint}")
    for line in result.disagreements:
        print(f"C++ and Python disagree: {line}")
    categories = Counter((event.label, event.category) for event in result.events)
    print("categories: " + ", ".join(f"{label}={category}" for (label, category) in sorted(categories)))


if __name__ == "__main__":
    main()
