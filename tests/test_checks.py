"""The check framework (autograder/checks.py) and unit 0's exercise."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import autograder
from autograder import CheckFailed, case_inputs, check, collect, dumps, judge, loads
from autograder.exercises import all_exercises, get_exercise
from lecture_lib.data import images_to_vectors

EX = "unit0.images_to_vectors"
REPO = Path(__file__).resolve().parents[1]


def _flat(x):
    return x.reshape(x.shape[0], -1)


# Mistakes students make on unit 0's exercise (its misconceptions, autograder/misconceptions/unit0.py),
# plus two that are not misconceptions; every one must fail the hidden suite.
MISTAKES = {m.name: m.fn for m in get_exercise(EX).misconceptions}
MISTAKES["left as a stub"] = lambda x: (_ for _ in ()).throw(NotImplementedError())
MISTAKES["moves the result to the cpu"] = None  # see test_output_on_another_device_fails


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_reference_passes(suite, capsys):
    check(EX, images_to_vectors, suite=suite)
    assert "passed" in capsys.readouterr().out


@pytest.mark.parametrize("name", [k for k, v in MISTAKES.items() if v is not None and k != "left as a stub"])
def test_each_mistake_fails_with_a_clear_message(name):
    with pytest.raises(CheckFailed) as info:
        check(EX, MISTAKES[name], suite="hidden")
    msg = str(info.value)
    for part in ("problem:", "input:", "expected:", "got:", "to debug:"):
        assert part in msg, f"{part!r} missing from the message:\n{msg}"
    assert isinstance(info.value, AssertionError), "nbgrader counts AssertionErrors as failures"


def test_stub_message_tells_the_student_what_to_do():
    """A stub (NotImplementedError on every case) gets a short message: not written yet, and Run
    All stops here; a function that raises it on some cases only gets the full message."""
    stub = MISTAKES["left as a stub"]
    with pytest.raises(CheckFailed) as info:
        check(EX, stub)
    msg = str(info.value)
    assert "is not written yet" in msg and "Run All stops here, at the first unfinished exercise" in msg
    assert "expected:" not in msg and len(msg.splitlines()) == 2

    def partly(x):
        if len(x) > 2:
            raise NotImplementedError()
        return images_to_vectors(x)

    with pytest.raises(CheckFailed, match="replace the `raise NotImplementedError\\(\\)` line"):
        check(EX, partly, suite="hidden")


def test_jupyter_shows_the_message_without_the_checkers_frames(tmp_path):
    """In a real kernel, a failed check's error output is the message alone: no frames from
    autograder/ (IPython's _render_traceback_), so the problem line is on top, also in Validate."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from autograder import check\n"
        "def images_to_vectors(images):\n    return images.float()\n"
        f"check({EX!r}, images_to_vectors)")])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(REPO)}}).execute()
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "CheckFailed"
    assert error.traceback[0].startswith("CheckFailed: unit0.images_to_vectors: visible case 1")
    assert error.traceback[1].lstrip().startswith("problem:")
    assert not any("checks.py" in line or "File " in line for line in error.traceback)


def test_any_correct_implementation_passes():
    alternatives = get_exercise(EX).alternatives
    assert len(alternatives) >= 4
    for fn in alternatives:
        check(EX, fn, suite="hidden", quiet=True)


def test_a_function_that_changes_its_input_fails_and_is_told_so():
    """The contract (stated before the first exercise of every notebook) says inputs are left
    unchanged: a right output from a function that zeroes its input still fails, with a
    message naming the argument, in the visible message and in the hidden brief."""
    def vandal(images):
        out = images.reshape(len(images), -1).float() / 255
        images.zero_()
        return out

    with pytest.raises(CheckFailed, match=r"changed its input argument 1 in place|changed its input `images`"):
        check(EX, vandal, suite="hidden")
    verdict = judge(collect(EX, vandal, suite="hidden"))
    assert not verdict.passed and "in place" in verdict.brief()
    assert all(d is None or d == [] for d in verdict.diagnoses)  # no misconception claimed for it


def test_inputs_may_change_where_the_contract_allows_it():
    """``train_linear_ae`` may train U0 and V0 themselves (its text says so)."""
    from autograder.alternatives.unit1 import _adam_in_place

    assert not get_exercise("unit1.train_linear_ae").inputs_unchanged
    check("unit1.train_linear_ae", _adam_in_place, quiet=True)

    def only_v_in_place(X, U0, V0, steps, lr):   # a listed mistake, made on the arguments themselves
        V = V0.requires_grad_()
        opt = torch.optim.Adam([V], lr=lr)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = (X - X @ V.T @ U0.T).pow(2).sum(1).mean()
            losses.append(loss.item())
            loss.backward()
            opt.step()
        return U0, V.detach(), losses

    verdict = judge(collect("unit1.train_linear_ae", only_v_in_place))
    assert verdict.diagnoses[0] == ["only V trained (U never in the optimizer)"]


def test_a_record_with_a_malformed_changed_inputs_list_is_refused():
    record = collect(EX, images_to_vectors)
    record["cases"][0]["changed_inputs"] = "1"
    with pytest.raises(ValueError, match="changed_inputs"):
        judge(record)


def test_a_record_without_changed_inputs_is_judged_as_before():
    record = collect(EX, images_to_vectors)
    for case in record["cases"]:
        del case["changed_inputs"]
    assert judge(record).passed


def test_tensor_subclasses_are_compared_as_plain_tensors():
    check(EX, lambda x: torch.nn.Parameter(_flat(x).float() / 255, requires_grad=False), quiet=True)


def test_output_on_another_device_fails():
    record = collect(EX, images_to_vectors)
    record["device"] = "cuda:0"  # as if the inputs had been on a GPU and the output on the CPU
    verdict = judge(record)
    assert not verdict.passed and "the output is on cpu but the inputs were on cuda:0" in verdict.message


def test_record_round_trip_and_purity():
    record = collect(EX, images_to_vectors, suite="hidden")
    data = dumps(record)
    a, b = judge(loads(data)), judge(loads(data))
    assert a.passed and b.passed and a == b
    wrong = collect(EX, MISTAKES["divides by 256"], suite="hidden")
    assert judge(loads(dumps(wrong))).failures == judge(wrong).failures


def test_judging_in_another_process_gives_the_same_verdict(tmp_path):
    """The kernel side only collects; a separate interpreter judges the bytes it wrote."""
    for name, fn, passed in [("right", images_to_vectors, True), ("wrong", MISTAKES["float64"], False)]:
        path = tmp_path / f"{name}.rec"
        path.write_bytes(dumps(collect(EX, fn, suite="hidden")))
        code = ("import sys; from autograder import judge, loads; "
                "v = judge(loads(open(sys.argv[1], 'rb').read())); "
                "print('PASSED' if v.passed else 'FAILED'); print(v.message)")
        out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                             text=True, check=True).stdout
        assert out.startswith("PASSED" if passed else "FAILED")
        assert out.split("\n", 1)[1].strip() == judge(collect(EX, fn, suite="hidden")).message.strip()


def test_altered_inputs_are_not_credited():
    record = collect(EX, images_to_vectors)
    # A student who replaced the inputs by easy ones (and the outputs to match):
    record["cases"][0]["args"] = (torch.zeros(1, 28, 28, dtype=torch.uint8),)
    record["cases"][0]["output"] = torch.zeros(1, 784)
    verdict = judge(record)
    assert not verdict.passed and "altered" in verdict.message
    short = collect(EX, images_to_vectors)
    short["cases"] = short["cases"][:1]
    assert not judge(short).passed


def test_records_cannot_smuggle_code(capsys):
    from autograder_kernel.serialize import RecordError

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    with pytest.raises(RecordError, match="not a record file"):  # a bare pickle
        loads(pickle.dumps({"version": 1, "x": Evil()}))
    import io
    import zipfile

    smuggled = io.BytesIO()  # the same pickle inside the zip torch.load reads
    with zipfile.ZipFile(io.BytesIO(dumps({"version": 1}))) as zin, zipfile.ZipFile(smuggled, "w") as zout:
        for member in zin.infolist():
            data = pickle.dumps({"version": 1, "x": Evil()}) if member.filename.endswith("data.pkl") \
                else zin.read(member.filename)
            zout.writestr(member.filename, data)
    with pytest.raises(RecordError, match="not readable as plain data"):
        loads(smuggled.getvalue())
    assert "pwned" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="exceeds"):
        loads(b"x" * 100, max_bytes=10)
    with pytest.raises(ValueError, match="not a check record"):
        judge({"exercise": EX})


def test_unserializable_outputs_are_described():
    record = collect(EX, MISTAKES["returns numpy"])
    loads(dumps(record))  # still serializable
    assert "numpy.ndarray" in judge(record).message


def test_case_inputs_reproduce_the_failing_case():
    args, kwargs = case_inputs(EX, "hidden", 6)
    assert kwargs == {} and args[0].dtype == torch.uint8 and int(args[0].max()) == 0  # blank images
    with pytest.raises(IndexError):
        case_inputs(EX, "visible", 99)


def test_unknown_exercise_and_bad_arguments():
    with pytest.raises(KeyError, match="known: .*unit0.images_to_vectors"):
        check("unit9.nothing", images_to_vectors)
    with pytest.raises(TypeError, match="needs your function"):
        check(EX, "images_to_vectors")
    with pytest.raises(ValueError, match="suite"):
        check(EX, images_to_vectors, suite="secret")


@pytest.mark.parametrize("exercise_id", sorted(all_exercises()))
def test_every_exercise_is_deterministic_and_its_reference_passes(exercise_id):
    ex = get_exercise(exercise_id)
    for suite in ("visible", "hidden"):
        first, second = ex.cases(suite), ex.cases(suite)
        assert len(first) > 0
        assert all(autograder.checks._same(a.args, b.args) for a, b in zip(first, second))
        verdict = judge(loads(dumps(collect(exercise_id, ex.reference, suite=suite))))
        assert verdict.passed, verdict.message
    if ex.criterion is None:   # a behavioural check's hidden case trains on more seeds instead
        assert len(ex.cases("hidden")) > len(ex.cases("visible"))
        from exercise_catalog import SECRET_SEEDS, verdict_on_seed

        for seed in SECRET_SEEDS:   # grading draws the hidden suite from a fresh secret seed
            verdict = verdict_on_seed(exercise_id, ex.reference, seed)
            assert verdict.passed, f"secret seed {seed}: {verdict.message}"


def test_list_command(capsys):
    from autograder.__main__ import main

    assert main(["list"]) == 0
    assert EX in capsys.readouterr().out


class _Str(str):
    pass


class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no")


def _raise_unprintable(x):
    raise _Unprintable()


def _nested(depth):
    out = [1]
    for _ in range(depth):
        out = [out]
    return out


# Outputs a student's function can return that once crashed the judge; each must get a
# failing verdict with a message, in-process and after a serialization round trip.
ODD_OUTPUTS = {
    "complex": lambda x: _flat(x).to(torch.complex64) / 255,
    "uint16": lambda x: _flat(x).to(torch.uint16),
    "uint32": lambda x: _flat(x).to(torch.uint32),
    "float8": lambda x: (_flat(x).float() / 255).to(torch.float8_e4m3fn),
    "marker-like dict": lambda x: {"__error__": 1},
    "raised-like dict": lambda x: {"__raised__": 5},
    "unserializable-like dict": lambda x: {"__unserializable__": {"a": 1}},
    "huge int": lambda x: 10**5000,
    "str subclass": lambda x: _Str("hello"),
    "dict keyed by a str subclass": lambda x: {_Str("k"): 1},
    "quantized": lambda x: torch.quantize_per_tensor(_flat(x).float() / 255, 0.1, 0, torch.quint8),
    "nested": lambda x: torch.nested.nested_tensor([_flat(x).float()[0], _flat(x).float()[0][:5]]),
    "sparse": lambda x: (_flat(x).float() / 255).to_sparse(),
    "deep nesting": lambda x: _nested(30),
    "unprintable exception": _raise_unprintable,
    "a generator": lambda x: (i for i in range(3)),
}


@pytest.mark.parametrize("name", list(ODD_OUTPUTS))
def test_odd_outputs_get_a_verdict_not_a_crash(name):
    record = collect(EX, ODD_OUTPUTS[name])
    for rec in (record, loads(dumps(record))):
        verdict = judge(rec, exercise_id=EX, suite="visible")
        if name == "sparse":  # a sparse tensor with the right values is converted and passes
            assert verdict.passed
            continue
        assert not verdict.passed and "problem:" in verdict.message, verdict.message


@pytest.mark.parametrize("mutate,why", [
    (lambda r: r.pop("exercise"), "'exercise'"),
    (lambda r: r.update(cases=5), "'cases'"),
    (lambda r: r["cases"].__setitem__(0, "x"), "not a dict"),
    (lambda r: r["cases"][0].pop("output_devices"), "output_devices"),
    (lambda r: r["cases"][0].update(error={"type": 1}), "malformed error"),
    (lambda r: r["cases"][0].update(args=[1]), "args tuple"),
    (lambda r: r.update(exercise="unit9.nothing"), "unknown exercise"),
    (lambda r: r.update(suite="secret"), "suite"),
], ids=["no-exercise", "cases-int", "case-str", "no-devices", "bad-error", "args-list",
        "unknown-id", "unknown-suite"])
def test_malformed_records_are_rejected_clearly(mutate, why):
    record = collect(EX, images_to_vectors)
    mutate(record)
    with pytest.raises(ValueError, match="not a check record") as info:
        judge(record)
    assert why in str(info.value)


def test_the_grader_can_insist_on_the_exercise_and_suite():
    visible = collect(EX, images_to_vectors, suite="visible")
    assert judge(visible, exercise_id=EX, suite="visible").passed
    verdict = judge(visible, exercise_id=EX, suite="hidden")
    assert not verdict.passed and "the record is for" in verdict.message


def test_messages_agree_in_number_and_name_non_finite_values():
    from autograder.checks import hidden_problem
    from autograder.compare import compare_tensors

    expected = torch.tensor([0.5, 1.0, 2.0])
    plural = compare_tensors(expected, torch.tensor([0.5, 1.5, 2.0]), name="the angles")
    assert plural.startswith("the angles are wrong at index (1,)") and hidden_problem(plural) == "the angles have wrong values"
    singular = compare_tensors(expected, torch.zeros(2), name="the gradient w.r.t. logits")
    assert singular.startswith("the gradient w.r.t. logits has shape")
    assert compare_tensors(torch.tensor(1.0), torch.tensor(2.0), name="the loss").startswith("the loss is wrong")
    # NaN where a number is expected is named, never "largest difference 0".
    nan = compare_tensors(expected, torch.tensor([0.5, float("nan"), 2.0]), name="the KL")
    assert "1 non-finite value (NaN or infinity) of 3: first at index (1,), expected 1, got nan" in nan
    assert "largest difference" not in nan
    assert hidden_problem(nan) == "the KL contains NaN or infinite values"
    both = compare_tensors(expected, torch.tensor([9.0, float("inf"), 2.0]), name="the returns")
    assert "the returns contain 1 non-finite value" in both and "1 other value differs" in both


def test_a_float_where_a_differentiable_tensor_is_due_is_told_about_the_type():
    def gaussian_kl(mu, logvar):
        return float((-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)).mean().detach())

    with pytest.raises(CheckFailed) as info:
        check("unit2.gaussian_kl", gaussian_kl)
    msg = str(info.value)
    assert "your function returned a float, but it should return a torch.Tensor of shape (4,)" in msg
    assert "should be a tuple" not in msg and "gradient w.r.t." not in msg.split("contract:")[0]
    verdict = judge(collect("unit2.gaussian_kl", gaussian_kl, suite="hidden"))
    assert "your function returned a float, not a torch.Tensor" in verdict.brief()
