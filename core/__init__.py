"""The engine: datasets, models, training and metrics. No Streamlit below here."""
