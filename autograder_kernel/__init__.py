"""The kernel-side half of the course's checks: all of the check framework that exists
inside the grading sandbox.

It holds no exercise, no reference and no judging: :mod:`autograder_kernel.collect` calls a
student's function on inputs the grader drew and records what came back;
:mod:`autograder_kernel.serialize` turns records into plain bytes and back (within bounds);
:mod:`autograder_kernel.runners` says how a function is called on a case;
:mod:`autograder_kernel.launch` starts the sandboxed kernel (private work folder, no
privileges). The instructor side (:mod:`autograder`) imports from here, never the reverse.
"""
