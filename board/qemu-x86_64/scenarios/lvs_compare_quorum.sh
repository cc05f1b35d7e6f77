#!/bin/sh
# quorum with a sorry_server, and inhibit_on_failure, under keepalived-rs and Debian's
# keepalived 2.2.7, the same steps one daemon after the other; the `ipvsadm -Ln` tables must
# be equal at each step (lvs_compare in lib.sh). TCP_CHECK against busybox httpds in namespaces
# rs1 and rs2, both in two services:
#   10.0.0.2:80, quorum 2 (weights 1 and 1), sorry_server 10.0.3.2:80;
#   10.0.0.3:80, inhibit_on_failure (weights 2 and 1).
# Steps: both up; rs1 stopped (quorum lost: only the sorry server; rs1 at weight 0); rs2 stopped
# too (still the sorry server; both at weight 0); rs2 started (weight 1 is below the quorum:
# still the sorry server); rs1 started (quorum back: real servers, no sorry server); SIGTERM.
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
virtual_server 10.0.0.2 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    quorum 2
    sorry_server 10.0.3.2 80
    real_server 10.0.1.2 80 {
        weight 1
        $check
    }
    real_server 10.0.2.2 80 {
        weight 1
        $check
    }
}
virtual_server 10.0.0.3 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    inhibit_on_failure
    real_server 10.0.1.2 80 {
        weight 2
        $check
    }
    real_server 10.0.2.2 80 {
        weight 1
        $check
    }
}
CONF

q='^TCP  10\.0\.0\.2:80 rr	  -> '
i='^TCP  10\.0\.0\.3:80 wrr	  -> '
up() { table_has "${q}10\.0\.1\.2:80 Masq 1$" && table_has "${q}10\.0\.2\.2:80 Masq 1$"; }
sorry_only() {
	table_has "${q}10\.0\.3\.2:80 Masq 1$" && table_lacks "${q}10\.0\.1\.2:" && table_lacks "${q}10\.0\.2\.2:"
}
no_sorry() { table_lacks "${q}10\.0\.3\.2:"; }
inhibited() { table_has "${i}10\.0\.1\.2:80 Masq $1$" && table_has "${i}10\.0\.2\.2:80 Masq $2$"; }

steps() {
	lvs_step up "both real servers in both services" eval 'up && inhibited 2 1'
	rs_down rs1
	lvs_step rs1-stopped "quorum lost: the sorry server alone; rs1 at weight 0" \
		eval 'sorry_only && inhibited 0 1'
	rs_down rs2
	lvs_step rs2-stopped "the sorry server alone; both at weight 0" eval 'sorry_only && inhibited 0 0'
	rs_up rs2
	lvs_step rs2-started "below the quorum: the sorry server alone; rs2 at weight 1" \
		eval 'sorry_only && inhibited 0 1'
	rs_up rs1
	lvs_step rs1-started "quorum back: no sorry server" eval 'up && no_sorry && inhibited 2 1'
}

lvs_run keepalived ka steps
lvs_run keepalived-rs ours steps
lvs_compare ka ours
echo PASS
