import pytest

from intranet.complaints.lifecycle import State
from tests import factories


@pytest.mark.parametrize("state", list(State))
def test_factories_reach_every_state(world, state):
    complaint = factories.make_complaint(world, state)
    assert complaint.state == state
