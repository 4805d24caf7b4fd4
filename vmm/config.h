/* Domain configuration files in the xl.cfg syntax, and the domain config they yield. */
#ifndef KDOM_CONFIG_H
#define KDOM_CONFIG_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/log.h"

/* The config parsers' way out: the reason into (err, errlen), then -EINVAL. */
#define config_error(err, errlen, ...) (set_err((err), (errlen), __VA_ARGS__), -EINVAL)

/* ---- Generic xl.cfg syntax ------------------------------------------------ */

enum cfg_type { CFG_NUMBER, CFG_STRING, CFG_LIST };

struct cfg_value {
	enum cfg_type type;
	int line;
	long long number;	 /* CFG_NUMBER */
	char *string;		 /* CFG_STRING, NUL-terminated, escapes resolved */
	struct cfg_value *items; /* CFG_LIST: numbers and strings only */
	size_t nitems;
};

struct cfg_setting {
	char *key;
	int line;
	struct cfg_value value;
};

struct cfg {
	char *filename; /* as given, for messages */
	struct cfg_setting *settings;
	size_t nsettings;
};

/*
 * Parse `len` bytes of xl.cfg text: `key = value` statements ended by a
 * newline or ';', values are numbers (decimal or 0x hex, optional sign,
 * within long long; a decimal with a leading zero is refused because xl
 * reads it as octal), "strings" or 'strings' on one line (\\, \", \', \n,
 * \t escapes) or [ lists ] of them that may span lines with an optional
 * trailing comma; '#' starts a comment; CR is white space, so CRLF files
 * parse.  A key given twice and a NUL byte are errors.  The text need not
 * be NUL-terminated.  0, or -EINVAL (-ENOMEM) with "FILE:LINE: what is
 * wrong" in err and cfg left empty.  filename NULL reads "(config)".
 */
int cfg_parse(const char *filename, const char *text, size_t len, struct cfg *cfg, char *err,
	      size_t errlen);

/* Look a key up; NULL when absent. */
const struct cfg_setting *cfg_find(const struct cfg *cfg, const char *key);

/* Free what cfg_parse() built; safe on a zeroed or already freed cfg. */
void cfg_free(struct cfg *cfg);

/* Config files are a few hundred bytes; anything near this is not one. */
#define CFG_FILE_MAX (1024 * 1024)

/*
 * Read and parse the file at path (at most CFG_FILE_MAX: -EFBIG).  0 or
 * -errno with err ("cannot read PATH: reason", or the parse error).
 */
int cfg_load(const char *path, struct cfg *cfg, char *err, size_t errlen);

/*
 * One key of a key table.  The handler sees the whole cfg so that keys that
 * interact can check each other; it writes a message without a FILE:LINE
 * prefix, which cfg_apply() adds.
 */
struct cfg_key {
	const char *key;
	enum cfg_type type;
	int (*apply)(void *target, const struct cfg *cfg, const struct cfg_setting *s, char *err,
		     size_t errlen);
};

/*
 * Apply every setting of cfg to target through the table: unknown keys and
 * wrong types are refused as "FILE:LINE: what is wrong".  0 or -errno.
 */
int cfg_apply(const struct cfg *cfg, const struct cfg_key *keys, size_t nkeys, void *target,
	      char *err, size_t errlen);

/* A 0/1 switch such as `control = 1`: 0, or -EINVAL with a message. */
int cfg_flag(bool *field, const struct cfg_setting *s, char *err, size_t errlen);

/* ---- Domain configuration ------------------------------------------------ */

struct cpuid_override;

/* What the toolstack does when a domain shuts down (xl's on_poweroff & co). */
enum domain_action {
	DOMAIN_ACTION_DESTROY,
	DOMAIN_ACTION_RESTART,
	DOMAIN_ACTION_PRESERVE,
	DOMAIN_ACTION_RENAME_RESTART,
};

/* Shutdown reasons an action is chosen for. */
enum domain_shutdown {
	DOMAIN_SHUTDOWN_POWEROFF,
	DOMAIN_SHUTDOWN_REBOOT,
	DOMAIN_SHUTDOWN_CRASH,
	DOMAIN_SHUTDOWN_WATCHDOG,
	DOMAIN_SHUTDOWN_COUNT
};

/* "destroy", "restart", "preserve", "rename-restart". */
const char *domain_action_name(enum domain_action action);

#define DOMAIN_NAME_MAX 64
#define DOMAIN_VCPUS_MAX 8
#define DOMAIN_MEMORY_DEFAULT_MIB 128 /* a distribution kernel needs about 70 */
#define DOMAIN_CMDLINE_MAX 4095
#define DOMAIN_DOMID_MAX 32751 /* Xen's DOMID_FIRST_RESERVED - 1 */
#define DOMAIN_DOMID_ANY (-1)  /* let the toolstack choose */
#define DOMAIN_PCI_MAX 8

struct domain_config {
	char name[DOMAIN_NAME_MAX]; /* [A-Za-z0-9_.-], 1..63 chars */
	uint64_t memory_mib;
	unsigned int vcpus;
	char *kernel;  /* path; required */
	char *ramdisk; /* path or NULL */
	char *cmdline; /* NULL: empty */
	int domid;     /* 0..DOMAIN_DOMID_MAX, or DOMAIN_DOMID_ANY */
	bool control;  /* `control = 1`: may manage other domains within the policy */
	bool hardware; /* `hardware = 1`: asks to be the hardware domain */
	bool pit;      /* `pit = 0`: no PIT at all (default 1) */
	struct cpuid_override *cpuid; /* `cpuid = "host,aes=0"`; NULL: none */
	char *label; /* `label = "tenant-a"`: what the policy file grants control domains; NULL */
	char *pci[DOMAIN_PCI_MAX]; /* `pci = [ "0000:03:00.0", "vfio-user:/run/d.sock" ]` */
	unsigned int nr_pci;
	bool driver_domain; /* `driver_domain = 1`: may receive devices though not hardware */
	/* on_poweroff, on_reboot, on_crash, on_watchdog (kdomd); xl's defaults */
	enum domain_action on[DOMAIN_SHUTDOWN_COUNT];
};

/* Defaults: name "kdom", DOMAIN_MEMORY_DEFAULT_MIB, 1 vCPU, no kernel. */
void domain_config_init(struct domain_config *dc);

/*
 * Apply every setting of cfg to dc.  Unknown keys, wrong types and
 * out-of-range values are refused as "FILE:LINE: what is wrong".
 * 0 or -EINVAL.
 */
int domain_config_apply(struct domain_config *dc, const struct cfg *cfg, char *err, size_t errlen);

/*
 * Read, parse and apply the file at path (max 1 MiB: -EFBIG).  0 or -errno
 * with err ("cannot read PATH: reason", or parse/apply messages).  On
 * failure dc may be partly applied; the caller frees it as usual.
 */
int domain_config_load(struct domain_config *dc, const char *path, char *err, size_t errlen);

/* Check the settings that only whole configs can check (kernel given, ...). */
int domain_config_validate(const struct domain_config *dc, char *err, size_t errlen);

/*
 * Setters shared by the config file and `kdom run` options; 0 or -EINVAL
 * with a message in err that has no FILE:LINE prefix (the file's key table
 * adds it), e.g. "memory 1 MiB out of range (2 to 1048576)".
 */
int domain_config_set_name(struct domain_config *dc, const char *name, char *err, size_t errlen);
int domain_config_set_memory(struct domain_config *dc, long long mib, char *err, size_t errlen);
int domain_config_set_domid(struct domain_config *dc, long long domid, char *err, size_t errlen);
int domain_config_set_vcpus(struct domain_config *dc, long long vcpus, char *err, size_t errlen);
/* Command line of at most DOMAIN_CMDLINE_MAX bytes; NULL clears it.  0, -EINVAL, -ENOMEM. */
int domain_config_set_cmdline(struct domain_config *dc, const char *cmdline, char *err,
			      size_t errlen);
/* Replace *field by a copy of value (NULL clears it).  0 or -ENOMEM. */
int domain_config_set_string(char **field, const char *value);

/* Add one pass-through device spec (checked with pci_spec_parse()).  0 or -EINVAL/-ENOMEM. */
int domain_config_add_pci(struct domain_config *dc, const char *spec, char *err, size_t errlen);

/* Free the strings; the struct may be initialized again. */
void domain_config_free(struct domain_config *dc);

#endif
