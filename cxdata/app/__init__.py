"""The Streamlit layer: cached connection and queries, sidebar filters, server warm-up."""
