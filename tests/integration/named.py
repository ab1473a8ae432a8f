#!/usr/bin/env python3
"""Run a Python script under another process name, the one --comm compares.

  named.py NAME SCRIPT ARGS...

prctl(PR_SET_NAME) renames the calling thread (the kernel keeps 15 characters);
threads started afterwards inherit the name. `exec -a` would not do: it changes
argv[0], not the kernel's comm.
"""
import ctypes
import runpy
import sys

PR_SET_NAME = 15

if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_NAME, sys.argv[1].encode(), 0, 0, 0):
    sys.exit(f"prctl(PR_SET_NAME): errno {ctypes.get_errno()}")
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
