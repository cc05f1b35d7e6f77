################################################################################
#
# keepalived-rs
#
################################################################################

# The source is the repository this external tree lives in.
KEEPALIVED_RS_VERSION = 0.1.0
KEEPALIVED_RS_SITE = $(BR2_EXTERNAL_KEEPALIVED_RS_PATH)/..
KEEPALIVED_RS_SITE_METHOD = local
# The repository's own build output is not source.
KEEPALIVED_RS_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude=/target
KEEPALIVED_RS_LICENSE = GPL-2.0+
KEEPALIVED_RS_LICENSE_FILES = docs/COPYING

KEEPALIVED_RS_FEATURES = \
	$(if $(BR2_PACKAGE_KEEPALIVED_RS_LVS),lvs) \
	$(if $(BR2_PACKAGE_KEEPALIVED_RS_TLS),tls)
KEEPALIVED_RS_CARGO_BUILD_OPTS = \
	--no-default-features \
	--features "$(strip $(KEEPALIVED_RS_FEATURES))"

# A local package skips the download step, where the cargo infrastructure vendors the
# crates: vendor them here (needs crates.io, or a filled $(BR_CARGO_HOME)), as
# support/download/cargo-post-process does for tarballs.
define KEEPALIVED_RS_VENDOR_CRATES
	mkdir -p $(@D)/.cargo $(BR_CARGO_HOME)
	cd $(@D) && $(HOST_MAKE_ENV) $(PKG_COMMON_CARGO_ENV) \
		flock $(BR_CARGO_HOME)/.br-lock \
		cargo vendor --locked VENDOR > $(@D)/.cargo/config.toml
endef
KEEPALIVED_RS_PRE_BUILD_HOOKS += KEEPALIVED_RS_VENDOR_CRATES

# The binary cargo built, installed as /usr/sbin/keepalived-rs (cargo install would build
# again and put it in /usr/bin).
KEEPALIVED_RS_BIN = \
	$(@D)/target/$(RUSTC_TARGET_NAME)/$(if $(BR2_ENABLE_DEBUG),debug,release)/keepalived-rs

ifeq ($(BR2_PACKAGE_KEEPALIVED_RS_KEEPALIVED_LINKS),y)
define KEEPALIVED_RS_INSTALL_LINKS
	ln -sf keepalived-rs $(TARGET_DIR)/usr/sbin/keepalived
	mkdir -p $(TARGET_DIR)/usr/bin
	ln -sf ../sbin/keepalived-rs $(TARGET_DIR)/usr/bin/genhash
endef
endif

define KEEPALIVED_RS_INSTALL_TARGET_CMDS
	$(INSTALL) -D -m 0755 $(KEEPALIVED_RS_BIN) $(TARGET_DIR)/usr/sbin/keepalived-rs
	$(KEEPALIVED_RS_INSTALL_LINKS)
	$(INSTALL) -D -m 0644 $(@D)/rootfs/etc/keepalived/keepalived.conf \
		$(TARGET_DIR)/etc/keepalived/keepalived.conf
endef

define KEEPALIVED_RS_INSTALL_INIT_SYSV
	$(INSTALL) -D -m 0755 $(@D)/rootfs/etc/init.d/S60keepalived \
		$(TARGET_DIR)/etc/init.d/S60keepalived
	$(INSTALL) -D -m 0644 $(@D)/rootfs/etc/default/keepalived \
		$(TARGET_DIR)/etc/default/keepalived
endef

define KEEPALIVED_RS_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/rootfs/usr/lib/systemd/system/keepalived.service \
		$(TARGET_DIR)/usr/lib/systemd/system/keepalived.service
	$(INSTALL) -D -m 0644 $(@D)/rootfs/etc/default/keepalived \
		$(TARGET_DIR)/etc/default/keepalived
endef

define KEEPALIVED_RS_INSTALL_INIT_OPENRC
	$(INSTALL) -D -m 0755 $(@D)/board/openrc/keepalived.initd \
		$(TARGET_DIR)/etc/init.d/keepalived
	$(INSTALL) -D -m 0644 $(@D)/board/openrc/keepalived.confd \
		$(TARGET_DIR)/etc/conf.d/keepalived
endef

$(eval $(cargo-package))
