/* A small AML writer: the encodings of ACPI 6.5 chapter 20 that kdom's DSDT needs, and no more. */
#include "vmm/x86/aml.h"

#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after the ExtOpPrefix */
#define AML_ROOT_CHAR '\\'
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_NULL_NAME 0x00

#define AML_PKG_LENGTH_MAX 4		/* bytes of the longest PkgLength */
#define AML_PKG_LENGTH_LIMIT (1u << 28) /* what four bytes can say */
#define AML_NAME_SEGS_MAX 255

/* Resource descriptors (section 6.4) */
#define RES_IO 0x47	     /* small item: I/O port descriptor, 7 bytes of data */
#define RES_END_TAG 0x79     /* small item: end tag, 1 byte of data */
#define RES_DWORD_SPACE 0x87 /* large item: DWord address space */
#define RES_WORD_SPACE 0x88  /* large item: Word address space */
#define RES_QWORD_SPACE 0x8a /* large item: QWord address space */
#define RES_TYPE_MEMORY 0
#define RES_TYPE_BUS 2
#define RES_FLAGS_PRODUCER_FIXED 0x0c /* producer, positive decode, min and max fixed */
#define RES_MEMORY_READ_WRITE 0x01    /* non-cacheable, read-write */
#define RES_IO_DECODE16 0x01

void aml_init(struct aml *aml, uint8_t *data, size_t size)
{
	aml->data = data;
	aml->len = 0;
	aml->size = size;
	aml->failed = false;
}

void aml_bytes(struct aml *aml, const void *bytes, size_t len)
{
	if (aml->failed || len > aml->size - aml->len) {
		aml->failed = true;
		return;
	}
	memcpy(aml->data + aml->len, bytes, len);
	aml->len += len;
}

static void aml_byte(struct aml *aml, uint8_t value)
{
	aml_bytes(aml, &value, 1);
}

/* value's low len bytes, little-endian. */
static void aml_le(struct aml *aml, uint64_t value, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		aml_byte(aml, (uint8_t)(value >> (8 * i)));
}

static bool aml_name_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* One segment of 1-4 characters, padded with '_'; how many characters it took, 0 if malformed. */
static size_t aml_name_seg(struct aml *aml, const char *seg)
{
	char padded[4] = { '_', '_', '_', '_' };
	size_t n = 0;

	while (seg[n] && seg[n] != '.' && n < 4) {
		if (!aml_name_char(seg[n], n == 0))
			return 0;
		padded[n] = seg[n];
		n++;
	}
	if (n == 0 || (seg[n] && seg[n] != '.'))
		return 0;
	aml_bytes(aml, padded, sizeof(padded));
	return n;
}

void aml_name_string(struct aml *aml, const char *path)
{
	size_t segs = 0;

	if (*path == AML_ROOT_CHAR) {
		aml_byte(aml, AML_ROOT_CHAR);
		path++;
	}
	for (const char *p = path; *p; p++)
		segs += *p == '.';
	segs += *path != '\0';
	if (segs == 0) {
		aml_byte(aml, AML_NULL_NAME);
		return;
	}
	if (segs > AML_NAME_SEGS_MAX) {
		aml->failed = true;
		return;
	}
	if (segs == 2)
		aml_byte(aml, AML_DUAL_NAME_PREFIX);
	else if (segs > 2)
		aml_bytes(aml, (uint8_t[]){ AML_MULTI_NAME_PREFIX, (uint8_t)segs }, 2);
	for (size_t i = 0; i < segs && !aml->failed; i++) {
		size_t n = aml_name_seg(aml, path);

		if (n == 0)
			aml->failed = true;
		path += n + (path[n] == '.');
	}
}

void aml_integer(struct aml *aml, uint64_t value)
{
	if (value <= 1)
		aml_byte(aml, value ? AML_ONE_OP : AML_ZERO_OP);
	else if (value <= UINT8_MAX)
		aml_bytes(aml, (uint8_t[]){ AML_BYTE_PREFIX, (uint8_t)value }, 2);
	else if (value <= UINT16_MAX) {
		aml_byte(aml, AML_WORD_PREFIX);
		aml_le(aml, value, 2);
	} else if (value <= UINT32_MAX) {
		aml_byte(aml, AML_DWORD_PREFIX);
		aml_le(aml, value, 4);
	} else {
		aml_byte(aml, AML_QWORD_PREFIX);
		aml_le(aml, value, 8);
	}
}

/*
 * Three letters of five bits each (A = 1) and four hex digits, stored big
 * endian: "PNP0A03" is the bytes 41 d0 0a 03.
 */
void aml_eisa_id(struct aml *aml, const char *id)
{
	uint8_t bytes[4];
	uint32_t product = 0;

	if (strlen(id) != 7) {
		aml->failed = true;
		return;
	}
	for (int i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			aml->failed = true;
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned int digit = c >= '0' && c <= '9'   ? (unsigned int)(c - '0')
				     : c >= 'A' && c <= 'F' ? (unsigned int)(c - 'A' + 10)
							    : 16;

		if (digit > 15)
			aml->failed = true;
		product = product << 4 | (digit & 0xf);
	}
	uint16_t vendor = (id[0] - 0x40) << 10 | (id[1] - 0x40) << 5 | (id[2] - 0x40);

	bytes[0] = vendor >> 8;
	bytes[1] = vendor & 0xff;
	bytes[2] = product >> 8;
	bytes[3] = product & 0xff;
	aml_byte(aml, AML_DWORD_PREFIX);
	aml_bytes(aml, bytes, sizeof(bytes));
}

void aml_name(struct aml *aml, const char *name)
{
	aml_byte(aml, AML_NAME_OP);
	aml_name_string(aml, name);
}

/* Room for the longest PkgLength; aml_close() squeezes it to what the length needs. */
static size_t aml_pkg_open(struct aml *aml)
{
	size_t mark = aml->len;

	aml_le(aml, 0, AML_PKG_LENGTH_MAX);
	return mark;
}

/*
 * PkgLength counts itself: one byte holds up to 63 (6 bits); longer ones
 * put their byte count less one in bits 7-6 of the first byte, the low 4
 * bits of the length in its bits 3-0 and the rest in the following bytes.
 */
void aml_close(struct aml *aml, size_t mark)
{
	uint8_t encoded[AML_PKG_LENGTH_MAX];
	size_t body, n;
	uint32_t length;

	if (aml->failed || mark + AML_PKG_LENGTH_MAX > aml->len)
		return;
	body = aml->len - mark - AML_PKG_LENGTH_MAX;
	for (n = 1; n <= AML_PKG_LENGTH_MAX; n++)
		if (body + n < (n == 1 ? 64u : 1u << (4 + 8 * (n - 1))))
			break;
	if (n > AML_PKG_LENGTH_MAX || body + n >= AML_PKG_LENGTH_LIMIT) {
		aml->failed = true;
		return;
	}
	length = (uint32_t)(body + n);
	if (n == 1) {
		encoded[0] = (uint8_t)length;
	} else {
		encoded[0] = (uint8_t)((n - 1) << 6 | (length & 0xf));
		for (size_t i = 1; i < n; i++)
			encoded[i] = (uint8_t)(length >> (4 + 8 * (i - 1)));
	}
	memmove(aml->data + mark + n, aml->data + mark + AML_PKG_LENGTH_MAX, body);
	memcpy(aml->data + mark, encoded, n);
	aml->len = mark + n + body;
}

size_t aml_scope_open(struct aml *aml, const char *path)
{
	size_t mark;

	aml_byte(aml, AML_SCOPE_OP);
	mark = aml_pkg_open(aml);
	aml_name_string(aml, path);
	return mark;
}

size_t aml_device_open(struct aml *aml, const char *name)
{
	size_t mark;

	aml_bytes(aml, (uint8_t[]){ AML_EXT_OP_PREFIX, AML_DEVICE_OP }, 2);
	mark = aml_pkg_open(aml);
	aml_name_string(aml, name);
	return mark;
}

size_t aml_package_open(struct aml *aml, unsigned int elements)
{
	size_t mark;

	if (elements > UINT8_MAX)
		aml->failed = true;
	aml_byte(aml, AML_PACKAGE_OP);
	mark = aml_pkg_open(aml);
	aml_byte(aml, (uint8_t)elements);
	return mark;
}

void aml_buffer(struct aml *aml, const void *bytes, size_t len)
{
	size_t mark;

	aml_byte(aml, AML_BUFFER_OP);
	mark = aml_pkg_open(aml);
	aml_integer(aml, len);
	aml_bytes(aml, bytes, len);
	aml_close(aml, mark);
}

void aml_res_bus_numbers(struct aml *aml, uint16_t first, uint16_t last)
{
	aml_bytes(aml,
		  (uint8_t[]){ RES_WORD_SPACE, 13, 0, RES_TYPE_BUS, RES_FLAGS_PRODUCER_FIXED, 0 },
		  6);
	aml_le(aml, 0, 2); /* granularity */
	aml_le(aml, first, 2);
	aml_le(aml, last, 2);
	aml_le(aml, 0, 2); /* translation */
	aml_le(aml, (uint32_t)last - first + 1, 2);
}

void aml_res_io(struct aml *aml, uint16_t base, uint8_t len)
{
	aml_bytes(aml, (uint8_t[]){ RES_IO, RES_IO_DECODE16 }, 2);
	aml_le(aml, base, 2);			  /* minimum */
	aml_le(aml, base, 2);			  /* maximum */
	aml_bytes(aml, (uint8_t[]){ 1, len }, 2); /* alignment, length */
}

void aml_res_memory(struct aml *aml, uint64_t base, uint64_t size)
{
	uint64_t last = base + size - 1;
	unsigned int width = last > UINT32_MAX ? 8 : 4;
	uint8_t type = width == 8 ? RES_QWORD_SPACE : RES_DWORD_SPACE;

	if (size == 0 || last < base) {
		aml->failed = true;
		return;
	}
	aml_bytes(aml,
		  (uint8_t[]){ type, (uint8_t)(3 + 5 * width), 0, RES_TYPE_MEMORY,
			       RES_FLAGS_PRODUCER_FIXED, RES_MEMORY_READ_WRITE },
		  6);
	aml_le(aml, 0, width); /* granularity */
	aml_le(aml, base, width);
	aml_le(aml, last, width);
	aml_le(aml, 0, width); /* translation */
	aml_le(aml, size, width);
}

/* A checksum of 0: the template's bytes are not summed (section 6.4.2.9). */
void aml_res_end(struct aml *aml)
{
	aml_bytes(aml, (uint8_t[]){ RES_END_TAG, 0 }, 2);
}
