import warnings

# great-expectations imports pyspark when it is installed (the `spark` extra), and pyspark warns on
# every import that it does not yet support pandas 3. bank360 never hands pyspark a pandas frame: the
# Spark engine runs in dbt's process and is read back as Parquet (spark_tables.py).
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
