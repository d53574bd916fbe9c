"""The engine: datasets, models, training runs and metrics. No Streamlit here, and importing it
leaves the process as it was (the dashboard tunes it explicitly: core.training.process)."""
