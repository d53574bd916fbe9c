"""The dashboard's pages (run by Streamlit from pages/navigation.py) and what they share."""
