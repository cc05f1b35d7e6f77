#!/bin/sh
# Appends the state keepalived reports to a file.
echo "$(date +%s) $*" >> /tmp/keepalived-notify.log
