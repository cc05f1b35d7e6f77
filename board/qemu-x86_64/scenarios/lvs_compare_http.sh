#!/bin/sh
# HTTP_GET under keepalived-rs and Debian's keepalived 2.2.7, the same steps one daemon after
# the other; the `ipvsadm -Ln` tables must be equal at each step (lvs_compare in lib.sh).
# Real servers are busybox httpds in namespaces rs1 and rs2, a wrr NAT service 10.0.0.1:80
# with weights 3 and 1: rs1's checker wants `/x` with status 200, rs2's `/y` with an MD5
# digest (md5sum of the file, which both daemons' --genhash must agree with). Steps: both up,
# and traffic from namespace cl split about 3:1; /x removed (404) and back; rs2's httpd
# stopped and started; /y changed (digest mismatch) and back; SIGTERM.
# shellcheck source=SCRIPTDIR/../lib.sh
. /vm/lib.sh

rs_ns rs1 10.0.1.2
rs_ns rs2 10.0.2.2
echo x >/tmp/www-rs1/x
echo payload-y >/tmp/www-rs2/y
digest=$(md5sum </tmp/www-rs2/y | cut -d' ' -f1)
rs_up rs1
rs_up rs2
# The digest as genhash computes it over HTTP: ours and keepalived's agree with md5sum.
for gh in keepalived-rs keepalived; do
	gh_digest=$($gh --genhash -s 10.0.2.2 -p 80 -u /y 2>&1 | tail -1)
	[ "$gh_digest" = "$digest" ] || fail "$gh --genhash: '$gh_digest', md5sum: $digest"
done
ok "keepalived-rs --genhash and keepalived --genhash: $digest, as md5sum"
client cl 10.0.9.2/24 10.0.9.1/24
ip addr add 10.0.0.1/32 dev lo

cat >/tmp/lvs.conf <<CONF
global_defs {
    router_id vm
}
virtual_server 10.0.0.1 80 {
    delay_loop 1
    lb_algo wrr
    lb_kind NAT
    protocol TCP
    real_server 10.0.1.2 80 {
        weight 3
        HTTP_GET {
            url {
                path /x
                status_code 200
            }
            connect_timeout 1
            retry 0
            delay_before_retry 1
        }
    }
    real_server 10.0.2.2 80 {
        weight 1
        HTTP_GET {
            url {
                path /y
                digest $digest
            }
            connect_timeout 1
            retry 0
            delay_before_retry 1
        }
    }
}
CONF

rs1='^TCP  10\.0\.0\.1:80 wrr	  -> 10\.0\.1\.2:80 Masq 3$'
rs2='^TCP  10\.0\.0\.1:80 wrr	  -> 10\.0\.2\.2:80 Masq 1$'
both() { table_has "$rs1" && table_has "$rs2"; }
# The split of 40 requests through the VIP: wrr 3:1 gives 30 and 10 (at least 26 and 6 asked).
split() {
	traffic cl 10.0.0.1 80 40 >"/tmp/$LVS_RUN.split"
	echo "$LVS_RUN: 40 requests through 10.0.0.1:80: $(tr '\n' ' ' <"/tmp/$LVS_RUN.split")"
	awk '$1 == "rs1" { a = $2 } $1 == "rs2" { b = $2 } END { exit !(a >= 26 && b >= 6 && a + b == 40) }' \
		"/tmp/$LVS_RUN.split" || echo "split: 40 requests: $(tr '\n' ' ' <"/tmp/$LVS_RUN.split")" >>"/tmp/$LVS_RUN.timeouts"
}

steps() {
	lvs_step up "both real servers" both
	split
	rm /tmp/www-rs1/x
	lvs_step x-404 "rs1 removed (404)" table_lacks "$rs1"
	echo x >/tmp/www-rs1/x
	lvs_step x-back "rs1 back" table_has "$rs1"
	rs_down rs2
	lvs_step rs2-stopped "rs2 removed" table_lacks "$rs2"
	rs_up rs2
	lvs_step rs2-started "rs2 back" table_has "$rs2"
	echo payload-changed >/tmp/www-rs2/y
	lvs_step y-digest "rs2 removed (digest)" table_lacks "$rs2"
	echo payload-y >/tmp/www-rs2/y
	lvs_step y-back "rs2 back" both
}

lvs_run keepalived ka steps
lvs_run keepalived-rs ours steps
lvs_compare ka ours
ok "HTTP_GET: the same tables as keepalived at every step; traffic split $(tr '\n' ' ' </tmp/ours.split)"
echo PASS
