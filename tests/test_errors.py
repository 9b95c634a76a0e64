import pytest

from coverage_map.errors import MESSAGE_ITEMS, CoverageMapError, DistrictMatchError, InputError, SourceError
from coverage_map.formatting import listing


def test_every_user_error_is_a_coverage_map_error():
    for error in (InputError, DistrictMatchError, SourceError):
        assert issubclass(error, CoverageMapError)
    with pytest.raises(ValueError):  # an input error is also a ValueError for library callers
        raise DistrictMatchError("no such district")


def test_long_lists_in_messages_are_cut():
    names = [f"d{i}" for i in range(MESSAGE_ITEMS + 3)]
    assert listing(names, limit=MESSAGE_ITEMS).endswith("d7 and 3 more")
