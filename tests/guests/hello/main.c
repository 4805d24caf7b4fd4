/* hello: the smallest guest; greets, shows its command line and succeeds. */
#include "guest.h"

const char test_title[] = "hello: boot, console and command line";

void test_main(void)
{
	printf("Hello from a kdom test guest\n");
	printf("command line: \"%s\"\n", cmdline());
	report(start_info() != NULL, "hvm_start_info passed with its magic");
}
