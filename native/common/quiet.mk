# Quiet recipes for the native Makefiles: $(call logged,command) runs command with its output
# appended to $(LOG) (set by the includer), printing the command and its output only when it
# fails; `make V=1` runs and prints everything as it goes. A comma in the command must come from a
# variable (a literal one would split call's arguments).
ifeq ($(V),1)
logged = $(1)
else
logged = @mkdir -p $(dir $(LOG)); echo '$(1)' >> $(LOG); $(1) > $(LOG).$(@F) 2>&1; s=$$?; cat $(LOG).$(@F) >> $(LOG); \
	if [ $$s -ne 0 ]; then echo '$(1)'; cat $(LOG).$(@F); fi; rm -f $(LOG).$(@F); exit $$s
endif
