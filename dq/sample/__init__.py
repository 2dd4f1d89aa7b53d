"""The sample city (辽阳-like municipal pension database) with injected defects and a ground-truth manifest.

    city = build_city(persons=1000, seed=1, period="202410")
    write_city(city, "duckdb:///city.duckdb")
    city.write_manifest("manifest.json")
"""
from dq.sample.city import City, build_city
from dq.sample.load import write_city
from dq.sample.reference import PARAMS_FILE

__all__ = ["City", "build_city", "write_city", "PARAMS_FILE"]
