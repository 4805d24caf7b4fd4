/* pvpanic ISA device. */
#ifndef KDOM_DEVICES_PVPANIC_H
#define KDOM_DEVICES_PVPANIC_H

struct vm;

/* pvpanic ISA device: the guest reports a panic. */
struct pvpanic {
	struct vm *vm;
};
int pvpanic_create(struct pvpanic *pp, struct vm *vm);

#endif
