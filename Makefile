# keepalived-rs: build, test, benchmark. Targets install what they need (apt-get, rustup).
SHELL := /bin/bash
CARGO ?= cargo
TARGET ?= x86_64-unknown-linux-musl
EXAMPLE := rootfs/etc/keepalived/keepalived.conf

# Cross builds: Debian's cross gcc links, qemu-user runs.
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER ?= aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER ?= qemu-aarch64-static
# ring (TLS for SSL_GET) compiles C for the target.
export CC_aarch64_unknown_linux_musl ?= aarch64-linux-gnu-gcc

# $(call apt,pkg...): install the Debian packages that are missing.
define apt
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "apt-get install$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing >/dev/null || \
		{ apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; \
	fi
endef

.PHONY: all build static size test unit-test feature-test system-test static-test vm-test package-test lint bench demo clean

all: build

build:
	$(CARGO) build --release

static:
	rustup target add $(TARGET)
	$(call apt,file)
ifneq (,$(findstring aarch64,$(TARGET)))
	$(call apt,gcc-aarch64-linux-gnu qemu-user-static)
endif
	$(CARGO) build --release --target $(TARGET)
	@file target/$(TARGET)/release/keepalived-rs

# Stripped static binary sizes per feature set, x86_64 and aarch64, beside keepalived and
# the shared libraries it loads.
size:
	rustup target add x86_64-unknown-linux-musl aarch64-unknown-linux-musl
	$(call apt,gcc-aarch64-linux-gnu keepalived)
	tests/bench/size.sh

lint:
	@rustup component add rustfmt clippy >/dev/null 2>&1 || true
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

# Everything CI runs.
test: lint unit-test feature-test system-test static-test vm-test package-test image-test

unit-test:
	$(CARGO) test --lib --bins

# The other feature combinations (the default is lvs+tls): lint, unit tests and the daemon's
# life in a network namespace, which shows what a build without LVS says.
features_check = $(CARGO) clippy --all-targets $(1) -- -D warnings && \
	$(CARGO) test --lib --bins $(1) && $(CARGO) test --test daemon_life $(1)
feature-test:
	$(call features_check,--no-default-features)
	$(call features_check,--no-default-features --features lvs)

# Integration tests: the daemon against itself, Debian's keepalived and FRR's vrrpd in network
# namespaces, the differential configuration tests, the fuzzers, the dump round trip, limits.
system-test:
	$(call apt,keepalived iproute2 coreutils iputils-ping nftables tcpdump frr)
	KA_REQUIRE_SYSTEM=1 FUZZ_CASES=$${FUZZ_CASES:-3000} $(CARGO) test --test '*'

# The static binaries (x86_64 and aarch64 musl) check the shipped example configuration.
static-test:
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	$(MAKE) --no-print-directory static TARGET=aarch64-unknown-linux-musl
	tests/demo/check_example.sh target/x86_64-unknown-linux-musl/release/keepalived-rs $(EXAMPLE)
	tests/demo/check_example.sh "qemu-aarch64-static target/aarch64-unknown-linux-musl/release/keepalived-rs" $(EXAMPLE)

# IPVS needs a kernel with it: Debian's, booted under qemu (TCG) with an initramfs holding our
# static binary, Debian's keepalived, ipvsadm and busybox; one boot per scenario
# (board/qemu-x86_64/scenarios/*.sh). Cache: target/vm.
VM_PACKAGES := qemu-system-x86 busybox-static dash ipvsadm iproute2 keepalived nftables cpio shellcheck
vm-test:
	$(call apt,$(VM_PACKAGES))
	shellcheck -x board/qemu-x86_64/*.sh board/qemu-x86_64/init board/qemu-x86_64/scenarios/*.sh \
		board/qemu-x86_64/bench/*.sh
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	board/qemu-x86_64/build.sh
	board/qemu-x86_64/vm-test.sh

# Packaging without buildroot or OpenWrt (tests/packaging/check.sh): metadata against
# Cargo.toml, Kconfig (kconfiglib in target/pkg-venv), both package Makefiles under stub
# infrastructure, shellcheck, the systemd unit (systemd-analyze, an emulated Type=notify run)
# and the sysvinit script, both in network namespaces.
PKG_PACKAGES := shellcheck rsync busybox-static python3-venv iproute2 systemd
package-test: build
	$(call apt,$(PKG_PACKAGES))
	test -x target/pkg-venv/bin/python || python3 -m venv target/pkg-venv
	target/pkg-venv/bin/python -c 'import kconfiglib' 2>/dev/null || target/pkg-venv/bin/pip install -q kconfiglib
	tests/packaging/check.sh target/release/keepalived-rs target/pkg-venv/bin/python

# The appliance image (board/README.md): target/image/vmlinuz + rootfs.cpio.gz (Debian's kernel,
# busybox init, the rootfs/ overlay, our static binary). run-image boots two VMs from it and
# fails node 1 over to node 2; image-test is that, as a test: node 1 powered off, then killed.
.PHONY: image run-image image-test
IMAGE_PACKAGES := qemu-system-x86 busybox-static cpio shellcheck
image:
	$(call apt,$(IMAGE_PACKAGES))
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	board/qemu-x86_64/image.sh

run-image: image
	board/qemu-x86_64/run-image.sh

image-test: image
	shellcheck -x board/qemu-x86_64/image.sh board/qemu-x86_64/run-image.sh \
		board/qemu-x86_64/buildlib.sh board/qemu-x86_64/image/etc/init.d/* \
		board/qemu-x86_64/image/usr/share/udhcpc/default.script
	board/qemu-x86_64/run-image.sh
	IMAGE_STOP=kill board/qemu-x86_64/run-image.sh

bench: build
	$(call apt,keepalived hyperfine iproute2 coreutils)
	tests/bench/config_test.sh target/release/keepalived-rs
	$(CARGO) run -q --release --example vrrp_bench
	tests/bench/vrrp_keepalived_cpu.sh
	tests/bench/daemon_bench.sh target/release/keepalived-rs
	$(call apt,$(VM_PACKAGES))
	$(MAKE) --no-print-directory static TARGET=x86_64-unknown-linux-musl
	$(CARGO) build --release --target x86_64-unknown-linux-musl --example vm_sink
	board/qemu-x86_64/build.sh
	board/qemu-x86_64/bench.sh

# The main job: a VRRP failover between two routers in network namespaces.
demo: build
	$(call apt,iproute2 iputils-ping)
	tests/demo/failover.sh target/release/keepalived-rs

clean:
	$(CARGO) clean
