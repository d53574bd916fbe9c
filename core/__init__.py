"""The engine: datasets, models, training and metrics. No Streamlit below here."""

import numpy  # noqa: F401  (loads numpy's OpenBLAS, so that the limit below reaches it)
from threadpoolctl import threadpool_limits

# numpy's OpenBLAS keeps its threads spinning for a while after each matrix product or
# eigendecomposition, and they take the cores from torch's training threads (measured: GAN
# steps 7% slower after every sample-quality check, whose Fréchet distance runs in numpy).
# The linear algebra left to numpy here is small; one thread does it.
threadpool_limits(limits=1, user_api="blas")
