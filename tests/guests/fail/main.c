/* fail: reports one failing check, so that runners can see FAILURE is caught. */
#include "guest.h"

const char test_title[] = "fail: a test that must fail";

void test_main(void)
{
	report(false, "this check fails on purpose");
}
