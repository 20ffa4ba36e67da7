"""coopconc.exercises.check: the one entry point of every exercise cell."""

import pytest

from coopconc.exercises import check


def test_unknown_ids_are_refused_with_the_expected_form():
    with pytest.raises(ValueError, match="look like '09.1'"):
        check("nine", None)
    with pytest.raises(ValueError, match="no such exercise"):
        check("99.1", None)
