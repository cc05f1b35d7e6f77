#!/bin/sh
# Succeeds while something answers on port 80.
exec nc -z 127.0.0.1 80
