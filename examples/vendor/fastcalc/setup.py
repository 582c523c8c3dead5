# The C extension has to be declared here: pyproject.toml alone cannot describe ext_modules
# with the setuptools that Debian bookworm ships (66.x).
from setuptools import Extension, setup

setup(ext_modules=[Extension("fastcalc", sources=["src/fastcalc.c"], libraries=["m"])])
