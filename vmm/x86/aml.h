/* A small AML (ACPI Machine Language) writer: names, integers, packages, buffers, scopes, devices. */
#ifndef KDOM_AML_H
#define KDOM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * AML bytes written into a caller's buffer.  Nothing is allocated; a write
 * that does not fit, or a malformed name, sets failed and later writes do
 * nothing, so a caller checks once at the end.
 */
struct aml {
	uint8_t *data;
	size_t len, size;
	bool failed;
};

void aml_init(struct aml *aml, uint8_t *data, size_t size);
void aml_bytes(struct aml *aml, const void *bytes, size_t len);

/*
 * A NameString: an optional leading '\' and segments of 1 to 4 characters
 * (A-Z, 0-9, '_'; not starting with a digit) joined by '.', each padded with
 * '_': "\\_SB_.PCI0", "_S5", "PCI0".
 */
void aml_name_string(struct aml *aml, const char *path);
/* An integer in its shortest encoding: ZeroOp, OneOp, or a Byte/Word/DWord/QWord constant. */
void aml_integer(struct aml *aml, uint64_t value);
/* An EISA ID such as "PNP0A03", compressed to the DWord a _HID holds. */
void aml_eisa_id(struct aml *aml, const char *id);
/* NameOp and the name: the value (an integer, a package, a buffer) comes next. */
void aml_name(struct aml *aml, const char *name);
/* BufferOp holding len bytes (a resource template). */
void aml_buffer(struct aml *aml, const void *bytes, size_t len);

/*
 * Objects whose size leads them (a PkgLength): open one, write what it
 * holds, then aml_close() it with the mark the opener returned.  They nest.
 */
size_t aml_scope_open(struct aml *aml, const char *path);
size_t aml_device_open(struct aml *aml, const char *name);
size_t aml_package_open(struct aml *aml, unsigned int elements);
void aml_close(struct aml *aml, size_t mark);

/* ---- Resource descriptors (ACPI 6.5 section 6.4), for a _CRS buffer ------- */

/* WordBusNumber: a producer's fixed range of bus numbers. */
void aml_res_bus_numbers(struct aml *aml, uint16_t first, uint16_t last);
/* IO: a fixed range of len ports at base (16-bit decode). */
void aml_res_io(struct aml *aml, uint16_t base, uint8_t len);
/* DWordMemory or QWordMemory (as base + size needs): a producer's window, non-cacheable, read-write. */
void aml_res_memory(struct aml *aml, uint64_t base, uint64_t size);
/* The end tag that closes a resource template. */
void aml_res_end(struct aml *aml);

#endif
