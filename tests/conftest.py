import numpy as np
import pytest
import torch

import autograd as ag

# The parity tests make many tiny torch calls; one thread avoids its pool's overhead.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    """Every test starts from the same random state."""
    ag.manual_seed(0)
    np.random.seed(0)
