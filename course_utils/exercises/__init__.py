"""Exercise checkers, one module per notebook (``nb01``, ``nb02``, ...).

In a notebook: ``from course_utils.exercises import nb01`` then ``nb01.check_1(answer)``.
Reference solutions: ``course_utils.checks.show_solution('01.1')``.
"""
