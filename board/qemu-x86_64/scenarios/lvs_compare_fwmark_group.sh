#!/bin/sh
# A fwmark virtual server and a virtual_server_group (an address, a range of three and a
# fwmark) under TCP_CHECK, keepalived-rs and Debian's keepalived 2.2.7, the same steps one
# daemon after the other; the `ipvsadm -Ln` tables must be equal at each step (lvs_compare in
# lib.sh). Real servers: busybox httpds in namespaces rs1 and rs2, in every service.
# Steps: both up (6 services); rs1 stopped (gone from all of them) and started; rs2 stopped
# and started; SIGTERM.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

rs_ns rs1 10.0.1.2
rs_ns rs2 10.0.2.2
rs_up rs1
rs_up rs2

check='TCP_CHECK {
            connect_timeout 1
            retry 0
        }'
cat >/tmp/lvs.conf <<CONF
global_defs {
    router_id vm
}
virtual_server_group G {
    10.0.4.1 80
    10.0.4.10-12 80
    fwmark 7
}
virtual_server fwmark 1 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    real_server 10.0.1.2 80 {
        weight 2
        $check
    }
    real_server 10.0.2.2 80 {
        weight 1
        $check
    }
}
virtual_server group G {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 3
        $check
    }
    real_server 10.0.2.2 80 {
        weight 1
        $check
    }
}
CONF

# count PATTERN: the lines of ipvs_table matching PATTERN.
count() { ipvs_table | grep -Ec -- "$1"; }
# in_all ADDR N: ADDR:80 is a real server of N services.
in_all() { [ "$(count "-> ${1}:80 Masq")" -eq "$2" ]; }
all_up() {
	[ "$(count '^(FWM  1 rr|FWM  7 wrr|TCP  10\.0\.4\.(1|10|11|12):80 wrr)$')" -eq 6 ] &&
		in_all 10.0.1.2 6 && in_all 10.0.2.2 6
}

steps() {
	lvs_step up "6 services, both real servers in each" all_up
	rs_down rs1
	lvs_step rs1-stopped "rs1 gone from every service" eval 'in_all 10.0.1.2 0 && in_all 10.0.2.2 6'
	rs_up rs1
	lvs_step rs1-started "rs1 back in every service" eval 'in_all 10.0.1.2 6'
	rs_down rs2
	lvs_step rs2-stopped "rs2 gone from every service" eval 'in_all 10.0.2.2 0 && in_all 10.0.1.2 6'
	rs_up rs2
	lvs_step rs2-started "rs2 back in every service" eval 'in_all 10.0.2.2 6'
}

lvs_run keepalived ka steps
lvs_run keepalived-rs ours steps
lvs_compare ka ours
echo PASS
