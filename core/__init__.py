"""The engine: datasets, models, training and metrics. No Streamlit below here."""

import os

# numpy's OpenBLAS keeps its threads spinning for a while after each matrix product or
# eigendecomposition, and they take the cores from torch's training threads (measured: GAN
# steps 7% slower after every sample-quality check, whose Fréchet distance runs in numpy).
# The linear algebra left to numpy and scipy here is small; one thread does it. The variable
# reaches the OpenBLAS copies loaded from now on (scipy brings its own), the limit below the
# one numpy has loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy  # noqa: E402, F401  (loads numpy's OpenBLAS, so that the limit reaches it)
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(limits=1, user_api="blas")
