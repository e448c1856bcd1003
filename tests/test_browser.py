"""The student's and instructor's journey in a real browser: JupyterLab (started here on
127.0.0.1 with ``make lab``'s student configuration) in the system Chromium, driven by Playwright.

A student opens unit 0, runs the stub (Run All stops at the exercise, with the short message),
types a solution, sees the check pass, presses Validate and sees success, and submits from the
Assignment List; the instructor collects and grades that submission with the CLI, releases
feedback, and the student fetches it and sees the score. A second test runs unit 2 and moves
its slider, which redraws the figure. Each test starts and stops its own server."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from cli_helpers import stop_process_group

from autograder.notebooks import COURSE, RELEASE, SOLUTIONS, tool_env

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.slow

SOLUTION = ('def images_to_vectors(images: torch.Tensor) -> torch.Tensor:\n'
            '    """uint8 images (N, 28, 28) -> float32 vectors (N, 784), pixel / 255."""\n'
            '    return images.reshape(len(images), -1).float() / 255')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def lab_server(root: Path, tmp: Path, exchange: Path):
    """JupyterLab on 127.0.0.1 as ``make lab`` starts it for students (course/student config,
    fast mode), on ``root``; stopped (with its kernels) on exit."""
    port, token = _free_port(), "browser-test"
    env = tool_env(JUPYTER_CONFIG_PATH=str(COURSE / "student"), COURSE_EXCHANGE=str(exchange), COURSE_FAST="1",
                   COURSE_PROGRESS="0", JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
                   JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_DATA_DIR=str(tmp / "data"))
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
                             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={root}"],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, (tmp / "server.log").read_text()[-3000:]
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}", token
    finally:
        stop_process_group(proc)
        log.close()


@contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            yield page
        finally:
            browser.close()


def open_notebook(page, base: str, token: str, path: str) -> None:
    page.goto(f"{base}/lab/tree/{path}?token={token}&reset")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    # Run All before the kernel is connected silently does nothing: wait for an idle kernel
    page.wait_for_selector(".jp-NotebookPanel-toolbar .jp-Toolbar-kernelStatus, .jp-Notebook-ExecutionIndicator"
                           "[data-status='idle']", state="attached")
    page.wait_for_function("document.querySelector('.jp-Notebook-ExecutionIndicator') === null || "
                           "document.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status === 'idle'")
    time.sleep(1.0)


def run_all(page) -> None:
    page.click(".lm-MenuBar-item:has-text('Run')")
    page.click(".lm-Menu-item[data-command='runmenu:run-all']")


def cell(page, text: str):
    return page.locator(".jp-NotebookPanel .jp-Cell", has_text=text).first


def _nbgrader(*args: str, cwd: Path, exchange: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd, capture_output=True, text=True,
                          env=tool_env(COURSE_EXCHANGE=str(exchange), COURSE_FAST="1", COURSE_PROGRESS="0"),
                          timeout=600)
    assert proc.returncode == 0, f"nbgrader {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def test_student_journey_in_the_browser(tmp_path):
    exchange, course, home = tmp_path / "exchange", tmp_path / "course", tmp_path / "home"
    for folder in (exchange, course, home):
        folder.mkdir()
    teacher = [f"--NbGrader.config_file={COURSE / 'nbgrader_config.py'}", f"--CourseDirectory.root={course}",
               f"--CourseDirectory.source_directory={SOLUTIONS}", f"--CourseDirectory.release_directory={RELEASE}",
               f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    _nbgrader("release_assignment", "unit0_mnist", *teacher, cwd=course, exchange=exchange)
    shutil.copytree(RELEASE / "unit0_mnist", home / "unit0_mnist")   # what Fetch puts there

    with lab_server(home, tmp_path, exchange) as (base, token), browser_page() as page:
        open_notebook(page, base, token, "unit0_mnist/unit0_mnist.ipynb")
        # the first cell says which setting is on; Run All stops at the unfinished exercise, saying so
        run_all(page)
        check = cell(page, 'check("unit0.images_to_vectors"')
        error = check.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        error.wait_for()
        text = error.text_content()
        assert "is not written yet" in text and "Run All stops here" in text and "Traceback" not in text
        assert "setting:   fast" in cell(page, "show_setting(").text_content()

        # type a solution, run it and its check
        editor = cell(page, "raise NotImplementedError()").locator(".cm-content")
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(SOLUTION)
        page.keyboard.press("Shift+Enter")
        page.keyboard.press("Shift+Enter")
        check.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stdout']",
                      has_text="passed: unit0.images_to_vectors").wait_for()
        page.keyboard.press("Control+s")
        time.sleep(1.0)

        # Validate: nbgrader runs the whole notebook and reports success
        page.locator(".jp-NotebookPanel-toolbar [title='Validate Assignment']").first.click()
        dialog = page.locator(".jp-Dialog")
        dialog.wait_for()
        page.wait_for_function("document.querySelector('.jp-Dialog').textContent.includes('Success')",
                               timeout=300_000)
        page.click(".jp-Dialog button:has-text('OK')")

        # Submit from the Assignment List
        page.click(".lm-MenuBar-item:has-text('Nbgrader')")
        page.click(".lm-Menu-item:has-text('Assignment List')")
        page.locator("button:has-text('Submit')").first.click()
        page.locator("#submitted_assignments_list", has_text="unit0_mnist").wait_for()

        # the instructor collects, grades with the CLI, writes and releases feedback
        _nbgrader("collect", "unit0_mnist", *teacher, cwd=course, exchange=exchange)
        out = tmp_path / "grades.csv"
        proc = subprocess.run([sys.executable, "-m", "autograder", "grade", "unit0_mnist", "--submissions",
                               str(course), "--csv", str(out), "--course", str(course), "--workers", "1"],
                              cwd=COURSE.parent, capture_output=True, text=True, env=tool_env(), timeout=600)
        assert proc.returncode == 0, proc.stderr
        assert out.read_text().splitlines()[1].startswith(f"{getpass.getuser()},unit0_mnist,2,2,graded")
        subprocess.run([sys.executable, "-m", "autograder", "feedback", "unit0_mnist", "--course", str(course)],
                       cwd=COURSE.parent, check=True, capture_output=True, env=tool_env(), timeout=600)
        _nbgrader("release_feedback", "unit0_mnist", *teacher, cwd=course, exchange=exchange)

        # the student fetches the feedback from the Assignment List and reads the score
        page.reload()
        page.click(".lm-MenuBar-item:has-text('Nbgrader')")
        page.click(".lm-Menu-item:has-text('Assignment List')")
        page.locator("button:has-text('Fetch Feedback')").first.click()
        deadline = time.time() + 60
        while not list((home / "unit0_mnist" / "feedback").glob("*/unit0_mnist.html")):
            assert time.time() < deadline, "no feedback arrived"
            time.sleep(0.5)
        [page_path] = (home / "unit0_mnist" / "feedback").glob("*/unit0_mnist.html")
        page.goto(f"{base}/files/{page_path.relative_to(home)}?token={token}")
        assert "Autograder feedback: 2 / 2 points" in page.text_content("body")


def test_unit2_slider_redraws_its_figure(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(SOLUTIONS / "unit2_vae", home / "unit2_vae")   # a student who has done unit 2
    with lab_server(home, tmp_path, tmp_path) as (base, token), browser_page() as page:
        open_notebook(page, base, token, "unit2_vae/unit2_vae.ipynb")
        run_all(page)
        slider = page.locator(".jupyter-widgets.widget-slider").first
        slider.wait_for(timeout=600_000)
        widget_cell = page.locator(".jp-NotebookPanel .jp-Cell", has=slider).first
        image = widget_cell.locator(".jp-OutputArea-output[data-mime-type='image/png'] img").first
        image.wait_for()
        # the slider's callback runs in the kernel: wait until Run All has finished the later cells
        page.wait_for_function("document.querySelector('.jp-Notebook-ExecutionIndicator') && "
                               "document.querySelector('.jp-Notebook-ExecutionIndicator').dataset.status === 'idle'",
                               timeout=900_000)
        before = image.get_attribute("src")
        readout = slider.locator(".widget-readout").text_content()
        handle = slider.locator(".noUi-handle")   # dragged with the mouse, as a student would
        handle.hover()
        box = handle.bounding_box()
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2, steps=6)
        page.mouse.up()
        deadline = time.time() + 120
        while slider.locator(".widget-readout").text_content() == readout or image.get_attribute("src") == before:
            assert time.time() < deadline, (readout, slider.locator(".widget-readout").text_content())
            time.sleep(0.5)
