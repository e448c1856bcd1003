"""Set-up: pinned dependencies, environment.yml in sync, the CPU torch, the make targets."""

from __future__ import annotations

import importlib.metadata as md
import os
import re
import shutil
import subprocess

import pytest
import yaml

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([A-Za-z0-9_.+\-]+)$")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pins(lines) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = PIN.match(line)
        assert m, f"not an exact pin: {line!r}"
        pins[norm(m.group(1))] = m.group(2)
    return pins


@pytest.fixture(scope="module")
def requirements(repo):
    return parse_pins((repo / "requirements.txt").read_text().splitlines())


def test_requirements_are_exact_pins_with_the_cpu_torch(requirements):
    assert requirements["torch"] == "2.13.0"
    for name in ("numpy", "matplotlib", "jupyterlab", "notebook", "nbgrader", "ipywidgets",
                 "gymnasium", "ale-py", "tqdm", "scikit-learn", "pytest"):
        assert name in requirements, f"{name} is not pinned in requirements.txt"
    assert requirements["nbgrader"].startswith("0.9.")
    assert requirements["jupyterlab"].startswith("4.")
    assert requirements["notebook"].startswith("7.")
    assert requirements["ipywidgets"].startswith("8.")
    assert requirements["gymnasium"].startswith("1.")
    assert "torchvision" not in requirements


def test_environment_yml_lists_the_same_pins(repo, requirements):
    env = yaml.safe_load((repo / "environment.yml").read_text())
    deps = env["dependencies"]
    pip_sections = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    conda = [d for d in deps if isinstance(d, str)]
    assert any(d.startswith("python=3.11") for d in conda)
    assert parse_pins(pip_sections[0]) == requirements, \
        "environment.yml and requirements.txt have drifted apart"


def test_lock_agrees_with_requirements(repo, requirements):
    lock = parse_pins((repo / "requirements-lock.txt").read_text().splitlines())
    for name, version in requirements.items():
        assert lock.get(name) == version, f"{name}: requirements {version}, lock {lock.get(name)}"
    assert lock["torch"] == "2.13.0", "the lock must not carry a local label such as +cpu"
    assert not any(n.startswith("nvidia-") for n in lock), "CUDA packages in the lock"


def test_installed_versions_match_the_pins(requirements):
    for name, version in requirements.items():
        installed = md.version(name)
        assert installed.split("+")[0] == version, f"{name} {installed} installed, {version} pinned"


def test_no_cuda_build_or_torchvision_on_a_machine_without_gpu():
    import torch

    with pytest.raises(md.PackageNotFoundError):
        md.version("torchvision")
    if shutil.which("nvidia-smi") is None:
        assert torch.version.cuda is None, f"a CUDA build of torch ({torch.__version__}) on a CPU machine"
        assert not [d for d in md.distributions() if (d.metadata["Name"] or "").startswith("nvidia-")]


def test_make_targets_exist_and_setup_is_not_redone(repo):
    makefile = (repo / "Makefile").read_text()
    for target in ("setup", "data", "course", "test", "bench", "lab", "release"):
        assert re.search(rf"^{target}:", makefile, re.M), f"no make target {target}"
    # The venv is up to date: `make -q setup` says so without running anything.
    proc = subprocess.run(["make", "-q", "setup"], cwd=repo, capture_output=True, text=True)
    assert proc.returncode == 0, "make setup would reinstall: " + proc.stdout + proc.stderr


def test_make_lab_adds_allow_root_only_for_root(repo):
    out = subprocess.run(["make", "-n", "lab"], cwd=repo, capture_output=True, text=True).stdout
    lab_line = [l for l in out.replace("\\\n", " ").splitlines() if "jupyter lab" in l][0]
    assert lab_line.startswith("cd notebooks && ") and "--notebook-dir=." in lab_line
    assert ("--allow-root" in lab_line) == (os.geteuid() == 0)


def test_readme_quick_start_and_ci(repo):
    readme = (repo / "README.md").read_text()
    assert "make course" in readme and "make test" in readme
    ci = (repo / ".ci" / "run").read_text()
    assert "make test" in ci
    assert os.access(repo / ".ci" / "run", os.X_OK)


def test_relative_course_data_means_relative_to_the_repository(repo, mnist_cache):
    """Kernels run in other folders; make turns a relative COURSE_DATA into an absolute one."""
    folder = repo / "build" / "test-relative-data"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy(mnist_cache, folder / mnist_cache.name)
        env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA"}
        out = subprocess.run(["make", "-s", "data", "COURSE_DATA=build/test-relative-data"], cwd=repo,
                             capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        assert f"MNIST ready: {folder / mnist_cache.name}" in out.stdout
    finally:
        shutil.rmtree(folder)
