#!/bin/sh
# MISC_CHECK helper: exit 0 if the real server given as $1 answers.
exec nc -z -w 2 "$1" "${2:-80}"
