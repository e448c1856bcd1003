"""Known mistakes per exercise (see :class:`autograder.registry.Misconception`)."""
