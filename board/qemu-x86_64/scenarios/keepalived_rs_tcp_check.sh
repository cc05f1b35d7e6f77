#!/bin/sh
# keepalived-rs (-C, checkers only) keeps a real server in IPVS by TCP_CHECK: see tcp_check_life
# in lib.sh; the same steps for keepalived and keepalived-rs.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

tcp_check_life keepalived-rs
echo PASS
