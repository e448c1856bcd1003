"""``python -m autograder audit [EXERCISE ...]``: is every grade a function of the student's code
alone, whatever secret seed the hidden suite is drawn from?

Trusted grading draws each hidden suite from a fresh secret seed per submission, so a check
that catches a mistake on most seeds but not all would grade two students with the same code
differently. The audit runs, for every exercise, the reference, the correct alternatives
(``Exercise.alternatives``) and the listed mistakes (``Exercise.misconceptions``) through the
visible suite and through the hidden suite drawn from many secret seeds (200 by default, the
same 62-bit seeds on every run unless ``--fresh``), judged exactly as grading judges a record
(serialized, then :func:`autograder.checks.judge` with the cases the grader drew), and reports
per exercise:

- alternatives: how many pass the visible suite and every secret seed (the reference counts);
- mistakes: how many are caught on at least 99.5% of the seeds, and the worst catch rate.

It fails (exit status 1) when an alternative fails anywhere or a mistake's catch rate is
below 99.5%, and prints each such finding with its seeds and the first message; ``--seed S``
reruns an exercise on chosen seeds only. Behavioural exercises (a criterion instead of a
reference: an agent must learn) train for seconds to minutes per seed; they are measured by
their own tools (``tools/measure_cartpole_check.py``, ``tools/measure_cliff_check.py``) and
skipped here unless ``--behavioural`` is given.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing
import os
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field

#: A listed mistake must fail on at least this share of the secret seeds.
REQUIRED_CATCH_RATE = 0.995
DEFAULT_SEEDS = 200


def audit_seeds(n: int, base: str = "audit") -> list[int]:
    """``n`` secret seeds of grading's size (62 bits), the same on every run for one ``base``."""
    return [int.from_bytes(hashlib.sha256(f"{base}/{i}".encode()).digest()[:8], "little") >> 2
            for i in range(n)]


@dataclass
class Finding:
    """One implementation on one exercise: how many seeds it was judged on and on which the
    verdict was the unexpected one (an alternative failed, a mistake passed)."""

    exercise: str
    implementation: str
    kind: str                      # "alternative" or "mistake"
    visible_ok: bool               # the visible suite gave the expected verdict
    seeds: int
    unexpected_seeds: list = field(default_factory=list)
    first_message: str | None = None

    @property
    def rate(self) -> float:
        """The share of secret seeds with the expected verdict (catch rate, for a mistake)."""
        return 1.0 - len(self.unexpected_seeds) / self.seeds if self.seeds else 1.0

    @property
    def ok(self) -> bool:
        if self.kind == "alternative":
            return self.visible_ok and not self.unexpected_seeds
        return self.rate >= REQUIRED_CATCH_RATE


@dataclass
class ExerciseAudit:
    exercise: str
    seeds: int
    findings: list
    seconds: float                 # worker time (one core), all seeds and implementations
    skipped: str | None = None

    def of(self, kind: str) -> list:
        return [f for f in self.findings if f.kind == kind]

    @property
    def ok(self) -> bool:
        return self.skipped is not None or (all(f.ok for f in self.findings) and bool(self.of("mistake")))

    @property
    def worst_catch(self):
        mistakes = self.of("mistake")
        return min(mistakes, key=lambda f: f.rate) if mistakes else None

    def summary(self) -> dict:
        alts, mistakes = self.of("alternative"), self.of("mistake")
        worst = self.worst_catch
        return {
            "exercise": self.exercise, "ok": self.ok, "secret_seeds": self.seeds, "skipped": self.skipped,
            "alternatives": len(alts), "alternatives_passed": sum(f.ok for f in alts),
            "mistakes": len(mistakes), "mistakes_caught": sum(f.ok for f in mistakes),
            "mistakes_caught_by_visible": sum(f.visible_ok for f in mistakes),
            "worst_catch_rate": None if worst is None else round(worst.rate, 4),
            "worst_mistake": None if worst is None else worst.implementation,
            "seconds": round(self.seconds, 1),
        }


def implementations(exercise) -> list[tuple[str, str, object]]:
    """``(kind, name, fn)`` for the reference, each alternative and each listed mistake."""
    out = [("alternative", "the reference", exercise.reference)]
    out += [("alternative", f"alternative #{i}{_label(fn)}", fn) for i, fn in enumerate(exercise.alternatives, 1)]
    out += [("mistake", m.name, m.fn) for m in exercise.misconceptions]
    return out


def _label(fn) -> str:
    name = getattr(fn, "__name__", "")
    return f" ({name})" if name and name != "<lambda>" else ""


def _verdicts(exercise_id: str, seeds: list[int] | None, roundtrip: bool = False):
    """Worker: every implementation's verdict on the visible suite (``seeds is None``) or on the
    hidden suite drawn from each seed. Returns ``[(index, seed, passed, message)]`` for the
    verdicts that differ from what the implementation should get, and the seconds it took.

    The record is judged as :func:`collect` makes it (outputs sanitized to plain data, as the
    sandboxed kernel sends them); ``roundtrip`` also serializes and reads it back, as the bytes
    travel in grading (slower, and the same verdicts: the tests check that on a few seeds)."""
    import torch

    from autograder.checks import collect, judge
    from autograder.exercises import get_exercise
    from autograder_kernel.serialize import dumps, loads

    torch.set_num_threads(1)
    start = time.perf_counter()
    exercise = get_exercise(exercise_id)
    impls = implementations(exercise)
    suite = "visible" if seeds is None else "hidden"
    unexpected = []
    for seed in ([None] if seeds is None else seeds):
        cases = exercise.cases(suite, seed=seed)
        expected = None if exercise.criterion else [exercise.run(exercise.reference, c) for c in cases]
        for index, (kind, _, fn) in enumerate(impls):
            # An alternative runs on the whole suite at once; a mistake case by case, stopping at
            # the first case it fails (the suite's verdict is the same: it fails if any case does).
            if not cases:
                raise ValueError(f"{exercise_id}: the {suite} suite drawn from seed {seed} has no cases")
            groups = [range(len(cases))] if kind == "alternative" else [range(i, i + 1) for i in range(len(cases))]
            for group in groups:
                part = [cases[i] for i in group]
                record = collect(exercise_id, fn, suite=suite, cases=part, device="cpu")
                if roundtrip:
                    record = loads(dumps(record))
                verdict = judge(record, exercise_id=exercise_id, suite=suite, cases=part,
                                expected=None if expected is None else [expected[i] for i in group],
                                diagnose_mistakes=False, first_failure_only=True)
                if not verdict.passed:
                    break
            if verdict.passed != (kind == "alternative"):
                unexpected.append((index, seed, verdict.passed, (verdict.message or "")[:600]))
    return unexpected, time.perf_counter() - start


class UnknownExercise(ValueError):
    """An exercise id the registry does not know."""


class _InProcess(cf.Executor):
    """``workers=0``: run each job at once in this process (for exercises registered at run
    time, e.g. by a test, which spawned workers would not know)."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


def audit(exercise_ids: list[str] | None = None, *, n_seeds: int = DEFAULT_SEEDS, seeds: list[int] | None = None,
          fresh: bool = False, behavioural: bool = False, workers: int | None = None, progress=None) -> list[ExerciseAudit]:
    """Audit the chosen exercises (default: all); see the module docstring. ``seeds``: judge on
    exactly these secret seeds; ``workers``: processes (default: the CPU count; 0: this process)."""
    from autograder.alternatives import regression_seeds
    from autograder.exercises import all_exercises

    known = all_exercises()
    chosen = exercise_ids or sorted(known)
    unknown = [e for e in chosen if e not in known]
    if unknown:
        raise UnknownExercise(f"unknown exercise {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    base = secrets.token_hex(8) if fresh else "audit"
    workers = (os.cpu_count() or 1) if workers is None else workers
    results = []
    ctx = multiprocessing.get_context("spawn")
    with (_InProcess() if workers == 0 else cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)) as pool:
        plans = {}
        for exercise_id in chosen:
            exercise = known[exercise_id]
            if exercise.criterion and not behavioural:
                results.append(ExerciseAudit(exercise_id, 0, [], 0.0, skipped=(
                    "behavioural (an agent must learn; minutes per seed): measured by its own tool in "
                    "tools/, or run audit --behavioural")))
                continue
            chosen_seeds = list(seeds) if seeds else audit_seeds(n_seeds, base) + list(regression_seeds(exercise_id))
            chunk = max(1, len(chosen_seeds) // (4 * max(workers, 1)))
            futures = [pool.submit(_verdicts, exercise_id, None)]
            futures += [pool.submit(_verdicts, exercise_id, chosen_seeds[i:i + chunk])
                        for i in range(0, len(chosen_seeds), chunk)]
            plans[exercise_id] = (chosen_seeds, futures)
        try:
            _gather(plans, known, results, progress)
        except BaseException:   # a job raised (or Ctrl-C): drop the queued ones instead of running them
            pool.shutdown(wait=False, cancel_futures=True)
            raise
    order = {e: i for i, e in enumerate(chosen)}
    return sorted(results, key=lambda r: order[r.exercise])


def _gather(plans: dict, known: dict, results: list, progress) -> None:
    """Collect each exercise's jobs into its :class:`ExerciseAudit` (in plan order)."""
    for exercise_id, (chosen_seeds, futures) in plans.items():
        impls = implementations(known[exercise_id])
        findings = [Finding(exercise_id, name, kind, True, len(chosen_seeds)) for kind, name, _ in impls]
        seconds = 0.0
        for future in futures:
            unexpected, took = future.result()
            seconds += took
            for index, seed, _, message in unexpected:
                finding = findings[index]
                if seed is None:
                    finding.visible_ok = False
                else:
                    finding.unexpected_seeds.append(seed)
                finding.first_message = finding.first_message or message
        result = ExerciseAudit(exercise_id, len(chosen_seeds), findings, seconds)
        results.append(result)
        if progress:
            progress(result)


def format_line(result: ExerciseAudit) -> str:
    s = result.summary()
    if result.skipped:
        return f"{'SKIP':4}  {result.exercise:36}  {result.skipped}"
    worst = "-" if s["worst_catch_rate"] is None else f"{100 * s['worst_catch_rate']:.1f}%"
    return (f"{'ok' if result.ok else 'FAIL':4}  {result.exercise:36}  alternatives {s['alternatives_passed']}/"
            f"{s['alternatives']} pass  mistakes {s['mistakes_caught']}/{s['mistakes']} caught"
            f" (visible suite alone: {s['mistakes_caught_by_visible']})  worst catch rate {worst}"
            f"  [{s['secret_seeds']} secret seeds, {s['seconds']:.0f} s on one core]")


def format_problems(result: ExerciseAudit) -> list[str]:
    lines = []
    for f in result.findings:
        if f.ok and not (f.kind == "mistake" and f.unexpected_seeds):
            continue
        if f.kind == "alternative":
            where = ([] if f.visible_ok else ["the visible suite"]) + (
                [f"{len(f.unexpected_seeds)} of {f.seeds} secret seeds"] if f.unexpected_seeds else [])
            lines.append(f"      correct {f.implementation} FAILS on {' and '.join(where)}")
        else:
            lines.append(f"      mistake '{f.implementation}' {'passes' if not f.ok else 'passes only'} on "
                         f"{len(f.unexpected_seeds)} of {f.seeds} secret seeds (catch rate {100 * f.rate:.1f}%"
                         f"{'' if f.ok else f', below {100 * REQUIRED_CATCH_RATE:.1f}%'})")
        if f.unexpected_seeds:
            shown = ", ".join(str(s) for s in f.unexpected_seeds[:5])
            lines.append(f"        seeds: {shown}{' ...' if len(f.unexpected_seeds) > 5 else ''}"
                         f"   (rerun: python -m autograder audit {f.exercise} --seed {f.unexpected_seeds[0]})")
        if f.first_message:
            lines += ["        " + line for line in f.first_message.splitlines()[:8]]
    return lines


def main(args) -> int:
    seeds = args.seed or None
    started = time.perf_counter()

    def progress(result):
        print(format_line(result), flush=True)
        for line in format_problems(result):
            print(line, flush=True)

    if args.workers is not None and args.workers < 0:
        print(f"error: --workers must be 0 (this process) or more, got {args.workers}", file=sys.stderr)
        return 2
    try:
        results = audit(args.exercises or None, n_seeds=args.seeds, seeds=seeds, fresh=args.fresh,
                        behavioural=args.behavioural, workers=args.workers, progress=progress)
    except UnknownExercise as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for result in results:
        if result.skipped:
            print(format_line(result))
    bad = [r for r in results if not r.ok]
    audited = [r for r in results if not r.skipped]
    if args.json:
        with open(args.json, "w") as f:
            for r in results:
                row = r.summary()
                row["findings"] = [dict(asdict(x), rate=round(x.rate, 4), ok=x.ok) for x in r.findings]
                f.write(json.dumps(row) + "\n")
    n_alts = sum(len(r.of("alternative")) for r in audited)
    n_mistakes = sum(len(r.of("mistake")) for r in audited)
    print(f"\naudit: {len(audited)} exercise{'' if len(audited) == 1 else 's'}, {n_alts} correct implementations (references included) and "
          f"{n_mistakes} listed mistakes, {min((r.seeds for r in audited), default=0)} secret seeds or more each "
          f"({'fresh' if args.fresh else 'the fixed audit seeds'}), {time.perf_counter() - started:.0f} s: "
          + ("every alternative passes and every mistake is caught on at least "
             f"{100 * REQUIRED_CATCH_RATE:.1f}% of the seeds" if not bad else
             f"{len(bad)} exercise(s) FAIL: {', '.join(r.exercise for r in bad)}"))
    return 1 if bad else 0
