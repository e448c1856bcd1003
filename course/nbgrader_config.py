"""nbgrader configuration of the course.

Run nbgrader from this folder (``cd course && nbgrader ...``) or through
``python -m autograder``. The instructor sources are ``solutions/<assignment>/*.ipynb`` at the
top of the repository, the student versions nbgrader generates go to
``notebooks/<assignment>/``, and everything nbgrader keeps about students (gradebook.db,
submitted/, autograded/, feedback/) stays in this folder and is gitignored.
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "genpg"
c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = os.path.join("..", "solutions")
c.CourseDirectory.release_directory = os.path.join("..", "notebooks")
# The gradebook: SQLite in this folder, or a shared database for a class graded from several
# machines (COURSE_DB_URL=postgresql://USER:PASSWORD@HOST:PORT/DATABASE; `python -m autograder`
# reads the same variable, or takes --db-url).
c.CourseDirectory.db_url = os.environ.get("COURSE_DB_URL") or "sqlite:///" + os.path.join(HERE, "gradebook.db")

# The exchange: where `nbgrader release_assignment` puts assignments for students to fetch, where
# their submissions wait to be collected and their feedback to be fetched. One machine: the
# course's own folder (made by the set-up); a JupyterHub: a folder every user can reach, e.g.
# COURSE_EXCHANGE=/srv/nbgrader/exchange for the set-up, the instructor and the students' servers.
c.Exchange.root = os.environ.get("COURSE_EXCHANGE") or os.path.join(HERE, "exchange")

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading runs notebooks in fast mode (unless COURSE_FAST is set otherwise) with a per-cell
# limit; a loop that swallows the interrupt must not fail the whole submission.
os.environ.setdefault("COURSE_FAST", "1")
# nbgrader's Execute redeclares `timeout` (default 30 s), so the parent class's setting does
# not reach it: set both. A behavioural check (unit 4 trains CartPole) needs about a minute.
c.ExecutePreprocessor.timeout = 600
c.Execute.timeout = 600
c.Execute.raise_on_iopub_timeout = False
c.OverwriteCells.add_missing_cells = True
