"""`make lab` serves the student notebooks; `make bench` prints one JSON object per line."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from cli_helpers import stop_process_group

from autograder.notebooks import tool_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_lab_serves_the_student_notebooks(repo, tmp_path):
    port, token = free_port(), "course-test-token"
    args = (f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
            f"--IdentityProvider.token={token}")
    env = tool_env(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    proc = subprocess.Popen(["make", "lab", f"LAB_ARGS={args}"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        deadline = time.time() + 90
        listing = None
        while time.time() < deadline and proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/api/contents/unit0_mnist?token={token}"
                with urllib.request.urlopen(url, timeout=5) as r:
                    listing = json.load(r)
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not answer:\n{proc.stdout.read() if proc.poll() is not None else ''}"
        assert "unit0_mnist.ipynb" in [item["name"] for item in listing["content"]]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as r:
            assert r.status == 200 and b"JupyterLab" in r.read()
        # nbgrader's student side works (exchange found: no "Error fetching courses!"), the
        # instructor's Formgrader is not served to students
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/courses?token={token}", timeout=10) as r:
            courses = json.load(r)
        assert courses["success"] is True, courses
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/formgrader?token={token}", timeout=10)
        assert info.value.code == 404
        # Students get fast mode (their kernels inherit the server's environment)
        server_envs = [_environ(pid) for pid in _group_members(proc.pid) if b"jupyter" in _cmdline(pid)]
        assert server_envs and all(env.get("COURSE_FAST") == "1" for env in server_envs), server_envs
    finally:
        stop_process_group(proc, timeout=20)


def _group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid:
                    members.append(int(entry))
            except OSError:
                pass
    return members


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def _environ(pid: int) -> dict:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    except OSError:
        return {}
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


def test_make_lab_full_switches_the_setting(repo):
    """`make lab FULL=1` starts the server with COURSE_FAST=0 (a dry run: the command make would run)."""
    for extra, value in ((), "1"), (("FULL=1",), "0"):
        proc = subprocess.run(["make", "-n", "lab", *extra], cwd=repo, capture_output=True, text=True, env=tool_env())
        assert proc.returncode == 0, proc.stderr
        [line] = [l for l in proc.stdout.replace("\\\n", " ").splitlines() if "jupyter lab" in l]
        assert f'JUPYTER_CONFIG_PATH="{repo}/course/student' in line
        assert line.startswith(f"cd notebooks && COURSE_FAST={value} "), line


def test_bench_prints_json_lines(repo):
    proc = subprocess.run([sys.executable, "benchmarks/run.py"], cwd=repo, capture_output=True,
                          text=True, env=tool_env(BENCH_QUICK="1"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    names = {line["name"] for line in lines}
    assert {"mnist_load", "matmul", "grading", "tabular"} <= names
    grading = next(line for line in lines if line["name"] == "grading")
    assert grading["ours_full_marks"] == grading["nbgrader_full_marks"] == grading["submissions"] // 2
    matmul = next(line for line in lines if line["name"] == "matmul")
    assert matmul["gflops"] > 0 and matmul["device"]
    tabular = next(line for line in lines if line["name"] == "tabular")
    assert abs(tabular["frozen_lake_v_star_start"]["0.99"] - 0.542) < 5e-4
    assert all("error" not in line for line in lines)
    generative = {line["name"]: line for line in lines}
    for name in ("made_binarized_mnist", "pixelcnn_binarized_mnist"):
        assert 0 < generative[name]["test_nll_nats"] < 784 * math.log(2) * 1.5
        assert generative[name]["bits_per_dim"] == pytest.approx(generative[name]["test_nll_nats"] / (784 * math.log(2)))
    assert generative["vae_binarized_mnist"]["iw_nll"] > 0 and generative["vae_binarized_mnist"]["test_neg_elbo"] > 0
    for name in ("real_test_images", "real_test_images_grey", "made_binarized_mnist", "pixelcnn_binarized_mnist",
                 "vae_binarized_mnist", "gan_mnist"):
        assert 1 <= generative[name]["classifier_score"] <= 10 and generative[name]["frechet"] >= 0
