"""nbgrader settings for students (``make lab`` puts this folder on ``JUPYTER_CONFIG_PATH``).

Only what the Assignment List needs: the course and its exchange (the same folder as the
instructor's ``course/nbgrader_config.py``: ``COURSE_EXCHANGE``, else ``course/exchange``).
The instructor's tools (Formgrader, Course List, Create Assignment) are switched off beside
this file (``jupyter_server_config.json``, ``labconfig/page_config.json``).
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

COURSE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

c.CourseDirectory.course_id = "genpg"
c.Exchange.root = os.environ.get("COURSE_EXCHANGE") or os.path.join(COURSE, "exchange")
