include $(sort $(wildcard $(BR2_EXTERNAL_KEEPALIVED_RS_PATH)/package/*/*.mk))
