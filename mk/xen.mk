# mk/xen.mk - the Xen driver (src/driver/xen*.c), built when this compiler
# finds Xen's development files (Debian: libxen-dev): the headers and the
# static libraries.  XEN=0 leaves it out; XEN=1 fails when they are missing.
#
# Tools and tests link the libraries from their archives, never dlopen'd:
# every tool, static or not, carries the driver whole and needs no
# libxen*.so where it runs (a stub domain has none).  libtinyvmi.so links
# the shared libraries (the archives are not position-independent).  A
# musl build (make static with musl-gcc) finds no Xen headers and leaves the
# driver out; static tools with it are built with glibc:
#   make tools O=build-xen-static XEN=1 TOOL_LDFLAGS=-static
XEN ?= auto
XEN_ARCHIVES := xenctrl xenforeignmemory xendevicemodel xenevtchn xengnttab xencall \
                xenstore xentoollog xentoolcore
ifneq ($(XEN),0)
  XEN_HEADERS_OK := $(shell $(CC) -E -x c -include xenctrl.h -include xenforeignmemory.h \
                      -include xenevtchn.h -include xendevicemodel.h -include xenstore.h \
                      -include xen/vm_event.h /dev/null -o /dev/null 2>/dev/null && echo yes)
  XEN_LIBS := $(foreach l,$(XEN_ARCHIVES),$(shell $(CC) -print-file-name=lib$(l).a 2>/dev/null))
  # -print-file-name answers with the bare name when it finds no file.
  XEN_LIBS_OK := $(if $(strip $(filter-out /%,$(XEN_LIBS))),,yes)
  ifeq ($(XEN_HEADERS_OK)$(XEN_LIBS_OK),yesyes)
    override CFLAGS += -DTINYVMI_XEN=1
    LDLIBS += $(XEN_LIBS) -lpthread
    # The archives are not position-independent, so libtinyvmi.so links
    # Xen's shared libraries instead (still directly, not dlopen).
    $(O)/lib/libtinyvmi.so: LDLIBS := $(filter-out $(XEN_LIBS),$(LDLIBS)) \
                                       $(addprefix -l,$(XEN_ARCHIVES))
    XEN_BUILT := yes
    PC_LIBS_PRIVATE += $(addprefix -l,$(XEN_ARCHIVES)) -lpthread
    # Xen's public headers need GNU C (anonymous unions, __attribute__ under
    # !__STRICT_ANSI__); only the files that include them get it.
    $(O)/obj/src/driver/xen.o: override CFLAGS += -std=gnu11
    $(O)/obj/src/driver/xen_%.o: override CFLAGS += -std=gnu11
  else ifeq ($(XEN),1)
    $(error XEN=1, but $(CC) finds no Xen headers or static libraries (Debian: libxen-dev))
  endif
endif
