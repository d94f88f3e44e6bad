"""Reading data into Datasets and writing result files (pandas and pyarrow live here)."""
