/* The domain model's configuration: what is computed from it rather than written in it. */
#include "hv-roles/domain-config.h"

void vif_spec_generate_mac(uint8_t mac[6], const uint8_t uuid[16], unsigned int index)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a over the UUID and the index */

	for (unsigned int i = 0; i < 16; i++)
		h = (h ^ uuid[i]) * 1099511628211ull;
	for (unsigned int i = 0; i < 4; i++)
		h = (h ^ ((index >> (8 * i)) & 0xff)) * 1099511628211ull;
	/* FNV's low bits mix poorly: fold the high half in. */
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	mac[0] = 0x00;
	mac[1] = 0x16;
	mac[2] = 0x3e;
	/* Xen's tools keep the top bit of byte 3 clear; do the same. */
	mac[3] = (h >> 16) & 0x7f;
	mac[4] = (h >> 8) & 0xff;
	mac[5] = h & 0xff;
}
